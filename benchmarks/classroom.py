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
from gan.presets.train import LESSONS
from gan.quality import RECOGNISABLE_CONFIDENCE, classify

POLL_S = 0.5
PAGE_ANSWER_S = 1.0  # the bound for a click


@dataclass
class Student:
    name: str
    runner: WorkerRunner
    started: float
    ten_digits_s: float | None = None
    last_samples_iteration: int | None = None
    classes_seen: list[int] = field(default_factory=list)


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
        started.append(Student(f"student {i + 1}", runner, time.monotonic()))
        runner.start()
    return started


def watch(students: list[Student], minutes: float) -> list[float]:
    """Poll every student like their open page until all show ten digits or time is up; the page-work timings."""
    deadline = time.monotonic() + minutes * 60
    answers: list[float] = []
    while time.monotonic() < deadline and any(s.ten_digits_s is None for s in students):
        for student in students:
            answers.append(page_work(student.runner))
            snap = student.runner.snapshot()
            if student.ten_digits_s is not None or snap.samples is None:
                continue
            if snap.sample_iteration != student.last_samples_iteration:
                student.last_samples_iteration = snap.sample_iteration
                seen = ten_digits(torch.as_tensor(snap.samples).float())
                student.classes_seen.append(seen)
                if seen == 10:
                    student.ten_digits_s = time.monotonic() - student.started
        time.sleep(POLL_S)
    return answers


def report(students: list[Student], answers: list[float], idle_page_s: float, plan: SlotPlan, minutes: float) -> None:
    times = sorted(s.ten_digits_s for s in students if s.ten_digits_s is not None)
    missing = len(students) - len(times)
    print(f"plan: {plan.describe()}; {len(students)} students on the fast classroom preset")
    if times:
        print(f"time to ten digits: first {times[0]:.0f} s, median {statistics.median(times):.0f} s, "
              f"last {times[-1]:.0f} s" + (f"; {missing} not within {minutes:g} min" if missing else ""))
    else:
        print(f"nobody showed ten digits within {minutes:g} min")
    for student in students:
        shown = f"{student.ten_digits_s:.0f} s" if student.ten_digits_s is not None else "—"
        print(f"  {student.name}: {shown} (classes on each new grid: {student.classes_seen[-8:]})")
    if answers:
        ordered = sorted(answers)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        over = sum(a > PAGE_ANSWER_S for a in answers)
        print(f"page work while training: median {statistics.median(answers) * 1000:.0f} ms, 95th percentile "
              f"{p95 * 1000:.0f} ms, worst {ordered[-1] * 1000:.0f} ms; {over} of {len(answers)} over "
              f"{PAGE_ANSWER_S:g} s; median / idle = {statistics.median(answers) / idle_page_s:.1f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--slots", type=int, help="trainings at once (default: the server's plan)")
    parser.add_argument("--threads", type=int, help="torch threads per worker (default: the server's plan)")
    parser.add_argument("--minutes", type=float, default=6.0, help="stop watching after this long")
    parser.add_argument("--iterations", type=int, default=4000, help="each run's budget")
    args = parser.parse_args(argv)
    default = plan_slots()
    plan = SlotPlan(slots=args.slots or default.slots, threads=args.threads or default.threads, gpus=default.gpus)
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
        report(students, answers, idle_page_s, plan, args.minutes)


if __name__ == "__main__":
    main()
