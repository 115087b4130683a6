"""Every guided tour's watched moments, run headless with the tour's seed and presets: when each came, in iterations
and seconds, against the iterations its step allows.

    python -m benchmarks.tours [--tour first-gan]

A tour is walked as a student would: a step's preset starts a fresh run of it (seed of the tour), a step's live
change is made on the running trainer the moment the step begins (right after the previous moment came), and each
watched moment is waited for with the app's own check (gan.watch) on what the app's worker would publish: the
records, the live quality points every arena.scoring.score_every iterations (the playground: its picture's
coverage), and the live changes. tests/gan/test_tours.py runs it for every tour.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import torch

from arena.scoring import live_scores, score_every
from gan.diagnose import apply_remedy, diagnose
from gan.presets.tours import TOURS, Step, Tour
from gan.watch import CHECKS, Seen

TOY_VIEW_EVERY = 100  # iterations between the playground's pictures (the app takes one every ~0.2 s of training)


@dataclass
class Moment:
    tour: str
    step: str
    reached: bool
    iteration: int
    """The run's iteration when it came (or when the step's iterations ran out)."""
    allowed: int
    """The iteration by which the step allowed it."""
    seconds: float
    """Seconds of training of this run when it came."""
    text: str
    alerts: tuple[tuple[str, tuple], ...] = ()
    """The app's alerts on the run at that moment, each with its one-click cure (gan.diagnose)."""


class _Run:
    """One preset's trainer, stepped record by record, with what the app would publish of it."""

    def __init__(self, page: str, preset: str, seed: int):
        self.page = page
        if page == "playground":
            from gan.presets.playground import LESSONS as TOY_LESSONS
            from gan.train.toy import ToyTrainer

            self.trainer = ToyTrainer(TOY_LESSONS[preset].config.replace(seed=seed, iterations=10**7))
            self.every = TOY_VIEW_EVERY
        else:
            from gan.presets.train import LESSONS
            from gan.train import build_trainer

            config = LESSONS[preset].config.replace(seed=seed, iterations=10**7, seconds=None, device="cpu")
            self.trainer = build_trainer(config)
            self.every = score_every(config)
        self.records: list[dict] = []
        self.quality: list[dict] = []
        self.steps = self.trainer.run()

    def seen(self) -> Seen:
        return Seen(records=self.records, quality=self.quality, events=list(self.trainer.events))

    def alerts(self) -> tuple[tuple[str, tuple], ...]:
        """What the Train page's alerts say now, with their cures (none on the playground's toy game)."""
        if self.page == "playground":
            return ()
        trainer = self.trainer
        knobs = {"lr_g": trainer.lr_g, "lr_d": trainer.lr_d, "d_steps": trainer.d_steps}
        found = diagnose(self.records, self.quality, g_loss=trainer.config.g_loss, knobs=knobs)
        return tuple((alert.key, alert.remedy) for alert in found)

    def advance(self) -> None:
        record = next(self.steps)
        self.records.append(record.metrics())
        if record.iteration // self.every > (self.records[-2]["iteration"] if len(self.records) > 1 else 0) // self.every:
            if self.page == "playground":
                self.trainer.refresh_view()
                self.quality = list(self.trainer.metric_history)
            else:
                self.quality.append({"iteration": record.iteration, **live_scores(self.trainer)})


def walk(slug: str, tour: Tour) -> list[Moment]:
    """Walk `tour`'s steps in order; one Moment per watched step."""
    run: _Run | None = None
    moments = []
    for step in tour.steps:
        page = step.page or tour.page
        if step.setup.preset and step.setup.start:
            run = _Run(page, step.setup.preset, tour.seed)
        if step.setup.knobs and run is not None:
            apply_remedy(run.trainer, step.setup.knobs)
        if step.watch is not None and run is not None:
            moments.append(_wait(slug, step, run))
    return moments


def _wait(slug: str, step: Step, run: _Run) -> Moment:
    watch = step.watch
    assert watch is not None
    start = run.seen().changed_at() if step.setup.knobs else 0
    allowed = (start or 0) + watch.within
    check = CHECKS[watch.check]
    while True:
        sighting = check(run.seen(), **watch.args)
        iteration = run.records[-1]["iteration"] if run.records else 0
        if sighting.reached or iteration >= allowed:
            text = (watch.seen if sighting.reached else watch.instead).format(**sighting.numbers)
            return Moment(slug, step.title, sighting.reached, iteration, allowed,
                          run.records[-1]["elapsed"] if run.records else 0.0, text, run.alerts())
        run.advance()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tour", choices=list(TOURS), action="append", help="only this tour (repeatable)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as a worker on a shared server runs
    for slug in args.tour or list(TOURS):
        started = time.perf_counter()
        for moment in walk(slug, TOURS[slug]):
            mark = "reached" if moment.reached else "NOT reached"
            print(f"{slug:16s} {moment.step:28s} {mark} at iteration {moment.iteration:>6,} of {moment.allowed:>6,} "
                  f"({moment.seconds:5.1f} s of training)\n    {moment.text}\n    alerts then: "
                  f"{', '.join(key for key, _ in moment.alerts) or '-'}")
        print(f"{slug:16s} walked in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
