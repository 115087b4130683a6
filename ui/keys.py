"""Every st.session_state key of the app, in one place and one scheme: `<page>.<name>`, or `<page>.<group>.<name>`
for a family (a form's fields, a side of a race, a chart).

One tab's pages share one session_state, so every key starts with its page; widget keys are also the CSS class
Streamlit gives the widget (`st-key-train-field-lr_g`) and, where a widget is bound to the address bar, the query
parameter's name; tests find widgets by these names too. Nothing here imports Streamlit.
"""

from __future__ import annotations


def _join(*parts: object) -> str:
    return ".".join(str(part) for part in parts)


class Train:
    """The Train page (app_pages/train.py, ui/train_form.py)."""

    RUNNER = "train"  # the page's training in the tab's session slot (ui.state.SessionSlot), not a state key
    CONFIG = "train.config"  # the current Config: the single source of truth of the form
    PRESET = "train.preset"
    RUN_PRESET = "train.run_preset"  # the preset picked when the run started (the picker may have moved on)
    HIDDEN = "train.hidden"  # fields a lesson link hides from this tab
    PART = "train.part"  # the part of a walked iteration shown (ui.iteration_parts)
    PARTS_STEP = "train.parts_step"  # the button that plays one iteration in parts
    LINK_READ = "train.link_read"  # the page's link is read once per tab, then the page writes it
    SHARE_HIDE = "train.share_hide"  # what the teacher hides from the students who open the share link
    ERROR = "train.error"
    SEEN_STATUS = "train.seen_status"  # status at the last full rerun: the fragment reruns the page on a change
    FOLLOW = "train.follow"  # whether the grid follows the run: plain state, never cleaned up with a widget
    TIMELINE_AT = "train.timeline_at"  # the snapshot the user chose while not following (plain state)
    FOLLOW_TURNS = "train.follow_turns"  # how often FOLLOW changed: it names the widgets drawn from the two above
    LIVE_UPDATES = "train.live_updates"
    BASELINE = "train.baseline"  # overlay the seed MLP GAN's bundled curves on the run's
    PROJECTOR = "train.projector"  # the projector view: what the class watches on one 1280x720 screen

    @staticmethod
    def field(name: str) -> str:
        """The form's widget for Config field `name`."""
        return _join("train.field", name)

    @staticmethod
    def chart(name: str) -> str:
        return _join("train.chart", name)

    @staticmethod
    def upload(domain: str = "") -> str:
        """The file uploader of the student's own images (of a CycleGAN's domain 'A' or 'B')."""
        return _join("train.upload", domain or "set")

    @staticmethod
    def image_set(domain: str = "") -> str:
        """(what was read: files, size, colour) -> the ImageSet or the refusal, read once per choice."""
        return _join("train.image_set", domain or "set")

    @staticmethod
    def maths(name: str) -> str:
        """The "The maths" popover under chart `name` (its iteration box: `<key>.iteration`)."""
        return _join("train.maths", name)

    @staticmethod
    def timeline(turn: int, end: int | None) -> str:
        """The timeline: one widget per end of it while following, one while the user holds it."""
        return _join("train.timeline", f"turn{turn}", "held" if end is None else f"end{end}")

    @staticmethod
    def follow_toggle(turn: int) -> str:
        return _join("train.follow_toggle", f"turn{turn}")


class Playground:
    """The 2-D Playground (app_pages/playground.py, ui/playground_form.py)."""

    RUNNER = "playground"
    CONFIG = "playground.config"  # the form's last valid ToyConfig
    RUN_CONFIG = "playground.run_config"  # the ToyConfig of the run on screen
    PRESET = "playground.preset"
    DRAWN = "playground.drawn"  # the custom dataset's points, a list of (x, y)
    CANVAS = "playground.canvas"  # the drawing chart's selection state
    BRUSH = "playground.brush"
    ERROR = "playground.error"
    SEEN_STATUS = "playground.seen_status"
    LIVE_UPDATES = "playground.live_updates"
    PROJECTOR = "playground.projector"  # the projector view (?view=projector)
    VIEW_READ = "playground.view_read"  # the link's view is read once per tab
    LAYERS = "playground.layers"

    @staticmethod
    def field(name: str) -> str:
        """The form's widget for ToyConfig field `name`."""
        return _join("playground.field", name)

    @staticmethod
    def chart(name: str) -> str:
        return _join("playground.chart", name)

    @staticmethod
    def dirac(name: str) -> str:
        """The Dirac-GAN section's widget for DiracConfig field `name` (and its query parameter, `dirac.<name>`)."""
        return _join("dirac", name)


