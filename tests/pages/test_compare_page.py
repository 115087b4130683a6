"""AppTest of the Compare page: a race of two configurations, live, and a comparison of two checkpoints."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from gan.runs import list_runs, save_run
from gan.train import GANTrainer
from tests.conftest import button, poll, rerun, shown
from tests.pages.conftest import open_page, status_text
from ui import keys

PAGE = "app_pages/compare.py"

pytestmark = pytest.mark.usefixtures("isolated_runs")


def open_compare(**state) -> AppTest:
    return open_page(PAGE, state=state)


def poll_race(at: AppTest, predicate) -> None:
    """Rerun the page until `predicate(at)` holds; a failure says what the race's status line showed."""
    poll(at, predicate, describe=lambda at: f"status: {status_text(at)!r}")


def chart_traces(at: AppTest, key: str) -> list[dict]:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id)
    return json.loads(chart.proto.spec)["data"]


def test_the_default_race_is_the_seed_default_mlp_against_the_dcgan_by_time():
    at = open_compare()
    assert at.selectbox(key=keys.Compare.RACE).value == "architecture-time"  # ends on time, on any machine
    assert at.radio(key=keys.Compare.UNIT).value == "seconds"
    assert at.number_input(key=keys.Compare.SECONDS).value == 90
    archs = [at.selectbox(key=keys.Compare.side(side, "arch")).value for side in ("a", "b")]
    assert archs == ["mlp", "dcgan"]
    assert at.number_input(key=keys.Compare.side("a", "lr_g")).value == pytest.approx(2e-4)
    assert at.number_input(key=keys.Compare.side("b", "lr_g")).value == pytest.approx(1e-3)
    assert at.number_input(key=keys.Compare.side("b", "batch_size")).value == 128
    assert not at.error


def test_a_race_preset_fills_both_sides_and_an_architecture_brings_its_defaults():
    at = open_compare()
    at.selectbox(key=keys.Compare.RACE).set_value("loss")
    rerun(at)
    assert at.selectbox(key=keys.Compare.side("a", "g_loss")).value == "minimax"
    assert at.selectbox(key=keys.Compare.side("b", "g_loss")).value == "non-saturating"
    assert at.radio(key=keys.Compare.UNIT).value == "iterations"
    at.selectbox(key=keys.Compare.side("a", "arch")).set_value("dcgan")
    rerun(at)
    assert at.number_input(key=keys.Compare.side("a", "batch_size")).value == 128
    assert at.selectbox(key=keys.Compare.side("a", "g_loss")).value == "non-saturating"


def test_the_set_up_survives_a_visit_to_the_checkpoint_view():
    at = open_compare()
    at.number_input(key=keys.Compare.side("a", "lr_d")).set_value(5e-4)
    rerun(at)
    at.segmented_control(key=keys.Compare.MODE).set_value("Two saved generators")
    rerun(at)
    at.segmented_control(key=keys.Compare.MODE).set_value("Race two configurations")
    rerun(at)
    assert at.number_input(key=keys.Compare.side("a", "lr_d")).value == pytest.approx(5e-4)


def test_the_set_up_survives_a_visit_to_another_page():
    at = open_compare()
    at.number_input(key=keys.Compare.side("b", "lr_g")).set_value(7e-4)
    at.radio(key=keys.Compare.UNIT).set_value("seconds")
    rerun(at)
    at.switch_page("app_pages/train.py")
    rerun(at)
    at.switch_page(PAGE)
    rerun(at)
    assert at.number_input(key=keys.Compare.side("b", "lr_g")).value == pytest.approx(7e-4)
    assert at.radio(key=keys.Compare.UNIT).value == "seconds"


