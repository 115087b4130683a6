"""What a projector shows badly, read off the real page in Chromium: labels cut short with an ellipsis, and chart
legends that overlap their chart's title. Used by the browser tests; `python -m benchmarks.layout_check` prints
what it finds on every page at 1280x720."""

from __future__ import annotations

CUT_LABELS_JS = """() => {
  const cut = [];
  // The main area and the sidebar's own content (its page links hold an icon's ligature, wider than drawn).
  for (const el of document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebarUserContent"] *')) {
    const style = getComputedStyle(el);
    if (style.textOverflow !== 'ellipsis' && style.webkitLineClamp === 'none') continue;
    if (el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;  // not drawn (a closed expander, another tab)
    const text = el.textContent.trim();
    if (text) cut.push(text.slice(0, 80));
  }
  return [...new Set(cut)];
}"""

LEGEND_ON_TITLE_JS = """() => {
  const hits = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const title = plot.querySelector('.gtitle'), legend = plot.querySelector('.legend');
    if (!title || !legend) continue;
    const a = title.getBoundingClientRect(), b = legend.getBoundingClientRect();
    if (a.width === 0 || b.width === 0) continue;
    const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    if (overlap) hits.push(title.textContent.trim());
  }
  return hits;
}"""


def cut_labels(page) -> list[str]:
    """The texts on screen that end in an ellipsis because their box is too small."""
    return page.evaluate(CUT_LABELS_JS)


def legends_on_titles(page) -> list[str]:
    """The titles of the charts whose legend sits on the title."""
    return page.evaluate(LEGEND_ON_TITLE_JS)


def main() -> None:
    from playwright.sync_api import sync_playwright

    from benchmarks.live_app import launch_chromium, served_app

    with sync_playwright() as playwright, served_app(env={"OMP_NUM_THREADS": "1"}) as url:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/train")
        page.get_by_role("button", name="Start").click(timeout=120_000)
        page.get_by_text("Fixed noise").first.wait_for(timeout=120_000)
        page.wait_for_timeout(3000)
        for path in ("/train", "/explorer", "/compare", "/playground"):
            if path != "/train":
                page.goto(url + path)
                page.wait_for_timeout(8000)
            print(path, "cut:", cut_labels(page), "legend on title:", legends_on_titles(page))
        browser.close()


if __name__ == "__main__":
    main()
