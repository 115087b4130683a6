"""`python -m benchmarks.first_paint`: how soon a freshly started server draws Home in Chromium.

Each round starts a new server and a new browser and times from the request for the root URL to Home's heading.
The baseline is a one-line Streamlit app (a title, nothing else) served and timed the same way in the same run:
what Streamlit's own front end costs on this machine, which no app can beat. Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from benchmarks.live_app import first_paint_seconds, served_app

BASELINE_APP = 'import streamlit as st\nst.title("GAN Arena")\n'


def measure(main: Path, rounds: int, playwright) -> list[float]:
    times = []
    for _ in range(rounds):
        with served_app(main) as url:  # a fresh server each round: the first request is the one that was slow
            times.append(first_paint_seconds(url + "/", "GAN Arena", playwright))
    return times


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(prog="python -m benchmarks.first_paint", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    baseline_app = Path(tempfile.mkdtemp(prefix="gan-arena-baseline-")) / "app.py"
    baseline_app.write_text(BASELINE_APP)
    with sync_playwright() as playwright:
        baseline = measure(baseline_app, args.rounds, playwright)
        arena = measure(Path(__file__).resolve().parent.parent / "app.py", args.rounds, playwright)
    b, a = statistics.median(baseline), statistics.median(arena)
    print(f"first paint of Home on a fresh server, Chromium headless, median of {args.rounds}:")
    print(f"  one-line Streamlit app (baseline) {b:6.2f} s   {', '.join(f'{t:.2f}' for t in baseline)}")
    print(f"  GAN Arena Home                    {a:6.2f} s   {', '.join(f'{t:.2f}' for t in arena)}")
    print(f"  GAN Arena / baseline              {a / b:6.2f}x  (GAN Arena adds {1000 * (a - b):+.0f} ms)")


if __name__ == "__main__":
    main()