def test_a_tiny_race_runs_both_sides_live_to_a_verdict(tmp_path):
    at = open_compare()
    at.radio(key=keys.Compare.UNIT).set_value("iterations")
    rerun(at)
    at.number_input(key=keys.Compare.ITERATIONS).set_value(6)
    for side in ("a", "b"):
        at.number_input(key=keys.Compare.side(side, "batch_size")).set_value(16)
    rerun(at)
    button(at, "Start race").click()
    rerun(at)
    poll_race(at, lambda at: "Finished" in status_text(at))
    assert "6 iterations each" in status_text(at)
    assert len(at.image) == 2  # the two fixed-noise grids, side by side
    iterations = [m.value for m in at.metric if m.label == "Iterations"]
    assert iterations == ["6", "6"]
    fid = chart_traces(at, keys.Compare.chart("fid"))
    assert [trace["name"] for trace in fid] == ["MLP GAN", "DCGAN"]
    losses = chart_traces(at, keys.Compare.chart("loss"))
    assert len(losses) == 4  # D and G loss of each side
    table = at.table[0].value
    assert list(table.columns) == ["", "MLP GAN", "DCGAN", "Better"]
    assert table.iloc[0, 0].startswith("Classifier FID") and "—" not in (table.iloc[0, 1], table.iloc[0, 2])
    assert table.iloc[4, 0].startswith("Speed") and table.iloc[4, 3] == "MLP GAN"
    assert any("classifier FID" in m.value for m in at.markdown)  # the headline
    assert len(list_runs(tmp_path / "runs")) == 2  # each side saved as a run
    assert any("Saved as" in s.value for s in at.success)


def test_stop_ends_a_race():
    at = open_compare()
    at.radio(key=keys.Compare.UNIT).set_value("iterations")
    rerun(at)
    at.number_input(key=keys.Compare.ITERATIONS).set_value(100_000)
    for side in ("a", "b"):
        at.number_input(key=keys.Compare.side(side, "batch_size")).set_value(16)
    rerun(at)
    button(at, "Start race").click()
    rerun(at)
    poll_race(at, lambda at: "Racing" in status_text(at))
    button(at, "Stop").click()
    rerun(at)
    poll_race(at, lambda at: "Stopped" in status_text(at))
    assert at.table  # a verdict on the moment it stopped


def saved_run(runs, name: str, config) -> None:
    trainer = GANTrainer(config, device="cpu")
    for _ in trainer.run():
        pass
    save_run(trainer.state_dict(), runs / name)


def test_two_saved_runs_compare_without_training(tmp_path, tiny, digits):
    runs = tmp_path / "runs"
    saved_run(runs, "tiny-mlp", tiny("mlp", iterations=3, latent_dim=100))
    saved_run(runs, "tiny-dcgan", tiny("dcgan", iterations=2, latent_dim=100))
    at = open_compare(**{keys.Compare.MODE: "Two saved generators",
                         keys.Picker.source(keys.Compare.picker("a")): "Saved run",
                         keys.Picker.source(keys.Compare.picker("b")): "Saved run"})
    assert len(at.selectbox(key=keys.Picker.run(keys.Compare.picker("a"))).options) == 2
    at.selectbox(key=keys.Picker.run(keys.Compare.picker("b"))).select_index(1)  # A shows the newest run, B the other
    rerun(at)
    assert len(at.image) == 2 and not at.error
    table = at.table[0].value
    assert table.iloc[0, 0].startswith("Classifier FID")
    assert set(table.columns[1:3]) == {"tiny-mlp", "tiny-dcgan"}
    assert not at.get("progress")  # nothing trained


def test_the_bundled_generators_compare_out_of_the_box():
    at = open_compare(**{keys.Compare.MODE: "Two saved generators"})
    assert len(at.image) == 2 and not at.error
    assert at.table[0].value.iloc[0, 0].startswith("Classifier FID")


def test_an_upload_that_is_no_checkpoint_is_refused_clearly():
    at = open_compare(**{keys.Compare.MODE: "Two saved generators",
                         keys.Picker.source(keys.Compare.picker("b")): "Upload"})
    uploader = at.file_uploader(key=keys.Picker.upload(keys.Compare.picker("b")))
    uploader.upload("notes.pt", b"these bytes are no checkpoint")
    rerun(at)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Cannot compare this file") and "notes.pt" in shown(at.error[0].value)
    assert not at.table  # nothing to compare yet


