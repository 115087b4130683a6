"""`python -m benchmarks.lessons [slug ...]`: the figures behind the modern GAN lab's lessons (issue 15);
`python -m benchmarks.lessons --cures`: each failure lesson with its alert's one-click cure applied when it shows.

Each lesson trains headless, seed 0, fp32, beside the run it is about (the same config without its technique), and
prints the classifier scores of 500 samples every `--every` iterations: FID, KID (x1000), precision, recall, D(G(z)),
and for a data fraction D's accuracy on its training digits and on held-out ones. The lessons' comments in
`gan/presets/train.py` quote these figures; minutes of CPU per lesson on 2 cores, so run it on an idle machine.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

from arena.scoring import live_scores, score_every
from gan.config import Config
from gan.diagnose import apply_remedy, diagnose
from gan.presets.train import LESSONS
from gan.quality import score_generator
from gan.train.gan import GANTrainer

# slug -> (iterations, what the lesson is set against); the iterations are those the comments quote.
BASELINES = {
    "spectral-norm": (2_400, dict(spectral_norm=False)),
    "hinge": (3_000, dict(objective="bce")),
    "wgan-gp": (2_000, None),  # no twin: the lesson is the critic's estimate falling with the FID
    "ema": (3_000, None),  # its twin is G itself, scored beside the average in the same run
    "ttur": (3_000, dict(lr_d=2e-4)),
    "memorise": (3_000, None),
    "diffaugment": (3_000, dict(diffaugment="off")),
}


def scored_run(name: str, config: Config, every: int) -> None:
    trainer = GANTrainer(config)
    started = time.perf_counter()
    rows = []
    for record in trainer.run():
        if record.iteration % every and not trainer.finished():
            continue
        score = score_generator(trainer.shown_generator)
        row = (f"it {record.iteration:>5,}  FID {score.fid:7.1f}  KID {score.kid:6.1f}  P {score.precision:.2f}  "
               f"R {score.recall:.2f}  D(G(z)) {record.d_fake:.3f}  D loss {record.d_loss:7.3f}")
        if config.g_ema:
            row += f"  FID of G itself {score_generator(trainer.G).fid:7.1f}"
        held = trainer.memorisation()
        if held:
            row += f"  D right on its digits {held['d_acc_trained_on']:.0%}, on held-out {held['d_acc_held_out']:.0%}"
        rows.append(row)
    print(f"== {name} ({time.perf_counter() - started:.0f} s)")
    print("\n".join("   " + row for row in rows), flush=True)


# The lessons whose alert offers a cure: each must clear it and bring digits within the lesson's iterations.
CURED_LESSONS = ("strong-d", "saturating", "mode-collapse")


@dataclass
class CuredRun:
    """A failure lesson run headless, its alert's cure applied at the first quality point that shows the alert."""

    cure: tuple = ()  # the remedy applied, (setting, value) pairs
    cured_at: int | None = None  # the iteration it was applied at
    points: list[dict] = field(default_factory=list)  # every quality point, with the alerts then ('alerts')


def cured_run(slug: str, *, after: int) -> CuredRun:
    """Train lesson `slug` as its page would (seed, fp32, quality every score_every iterations), apply the first
    alert's remedy live when it shows, and train `after` more iterations (or to the lesson's end)."""
    config = LESSONS[slug].config.replace(seconds=None, precision="fp32")
    trainer, every, result = GANTrainer(config), score_every(config), CuredRun()
    records: list[dict] = []
    for record in trainer.run():
        records.append(record.metrics())
        if record.iteration % every:
            continue
        point = {"iteration": record.iteration, **live_scores(trainer)}
        knobs = {"lr_g": trainer.lr_g, "lr_d": trainer.lr_d, "d_steps": trainer.d_steps}
        alerts = diagnose(records, [*result.points, point], g_loss=trainer.config.g_loss, knobs=knobs)
        result.points.append({**point, "alerts": [a.key for a in alerts]})
        if result.cured_at is None and alerts and alerts[0].remedy:
            result.cure, result.cured_at = alerts[0].remedy, record.iteration
            apply_remedy(trainer, alerts[0].remedy)  # what the alert's Apply button sends the run
        if result.cured_at is not None and record.iteration >= result.cured_at + after:
            break
    return result


def print_cures() -> None:
    for slug in CURED_LESSONS:
        started = time.perf_counter()
        run = cured_run(slug, after=LESSONS[slug].config.iterations)
        print(f"== {slug}: cure {dict(run.cure)} at iteration {run.cured_at} ({time.perf_counter() - started:.0f} s)")
        for p in run.points:
            print(f"   it {p['iteration']:>5,}  recognisable {p['recognisable']:.2f}  digits {p['classes_covered']:>2}"
                  f"  alerts {', '.join(p['alerts']) or '-'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Checked below, not with `choices`: Python 3.11's argparse checks an empty `nargs="*"` list against them.
    parser.add_argument("slugs", nargs="*", metavar="slug", help=f"default: every lesson ({', '.join(BASELINES)})")
    parser.add_argument("--every", type=int, default=500, help="score every this many iterations")
    parser.add_argument("--cures", action="store_true", help="the failure lessons with their alerts' cures")
    args = parser.parse_args()
    if args.cures:
        return print_cures()
    unknown = sorted(set(args.slugs) - set(BASELINES))
    if unknown:
        parser.error(f"no lesson {', '.join(unknown)}; the lessons are {', '.join(BASELINES)}")
    for slug in args.slugs or list(BASELINES):
        iterations, baseline = BASELINES[slug]
        config = LESSONS[slug].config.replace(iterations=iterations, seconds=None, precision="fp32", seed=0)
        scored_run(slug, config, args.every)
        if baseline is not None:
            scored_run(f"{slug} without it: {baseline}", config.replace(**baseline), args.every)


if __name__ == "__main__":
    main()
