"""A class presses Start at once: `python -m benchmarks.classroom --students 10` (issue 27).

Drives the server's own services (arena.scheduler's Scheduler, arena.worker's WorkerRunner and TrainJob, one worker
process per run) as the Train page does, without rendering pages: in a class the browsers run on the students' own
machines. Every student starts the fast classroom preset at the same moment. Printed:
- each student's time from Start to "ten digits": the fixed-noise grid the page shows holds all ten classes, each as
  at least one sample the bundled classifier reads with confidence >= 0.9; first, median and last;
- the server's response while they train: every 0.5 s the benchmark does what a page rerun of the Train page does
  with the run (copy its snapshot, build its loss chart, serialise it), and times it; median, 95th percentile and
  worst, against a 1 s answer;
- the same page work timed on the same runs once nobody trains any more, in the same run: the ratio says what the
  class costs a page.

`--browsers` runs the same class as it meets the app: the real server and one Chromium page per student on the same
machine, each pressing Start on the Train page's fast preset (benchmarks.classroom_pages). Each student's time comes
from the grid their page shows, and the page answers are an eleventh page's clicks on the Latent Explorer.

`--slots K --threads T` tries a sharing policy (default: the server's own plan, `arena.scheduler.plan_slots()`):
K runs train at once with T torch threads each, the rest wait in line. `--minutes` bounds the whole class.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, field

import torch

from arena.scheduler import Scheduler, SlotPlan, plan_slots
from arena.worker import TrainJob, WorkerRunner, warm_up
from gan.presets.train import LESSON_SECONDS, LESSONS
from gan.quality import RECOGNISABLE_CONFIDENCE, classify

POLL_S = 0.5
PAGE_ANSWER_S = 1.0  # the bound for a click


@dataclass
class Progress:
    """What one student has seen since pressing Start: when the grid first held ten digits, and how many classes each
    new grid held."""

    name: str
    started: float
    ten_digits_s: float | None = None
    classes_seen: list[int] = field(default_factory=list)

    def saw(self, samples: torch.Tensor, at: float) -> None:
        """A new grid (n, 1, 28, 28) in [-1, 1], shown at time.monotonic() `at`."""
        seen = ten_digits(samples)
        self.classes_seen.append(seen)
        if seen == 10 and self.ten_digits_s is None:
            self.ten_digits_s = at - self.started


@dataclass
class Student:
    runner: WorkerRunner
    progress: Progress
    last_samples_iteration: int | None = None


def ten_digits(samples: torch.Tensor) -> int:
    """How many of the ten classes the grid shows recognisably (at least one sample at confidence >= 0.9)."""
    labels, confidences = classify(samples)
    return len(set(labels[confidences >= RECOGNISABLE_CONFIDENCE].tolist()))


def page_work(runner: WorkerRunner) -> float:
    """Seconds for what a Train page rerun does with a run: its snapshot, its loss chart, the chart serialised."""
    from ui.charts import loss_figure

    started = time.perf_counter()
    snap = runner.snapshot()
    loss_figure(snap.records, snap.events).to_json()
    return time.perf_counter() - started


def start_class(students: int, plan: SlotPlan, runs_dir: str, iterations: int) -> list[Student]:
    scheduler = Scheduler(plan)
    config = LESSONS["fast"].config.replace(iterations=iterations)
    started = []
    for i in range(students):
        job = TrainJob(config=config, runs_dir=runs_dir, label=f"student-{i + 1:02d}")
        runner = WorkerRunner(job, gate=scheduler, settings=scheduler.settings, idle_timeout=float("inf"))
        started.append(Student(runner, Progress(f"student {i + 1}", time.monotonic())))
        runner.start()
    return started


def watch(students: list[Student], minutes: float) -> list[float]:
    """Poll every student like their open page until all show ten digits or time is up; the page-work timings."""
    deadline = time.monotonic() + minutes * 60
    answers: list[float] = []
    while time.monotonic() < deadline and any(s.progress.ten_digits_s is None for s in students):
        for student in students:
            answers.append(page_work(student.runner))
            snap = student.runner.snapshot()
            if student.progress.ten_digits_s is not None or snap.samples is None:
                continue
            if snap.sample_iteration != student.last_samples_iteration:
                student.last_samples_iteration = snap.sample_iteration
                student.progress.saw(torch.as_tensor(snap.samples).float(), time.monotonic())
        time.sleep(POLL_S)
    return answers


def report(mode: str, plan: SlotPlan, students: list[Progress], minutes: float) -> None:
    """The class's times to ten digits: first, median, last, and how many within the lesson's training time."""
    times = sorted(s.ten_digits_s for s in students if s.ten_digits_s is not None)
    missing = len(students) - len(times)
    print(f"mode: {mode}")
    print(f"plan: {plan.describe()}, workers at niceness {plan.niceness}; {len(students)} students on the fast "
          "classroom preset")
    if times:
        within = sum(t <= LESSON_SECONDS for t in times)
        print(f"time to ten digits: first {times[0]:.0f} s, median {statistics.median(times):.0f} s, "
              f"last {times[-1]:.0f} s" + (f"; {missing} not within {minutes:g} min" if missing else "")
              + f"; {within} of {len(students)} within {LESSON_SECONDS / 60:g} min")
    else:
        print(f"nobody showed ten digits within {minutes:g} min")
    for student in students:
        shown = f"{student.ten_digits_s:.0f} s" if student.ten_digits_s is not None else "—"
        print(f"  {student.name}: {shown} (classes on each new grid: {student.classes_seen[-8:]})")


def report_answers(what: str, answers: list[float], idle: float | None) -> None:
    """Median, 95th percentile and worst of `answers` (seconds), how many over PAGE_ANSWER_S, and the median against
    the `idle` one (None: not measured)."""
    if not answers:
        print(f"{what}: none measured")
        return
    ordered = sorted(answers)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    over = sum(a > PAGE_ANSWER_S for a in answers)
    against_idle = f"; median / idle = {statistics.median(answers) / idle:.1f}x" if idle else ""
    print(f"{what}: median {statistics.median(answers) * 1000:.0f} ms, 95th percentile {p95 * 1000:.0f} ms, "
          f"worst {ordered[-1] * 1000:.0f} ms; {over} of {len(answers)} over {PAGE_ANSWER_S:g} s{against_idle}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--slots", type=int, help="trainings at once (default: the server's plan)")
    parser.add_argument("--threads", type=int, help="torch threads per worker (default: the server's plan)")
    parser.add_argument("--minutes", type=float, default=6.0, help="stop watching after this long")
    parser.add_argument("--iterations", type=int, default=4000,
                        help="each run's budget (headless; --browsers runs the preset's link as it is)")
    parser.add_argument("--browsers", action="store_true",
                        help="the real server and one Chromium page per student, on this machine")
    parser.add_argument("--browser-niceness", type=int, default=0,
                        help="--browsers: run Chromium at this niceness, as the workers run, so that the server "
                             "comes first as it does when the browsers are the students' own machines")
    args = parser.parse_args(argv)
    default = plan_slots()
    plan = SlotPlan(slots=args.slots or default.slots, threads=args.threads or default.threads, gpus=default.gpus,
                    niceness=default.niceness)
    if args.browsers:
        from benchmarks.classroom_pages import run_class

        run_class(args.students, plan, args.minutes, slots=args.slots, threads=args.threads,
                  browser_niceness=args.browser_niceness)
        return
    warm_up()
    with tempfile.TemporaryDirectory(prefix="classroom-") as runs_dir:
        students = start_class(args.students, plan, runs_dir, args.iterations)
        try:
            answers = watch(students, args.minutes)
        finally:
            for student in students:
                student.runner.stop(wait=10)
        # The same page work with nobody training, on the same runs (their records kept): what the class cost a page
        idle_page_s = statistics.median(page_work(student.runner) for student in students for _ in range(3))
        report("headless (the server's services, no pages)", plan, [s.progress for s in students], args.minutes)
        report_answers("page work while training", answers, idle_page_s)


if __name__ == "__main__":
    main()
