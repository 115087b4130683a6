"""UI overhead: `python -m benchmarks.train_page` prints the headless trainer's it/s and the same run's with the Train page open
in Chromium (a real server, a real browser, the live fragment redrawing every second), back to back.

The training runs in a worker process with the scheduler's threads; the headless figure uses the same number of
torch threads, so the ratio is what the open page costs. The target is >= 90 %.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time

import torch

from arena.scheduler import plan_slots
from benchmarks.live_app import launch_chromium, served_app
from gan.config import preset
from gan.data import load_images
from gan.train import GANTrainer


def headless_its(arch: str, seconds: float, threads: int) -> float:
    torch.set_num_threads(threads)
    trainer = GANTrainer(preset(arch, iterations=10**7), images=load_images("mnist-embedded")[0])
    records = trainer.run()
    next(records)  # warm-up
    start_iteration, started = trainer.iteration, time.perf_counter()
    while time.perf_counter() - started < seconds:
        next(records)
    return (trainer.iteration - start_iteration) / (time.perf_counter() - started)


def page_its(arch: str, seconds: float, rounds: int, headless: list[float], threads: int) -> list[float]:
    """Iterations/s of the same run started from the Train page and watched in Chromium at 1280x720, `rounds`
    times; before each, the headless figure again (appended to `headless`): this VM's speed drifts by 10-20 %
    between minutes, so each page figure is compared with the headless one measured just before it."""
    from playwright.sync_api import expect, sync_playwright

    env = {"GAN_ARENA_RUNS_DIR": tempfile.mkdtemp(prefix="gan-arena-bench-")}
    figures = []
    with served_app(env=env) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for _ in range(rounds):
            headless.append(headless_its(arch, seconds, threads))
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{url}/train?preset={arch}&iterations={10**7}")
            page.get_by_role("button", name="Start").click()
            progress = page.get_by_test_id("stProgress").first
            expect(progress).to_contain_text("Training", timeout=180_000)
            while _iteration(progress.inner_text()) < 50:  # past the start-up
                time.sleep(0.5)
            first, started = _iteration(progress.inner_text()), time.perf_counter()
            time.sleep(seconds)
            figures.append((_iteration(progress.inner_text()) - first) / (time.perf_counter() - started))
            page.close()  # the tab closes: the server ends the worker
            time.sleep(3)
        browser.close()
    return figures


def _iteration(text: str) -> int:
    match = re.search(r"iteration ([\d,]+)", text)
    return int(match.group(1).replace(",", "")) if match else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_page", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--arch", choices=("mlp", "dcgan"), default="mlp")
    args = parser.parse_args(argv)
    threads = plan_slots().threads
    headless: list[float] = []
    with_page = page_its(args.arch, args.seconds, args.rounds, headless, threads)
    for index, (alone, watched) in enumerate(zip(headless, with_page), 1):
        print(f"round {index}: {args.arch} defaults, {threads} torch thread(s): headless {alone:6.1f} it/s, "
              f"worker with the Train page open in Chromium {watched:6.1f} it/s ({watched / alone:.0%})")
    ratios = sorted(w / h for h, w in zip(headless, with_page))
    print(f"median: the Train page open keeps {ratios[len(ratios) // 2]:.0%} of the headless it/s")


if __name__ == "__main__":
    main()
