"""UI overhead: `python -m ui.bench` prints the headless trainer's it/s and the same run's on an open Train page.

The page is driven in-process by Streamlit's AppTest, which reruns the *whole* page once a second (a browser only
reruns the live fragment), with every chart, the sample grid and the live quality score: a pessimistic stand-in
for a projector showing the page. The target is >= 90 % of the headless figure.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

from gan.config import preset
from gan.data import load_images
from gan.train import GANTrainer

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def headless_its(arch: str, seconds: float) -> float:
    trainer = GANTrainer(preset(arch, iterations=10**7), images=load_images("mnist-embedded")[0])
    records = trainer.run()
    next(records)  # warm-up
    start_iteration, started = trainer.iteration, time.perf_counter()
    while time.perf_counter() - started < seconds:
        next(records)
    return (trainer.iteration - start_iteration) / (time.perf_counter() - started)


def page_its(arch: str, seconds: float, refresh: float = 1.0) -> tuple[float, float]:
    """(iterations/s while the page refreshes every `refresh` s, mean seconds one page refresh takes)."""
    from streamlit.testing.v1 import AppTest

    os.environ.setdefault("GAN_ARENA_RUNS_DIR", tempfile.mkdtemp(prefix="gan-arena-bench-"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"preset": arch, "iterations": str(10**7)})
    at.run()
    at.switch_page("app_pages/train.py").run()
    next(b for b in at.button if b.label == "Start").click().run()
    while _iteration(at) < 20:
        time.sleep(refresh)
        at.run()
    first, started = _iteration(at), time.perf_counter()
    refreshes, spent = 0, 0.0
    while time.perf_counter() - started < seconds:
        time.sleep(refresh)
        t0 = time.perf_counter()
        at.run()
        spent += time.perf_counter() - t0
        refreshes += 1
    its = (_iteration(at) - first) / (time.perf_counter() - started)
    next(b for b in at.button if b.label == "Stop").click().run()
    return its, spent / max(refreshes, 1)


def _iteration(at) -> int:
    bars = at.get("progress")
    match = re.search(r"iteration ([\d,]+)", bars[0].proto.text) if bars else None
    return int(match.group(1).replace(",", "")) if match else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ui.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--arch", choices=("mlp", "dcgan"), default="mlp")
    args = parser.parse_args(argv)
    headless = headless_its(args.arch, args.seconds)
    with_page, refresh_cost = page_its(args.arch, args.seconds)
    print(f"{args.arch} defaults, headless trainer:      {headless:8.1f} it/s")
    print(f"{args.arch} defaults, Train page open:       {with_page:8.1f} it/s  "
          f"({with_page / headless:.0%} of headless; one full page refresh takes {refresh_cost * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
