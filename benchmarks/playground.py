"""`python -m benchmarks.playground`: iterations/s of the 2-D playground's trainer, headless and with the page open.

Headless is `gan.train.toy.headless_its` (the trainer alone, refreshing its live picture every 0.2 s as it does for the
page). "Page open" drives the playground in-process with Streamlit's AppTest, rerunning the *whole* page every
0.2 s (a browser reruns only the plane's fragment that often, and the curves' once a second). `--browser` instead
serves the app and opens the page in the system Chromium on the same machine (its drawing then competes for the
same cores, as on a teacher's laptop). The target is >= 50 % of headless, which must be >= 200 it/s on 2 cores.

After every script run, fragment reruns included, Streamlit forces a full garbage collection (the hidden option
`runner.postScriptGC`); with torch, plotly and Streamlit loaded that walks ~400k objects, ~100 ms holding the GIL,
five times a second here. `--no-post-script-gc` measures the app with `[runner] postScriptGC = false`.
"""

from __future__ import annotations

import argparse
import re
import time

from benchmarks.live_app import ROOT, launch_chromium, served_app
from gan.presets.playground import LESSONS, lesson
from gan.train.toy import headless_its
from ui import keys

PAGE = "app_pages/playground.py"


def page_its(preset: str, seconds: float, refresh: float = 0.2, post_script_gc: bool = True) -> tuple[float, float]:
    """(iterations/s while the page refreshes every `refresh` s, mean seconds one page refresh takes)."""
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    config.set_option("runner.postScriptGC", post_script_gc)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key=keys.Playground.PRESET).set_value(preset).run()
    at.number_input(key=keys.Playground.field("iterations")).set_value(10**7).run()
    next(b for b in at.button if b.label == "Start").click().run()
    while _iteration(at) < 50:
        time.sleep(refresh)
        at.run()
    first, started = _iteration(at), time.perf_counter()
    refreshes, spent = 0, 0.0
    while time.perf_counter() - started < seconds:
        time.sleep(max(0.0, refresh - (spent / refreshes if refreshes else 0.0)))
        t0 = time.perf_counter()
        at.run()
        spent += time.perf_counter() - t0
        refreshes += 1
    its = (_iteration(at) - first) / (time.perf_counter() - started)
    next(b for b in at.button if b.label == "Stop").click().run()
    return its, spent / max(refreshes, 1)


def browser_its(preset: str, seconds: float, post_script_gc: bool = True) -> float:
    """Iterations/s with the page open in the system Chromium (headless), served by `streamlit run`."""
    from playwright.sync_api import sync_playwright

    options = (f"--runner.postScriptGC={str(post_script_gc).lower()}",)
    with served_app(options=options) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            tab = browser.new_page(viewport={"width": 1500, "height": 1400})
            tab.goto(f"{url}/playground")
            tab.wait_for_selector(".js-plotly-plot", timeout=60_000)
            main_block = tab.get_by_test_id("stMainBlockContainer")
            if preset != next(iter(LESSONS)):
                tab.get_by_test_id("stSelectbox").first.click()
                tab.get_by_text(lesson(preset).name, exact=True).click()
                tab.wait_for_timeout(1000)
            main_block.get_by_role("button", name="Start").click()

            def iteration() -> int:
                match = re.search(r"iteration ([\d,]+)", tab.get_by_test_id("stProgress").inner_text())
                return int(match.group(1).replace(",", ""))

            tab.wait_for_timeout(5000)  # warm-up
            first, started = iteration(), time.perf_counter()
            tab.wait_for_timeout(seconds * 1000)
            its = (iteration() - first) / (time.perf_counter() - started)
            main_block.get_by_role("button", name="Stop").click()
            return its
        finally:
            browser.close()


def _iteration(at) -> int:
    bars = at.get("progress")
    match = re.search(r"iteration ([\d,]+)", bars[0].proto.text) if bars else None
    return int(match.group(1).replace(",", "")) if match else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.playground", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--preset", choices=list(LESSONS), default="ring")
    parser.add_argument("--browser", action="store_true", help="open the page in the system Chromium instead")
    parser.add_argument("--no-post-script-gc", action="store_true",
                        help="serve with runner.postScriptGC = false (no forced full GC after each rerun)")
    args = parser.parse_args(argv)
    gc_note = "postScriptGC off" if args.no_post_script_gc else "postScriptGC on"
    headless, coverage = headless_its(lesson(args.preset).config, args.seconds)
    print(f"{args.preset}, headless trainer:             {headless:8.1f} it/s  (mode coverage at the end: "
          f"{coverage:.0%})")
    if args.browser:
        with_page = browser_its(args.preset, args.seconds, post_script_gc=not args.no_post_script_gc)
        print(f"{args.preset}, page open in Chromium:        {with_page:8.1f} it/s  ({with_page / headless:.0%} of "
              f"headless; {gc_note})")
    else:
        with_page, refresh_cost = page_its(args.preset, args.seconds, post_script_gc=not args.no_post_script_gc)
        print(f"{args.preset}, page open (AppTest):          {with_page:8.1f} it/s  ({with_page / headless:.0%} of "
              f"headless; one full page refresh takes {refresh_cost * 1000:.0f} ms; {gc_note})")


if __name__ == "__main__":
    main()