# ---------------------------------------------------------------------------------------------- figures and tables
def test_overlaid_curves_share_axes_and_are_thinned_to_comparable_detail():
    from ui import compare

    fast = [{"iteration": i, "elapsed": i / 100, "d_loss": 0.6, "g_loss": 0.9} for i in range(1, 5001)]
    slow = [{"iteration": i, "elapsed": i / 5, "d_loss": 0.5, "g_loss": 1.2} for i in range(1, 251)]
    fig = compare.loss_overlay([("MLP", fast), ("DCGAN", slow)], x="elapsed")
    assert [t.name for t in fig.data] == ["MLP · D loss", "MLP · G loss", "DCGAN · D loss", "DCGAN · G loss"]
    assert max(len(t.x) for t in fig.data) <= compare.MAX_POINTS
    assert fig.data[0].line.color != fig.data[2].line.color and fig.data[0].line.dash != fig.data[1].line.dash
    assert fig.layout.xaxis.title.text == "training time (s)"
    fid = compare.fid_overlay([("MLP", [{"iteration": 0, "elapsed": 0.0, "fid": 900.0}]), ("DCGAN", [])])
    assert fid.layout.yaxis.type == "log" and len(fid.data) == 1


def test_the_verdict_table_and_headline_name_the_winner():
    from gan.quality import QualityScore
    from gan.race import Contender, verdict
    from tests.conftest import tiny_config
    from ui import compare

    def side(label, fid, iterations):
        q = QualityScore(fid=fid, confidence=0.9, class_histogram=(0.1,) * 10, classes_covered=10, recognisable=0.8)
        return Contender(label, tiny_config(), q, params_g=10, params_d=10, iteration=iterations, elapsed=10.0)

    a, b = side("MLP GAN", 200.0, 1400), side("DCGAN", 80.0, 70)
    table = compare.verdict_table(verdict(a, b), ("MLP GAN", "DCGAN"))
    assert table[0] == {"": "Classifier FID (lower is better)", "MLP GAN": "200.0", "DCGAN": "80.0", "Better": "DCGAN"}
    text = compare.headline([a, b])
    assert text.startswith("**DCGAN** draws better digits") and "20x fewer iterations per second" in text
    assert compare.unique_labels(["run", "run"]) == ("run (A)", "run (B)")


def test_the_race_says_how_long_it_takes_on_the_clock_before_it_starts():
    at = open_compare()  # the default race: 90 s of training each, taking turns on one worker
    assert any("takes about 3 min 27 s on the clock" in c.value for c in at.caption)


def test_a_link_opens_the_races_projector_view():
    from tests.pages.conftest import open_page

    at = open_page(PAGE, view="projector")
    assert at.toggle(key=keys.Compare.PROJECTOR).value is True and not at.title and not at.warning
    assert [b.label for b in at.main.button] == ["Start race", "Stop"]
    at.toggle(key=keys.Compare.PROJECTOR).set_value(False).run()
    assert at.title and "view" not in at.query_params


def test_two_generators_of_different_images_are_compared_without_scores_that_do_not_compare(tmp_path, tiny):
    """A digit generator against one of shapes: the page says their scores do not compare, and the verdict leaves
    the quality rows out (the digit classifier scored the shapes before)."""
    from gan.checkpoint import save_checkpoint

    trainer = GANTrainer(tiny("dcgan", dataset="shapes", iterations=2), device="cpu")
    for _ in trainer.run():
        pass
    save_checkpoint(trainer.state_dict(), tmp_path / "runs" / "tiny-shapes" / "checkpoint.pt")
    at = open_compare(**{keys.Compare.MODE: "Two saved generators",
                         keys.Picker.source(keys.Compare.picker("b")): "Saved run"})
    assert not at.error and len(at.image) == 2
    assert [w.value for w in at.warning if "learnt different images" in w.value]
    criteria = list(at.table[0].value.iloc[:, 0])
    assert criteria[0] == "Speed (iterations/s)" and not any("FID" in c for c in criteria)
