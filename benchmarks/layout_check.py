"""What a projector shows badly, read off the real page in Chromium as a person sees it: labels cut short with an
ellipsis, chart legends on their chart's title, chart text (titles, ticks, legends, annotations) cut at the chart's
edge or drawn over other chart text, and widget values too wide for their box. Each check returns what it finds as
sentences (an empty list: nothing wrong). Used by the browser tests; `python -m benchmarks.layout_check` prints what
it finds on every page at 1280x720."""

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

# Drawn: a closed expander's content keeps its boxes in Chromium (content-visibility); checkVisibility sees it.
SHOWN_JS = """
const shown = el => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && el.checkVisibility();
};
"""

# Plotly's SVG text, by what a reader takes it for, measured by its letters. The hover layer is left out: it only
# shows under the mouse.
CHART_TEXT_JS = SHOWN_JS + """
const CHART_TEXT = [  // the first name that fits a text is its name
  ['title', '.gtitle'], ['legend', '.legendtext, .legendtitletext'], ['annotation', '.annotation-text'],
  ['axis title', '.infolayer g[class$="title"] > text'],  // the axes' (g-xtitle, g-y2title) and a colour bar's
  ['tick', 'g[class$="tick"] > text'], ['bar label', '.bartext'],
];
const ctx = document.createElement('canvas').getContext('2d');
// The box of the letters. An SVG text's box is its font's whole line box, with room for accents above and for
// descenders below that most texts do not use (a tick '0' inks 11 of its 20 px): boxes that touch are not yet
// letters that touch. The canvas measures the same font; its ratios trim the box, along the text's own "up".
const ink = el => {
  const style = getComputedStyle(el), box = el.getBoundingClientRect(), turn = el.getScreenCTM();
  ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const m = ctx.measureText(el.textContent), font = m.fontBoundingBoxAscent + m.fontBoundingBoxDescent;
  const above = Math.max(0, m.fontBoundingBoxAscent - m.actualBoundingBoxAscent) / font;
  const below = Math.max(0, m.fontBoundingBoxDescent - m.actualBoundingBoxDescent) / font;
  let {left, top, right, bottom} = box;
  if (Math.abs(turn.d) >= Math.abs(turn.c)) {  // upright (d > 0) or upside down
    const [a, b] = turn.d > 0 ? [above, below] : [below, above];
    [top, bottom] = [top + a * box.height, bottom - b * box.height];
  } else {  // turned a quarter: up is to the left (c > 0, a y axis title) or to the right
    const [a, b] = turn.c > 0 ? [above, below] : [below, above];
    [left, right] = [left + a * box.width, right - b * box.width];
  }
  // A label turned by 30 degrees: its box is far larger than its letters.
  return {left, top, right, bottom, slanted: Math.abs(turn.a * turn.b) > 1e-3 * (turn.a ** 2 + turn.b ** 2)};
};
const lines = el => { const l = el.querySelectorAll('tspan.line'); return l.length ? [...l] : [el]; };
// Every chart: {plot, name (its title), texts: [{el, what, text, ink}]}, each line of a title apart (a short last
// line leaves room beside it, which a legend may take).
const chartTexts = () => [...document.querySelectorAll('.js-plotly-plot')].map((plot, i) => {
  const title = plot.querySelector('.gtitle'), texts = [], named = new Set();
  for (const [what, selector] of CHART_TEXT)
    for (const el of plot.querySelectorAll(selector)) {
      if (named.has(el) || el.closest('.hoverlayer')) continue;
      named.add(el);
      for (const line of lines(el))
        if (shown(line) && line.textContent.trim())
          texts.push({el, what, text: line.textContent.trim(), ink: ink(line)});
    }
  const name = title ? lines(title).map(l => l.textContent.trim()).join(' ') : `chart ${i + 1}`;
  return {plot, name, texts};
});
"""

CLIPPED_CHART_TEXT_JS = "() => {" + CHART_TEXT_JS + """
  const cut = [];
  for (const {plot, name, texts} of chartTexts()) {
    // What shows of the chart: its SVG (which hides what it does not hold), within every box that hides overflow,
    // up to the box the page scrolls in (what lies beyond that is scrolled out of view, not cut).
    let {left, top, right, bottom} = plot.querySelector('.main-svg').getBoundingClientRect();
    for (let el = plot; el; el = el.parentElement) {
      const style = getComputedStyle(el);
      if (/auto|scroll/.test(style.overflowX + style.overflowY)) break;
      const r = el.getBoundingClientRect();
      if (/hidden|clip/.test(style.overflowX)) [left, right] = [Math.max(left, r.left), Math.min(right, r.right)];
      if (/hidden|clip/.test(style.overflowY)) [top, bottom] = [Math.max(top, r.top), Math.min(bottom, r.bottom)];
    }
    for (const {what, text, ink} of texts) {
      const sides = {left: left - ink.left, right: ink.right - right, top: top - ink.top, bottom: ink.bottom - bottom};
      for (const [side, px] of Object.entries(sides))  // more than a pixel of sub-pixel rounding
        if (px > 1) cut.push(`${name}: ${what} '${text}' cut at the ${side} (${Math.round(px)} px)`);
    }
  }
  return cut;
}"""