class Compare:
    """The Compare page (app_pages/compare.py, ui/compare_form.py)."""

    RUNNER = "compare"
    MODE = "compare.mode"
    RACE = "compare.race"
    UNIT = "compare.unit"
    SECONDS = "compare.seconds"
    ITERATIONS = "compare.iterations"
    SEED = "compare.seed"
    DATASET = "compare.dataset"
    ERROR = "compare.error"
    WALL_TIME = "compare.wall_time"  # the set-up's estimate of the race's clock time, for the line under Start
    SEEN_STATUS = "compare.seen_status"  # the race's status at the last full rerun: the fragment reruns on a change
    RUN_LABELS = "compare.run_labels"
    X_AXIS = "compare.x_axis"
    LIVE_UPDATES = "compare.live_updates"
    PROJECTOR = "compare.projector"  # the projector view (?view=projector)
    VIEW_READ = "compare.view_read"  # the link's view is read once per tab
    NOISE_SEED = "compare.noise_seed"

    @staticmethod
    def side(side: str, name: str) -> str:
        """Side `side` ("a" or "b") of the race set-up: its Config field `name`, or "label"."""
        return _join("compare.side", side, name)

    @staticmethod
    def picker(side: str) -> str:
        """The checkpoint picker of side `side`: the prefix of its widgets (see Picker)."""
        return _join("compare.picker", side)

    @staticmethod
    def chart(name: str) -> str:
        return _join("compare.chart", name)


class Explorer:
    """The Latent Explorer (app_pages/explorer.py, ui/explorer.py)."""

    PICKER = "explorer.picker"  # the generator picker's prefix (see Picker)
    SEED_A = "explorer.seed_a"
    FACTORS = "explorer.factors"  # the plot of which shape factors each direction moves
    SEED_B = "explorer.seed_b"
    DIGIT_A = "explorer.digit_a"
    DIGIT_B = "explorer.digit_b"
    SAME_Z = "explorer.same_z"
    GRID_PAGE = "explorer.grid_page"
    T = "explorer.t"
    MODE = "explorer.mode"
    FRAMES = "explorer.frames"
    EDIT_MODE = "explorer.edit_mode"
    DIMS = "explorer.dims"
    NEW_GRID = "explorer.new_grid"
    RESET_DIRECTIONS = "explorer.reset_directions"
    LINK_CHECKED = "explorer.link_checked"  # the link's values are checked once per tab, after the widgets took them
    # The widgets whose values live in the address bar (bind="query-params")
    LINKED = (SEED_A, SEED_B, DIGIT_A, DIGIT_B, SAME_Z, T, MODE, "explorer.picker.source", "explorer.picker.bundled")
    RESET_DIMS = "explorer.reset_dims"
    GIF = "explorer.gif"

    @staticmethod
    def direction(i: int) -> str:
        """The slider of principal direction `i`."""
        return _join("explorer.direction", i)

    @staticmethod
    def dim(d: int) -> str:
        """The slider of raw latent dimension `d`."""
        return _join("explorer.dim", d)

    @staticmethod
    def pick(endpoint: str, i: int) -> str:
        """The grid's button that makes cell `i` endpoint `endpoint` ("a" or "b")."""
        return _join("explorer.pick", endpoint, i)


class Picker:
    """One generator picker's widgets (ui.generator_picker), under the prefix its page gives it."""

    @staticmethod
    def source(prefix: str) -> str:
        return _join(prefix, "source")

    @staticmethod
    def bundled(prefix: str) -> str:
        return _join(prefix, "bundled")

    @staticmethod
    def run(prefix: str) -> str:
        return _join(prefix, "run")

    @staticmethod
    def upload(prefix: str) -> str:
        return _join(prefix, "upload")


class Game:
    """Be the discriminator (app_pages/game.py, ui/game.py)."""

    OPPONENT = "game.opponent"  # the picker: the student's live run, or a bundled generator
    ROUND = "game.round"  # the round on screen (ui.game.Round: a gan.game.GameRound, whom it was against, its number)
    ROUNDS = "game.rounds"  # rounds drawn in this tab: each round's marks are new widgets
    SCORE = "game.score"  # the round on screen's gan.game.RoundScore, once checked
    HISTORY = "game.history"  # this tab's checked rounds, for the chart
    ERROR = "game.error"  # why the last round could not be drawn
    CHECK = "game.check"
    NEW_ROUND = "game.new_round"
    CHART = "game.chart"

    @staticmethod
    def mark(round_number: int, i: int) -> str:
        """Round `round_number`'s checkbox "fake" under image `i`."""
        return _join("game.mark", f"round{round_number}", i)


def live(page: str, name: str, generation: int = 0) -> str:
    """The run controls' widget `name` (a live knob) on `page` ("train" or "playground"); `generation` counts the
    times the app itself set the knobs (a cure): see ui.controls.apply_cure."""
    return _join(page, "live", name) + (f"@{generation}" if generation else "")


def live_generation(page: str) -> str:
    """How many times the app itself has set `page`'s live knobs."""
    return _join(page, "live", "generation")


def remedy(page: str, alert: str) -> str:
    """The "Apply: ..." button under the alert `alert` (its key, e.g. "d_wins") on `page`."""
    return _join(page, "remedy", alert)


def step(page: str, kind: str) -> str:
    """The run controls' Step button of `kind` ("both", "d", "g") on `page`."""
    return _join(page, "step", kind)


def refusal(page: str) -> str:
    """Why the server refused the page's last Start (a limit), shown until the next Start."""
    return _join(page, "refusal")


def link_checked(page: str) -> str:
    """Set once the page has named the link's keys it takes nothing from (once per tab)."""
    return _join(page, "link_checked")


class Class:
    """The class: this tab's student (ui.identity), the board's banners, and the teacher's Class page."""

    TOKEN = "class.token"  # this browser's private token, once read from its cookie (or made for it)
    NICKNAME = "class.nickname"  # the sidebar's nickname input
    NICKNAME_ERROR = "class.nickname_error"
    DISMISSED = "class.dismissed"  # ids of the pushed lessons this tab has closed
    TEACHER = "class.teacher"  # True once this tab gave the teacher's key
    KEY = "class.key"
    KEY_ERROR = "class.key_error"
    SORT = "class.sort"
    PICKED = "class.picked"  # the run the teacher acts on
    PROJECTED = "class.projected"  # the run on the projector (full width), None for the class's table
    LESSON_LINK = "class.lesson_link"
    LESSON_TITLE = "class.lesson_title"
    CHALLENGE_PRESET = "class.challenge_preset"
    CHALLENGE_ITERATIONS = "class.challenge_iterations"
    CHALLENGE_KNOBS = "class.challenge_knobs"
    CHALLENGE_TITLE = "class.challenge_title"
    MESSAGE = "class.message"  # what the teacher's last action did
    CHALLENGE_NOTE = "class.challenge_note"  # why the last Train run did not enter the challenge
    CLEAR_GAME = "class.clear_game"  # the button that starts the class's "Be the discriminator" count afresh


class Tour:
    """The guided tour this tab follows (ui.tour); its link keys are `tour` and `step`."""

    LINK = ("tour", "step")  # query parameters every page leaves to the tour
    ACTIVE = "tour.active"  # the tour's slug, None when no tour is followed
    STEP = "tour.step"  # the step shown, 1-based (as in the link)
    PICK = "tour.pick"  # the sidebar's list of tours
    AUTOSTART = "tour.autostart"  # the page whose run a step starts on its next draw ("train", "playground")
    GO_TO = "tour.go_to"  # the page a step's button asked for, switched to on the next draw
    LINK_SEEN = "tour.link_seen"  # the (tour, step) of the address bar last taken or written