OVERLAPPING_CHART_TEXT_JS = "() => {" + CHART_TEXT_JS + """
  const hits = [];
  const meet = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1  // more than a pixel each way
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  for (const {plot, name, texts} of chartTexts()) {
    // Slanted labels are left out: their boxes overlap their neighbours' where their letters do not.
    const upright = texts.filter(t => !t.ink.slanted);
    for (const [i, a] of upright.entries())
      for (const b of upright.slice(i + 1))
        if (a.el !== b.el && meet(a.ink, b.ink))
          hits.push(`${name}: ${a.what} '${a.text}' overlaps ${b.what} '${b.text}'`);
    // A legend's filled box hides the text drawn before it (earlier in the SVG) under it: tick labels turned
    // upright ran under it, '500' read '50'.
    for (const bg of plot.querySelectorAll('.legend > .bg')) {
      const style = getComputedStyle(bg);
      if (!shown(bg) || style.fill === 'none' || !(parseFloat(style.fillOpacity) > 0)) continue;
      const box = bg.getBoundingClientRect();
      for (const t of texts)
        if (t.el.compareDocumentPosition(bg) & Node.DOCUMENT_POSITION_FOLLOWING && meet(t.ink, box))
          hits.push(`${name}: ${t.what} '${t.text}' under the legend`);
    }
  }
  return hits;
}"""

CUT_WIDGET_VALUES_JS = "() => {" + SHOWN_JS + """
  const cut = [];
  const name = el => {
    const widget = el.closest('[data-testid="stSelectbox"], [data-testid="stMultiSelect"], [data-testid="stSlider"],'
      + ' [data-testid="stNumberInput"], [data-testid="stTextInput"], [data-testid="stDateInput"]');
    const label = widget && widget.querySelector('[data-testid="stWidgetLabel"]');
    return (label && label.textContent.trim()) || el.getAttribute('aria-label') || 'a widget';
  };
  const wider = el => shown(el) && el.scrollWidth > el.clientWidth + 1;  // what it holds against what it shows
  const inside = selector => document.querySelectorAll(
    `:is([data-testid="stMain"], [data-testid="stSidebarUserContent"]) ${selector}`);
  // A value in a text box (a selectbox's choice, a number, a text): an input shows no ellipsis, its value just stops.
  for (const input of inside('input:is([type="text"], [type="number"], :not([type]))'))
    if (input.value && wider(input))
      cut.push(`${name(input)}: '${input.value}' needs ${input.scrollWidth} px, has ${input.clientWidth}`);
  // A multiselect's choices: a tag cut short, or tags scrolled out of a box that does not wrap.
  for (const tag of inside('[data-tag] [title]')) if (wider(tag)) cut.push(`${name(tag)}: '${tag.title}' cut short`);
  for (const box of inside('[data-testid="stMultiSelectTagsContainer"]'))
    if (wider(box)) cut.push(`${name(box)}: some choices scrolled out of the box`);
  // A slider's value over its thumb: past the slider's own box it runs into the next column, or off the page.
  for (const value of inside('[data-testid="stSliderThumbValue"]')) {
    if (!shown(value)) continue;
    const v = value.getBoundingClientRect(), s = value.closest('[data-testid="stSlider"]').getBoundingClientRect();
    if (v.left < s.left - 1 || v.right > s.right + 1 || wider(value))
      cut.push(`${name(value)}: '${value.textContent.trim()}' past the slider's edge`);
  }
  return cut;
}"""


def cut_labels(page) -> list[str]:
    """The texts on screen that end in an ellipsis because their box is too small."""
    return page.evaluate(CUT_LABELS_JS)


def legends_on_titles(page) -> list[str]:
    """The titles of the charts whose legend sits on the title."""
    return page.evaluate(LEGEND_ON_TITLE_JS)


def clipped_chart_text(page) -> list[str]:
    """Chart text that reaches past the chart's edge, where the SVG (or a box around it) cuts it off."""
    return page.evaluate(CLIPPED_CHART_TEXT_JS)


def overlapping_chart_text(page) -> list[str]:
    """Pairs of chart texts drawn over each other: a title on a legend, an axis title on its ticks, piled-up labels."""
    return page.evaluate(OVERLAPPING_CHART_TEXT_JS)


def cut_widget_values(page) -> list[str]:
    """Widget values wider than their box: a selectbox's or an input's value, a multiselect's tags, a slider's value."""
    return page.evaluate(CUT_WIDGET_VALUES_JS)


CHECKS = {"cut label": cut_labels, "legend on title": legends_on_titles, "chart text cut": clipped_chart_text,
          "chart text overlap": overlapping_chart_text, "widget value cut": cut_widget_values}


def layout_problems(page) -> list[str]:
    """Every check's findings, each prefixed with the check's name."""
    return [f"{name}: {found}" for name, check in CHECKS.items() for found in check(page)]


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
            print(path)
            for problem in layout_problems(page) or ["nothing wrong"]:
                print("   ", problem)
        browser.close()


if __name__ == "__main__":
    main()
