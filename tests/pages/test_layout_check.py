"""The layout checks of benchmarks/layout_check.py find what they are for: each on a page made to show the defect
(a real Plotly chart drawn by plotly.js, widgets shaped like Streamlit's), and none on the same page laid out well.
No server: the page is set in the browser directly, so these run in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import plotly.graph_objects as go
import pytest

from benchmarks.layout_check import (
    clipped_chart_text,
    cut_widget_values,
    layout_problems,
    legends_on_titles,
    overlapping_chart_text,
)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def losses(**layout) -> go.Figure:
    """A small loss chart laid out like the app's: title at the left, legend under the x axis's title. The template is
    named: importing Streamlit makes its own the default, with other fonts and margins."""
    x = [0, 500, 1000, 1500, 2000]
    fig = go.Figure([go.Scatter(x=x, y=[1, 0.8, 1.2, 0.9, 1.1], name="D loss"),
                     go.Scatter(x=x, y=[0.7, 1.3, 0.9, 1.0, 0.8], name="G loss")])
    fig.update_layout(template="plotly_white", width=400, height=320, title=dict(text="Losses", x=0, xanchor="left"),
                      xaxis_title="iteration", yaxis_title="loss", margin=dict(b=90),
                      legend=dict(orientation="h", x=0, y=-0.3, yanchor="top"))
    return fig.update_layout(**layout)


def marked(*iterations: int) -> go.Figure:
    """The chart with the app's markers of live changes: dashed lines, each labelled along the line."""
    fig = losses()
    for x in iterations:
        fig.add_vline(x=x, annotation=dict(text="lr_d ×2", textangle=-90), annotation_position="top left")
    return fig


# Both at the plot's top left corner, above it.
LEGEND_ON_TITLE = dict(legend=dict(x=0, y=1, yanchor="bottom"),
                       title=dict(text="Losses", xref="paper", x=0, yref="paper", y=1, yanchor="bottom"))


def show(page, fig: go.Figure, box_width: int | None = None) -> None:
    """Draw `fig` with plotly.js, in a box of `box_width` px that hides what overflows it (None: no such box)."""
    style = f"width: {box_width}px; overflow: hidden" if box_width else ""
    page.set_content(f'<div style="{style}"><div id="chart"></div></div>')
    page.add_script_tag(path=str(PLOTLY_JS))
    page.evaluate("""async f => {
      await Plotly.newPlot('chart', f.data, f.layout);
      // Plotly makes room for the legend and the ticks in later passes, after its promise: wait until nothing moves.
      const boxes = () => JSON.stringify([...document.querySelectorAll('#chart text')].map(
        text => text.getBoundingClientRect()));
      let before = '', now = boxes();
      while (now !== before) {
        await new Promise(done => setTimeout(done, 100));
        [before, now] = [now, boxes()];
      }
    }""", json.loads(fig.to_json()))


# Widgets with Streamlit 1.67's test ids and structure: a selectbox is a text input holding the chosen option, a
# multiselect's tags hold their value in a [title] and sit in a box that scrolls sideways, a slider's value floats
# over its thumb.
WIDGETS = """
<div data-testid="stMain" style="font: 16px sans-serif">
  <div data-testid="stSelectbox">
    <label data-testid="stWidgetLabel">dataset</label>
    <input type="text" value="Ring of 8 Gaussians" style="width: {width}px; padding: 0 8px; font: inherit">
  </div>
  <div data-testid="stMultiSelect">
    <label data-testid="stWidgetLabel">Dimensions of z</label>
    <div data-testid="stMultiSelectTagsContainer" style="width: {width}px; display: flex; overflow-x: auto">
      <span data-tag style="flex: none; max-width: {width}px; display: flex">
        <span title="classifier FID" style="overflow: hidden; white-space: nowrap">classifier FID</span></span>
      <span data-tag style="flex: none"><span title="KID">KID</span></span>
    </div>
  </div>
  <div data-testid="stSlider" style="width: 300px; position: relative; height: 40px">
    <label data-testid="stWidgetLabel">Iterations</label>
    <div data-testid="stSliderThumbValue" style="position: absolute; left: {thumb}px; white-space: nowrap">
      1,000,000</div>
  </div>
</div>
"""


@pytest.fixture
def page(browser):
    return browser.new_page(viewport={"width": 1280, "height": 720})


def test_a_chart_and_widgets_laid_out_well_raise_nothing(page):
    show(page, losses())
    assert layout_problems(page) == []
    show(page, marked(500, 1500))
    assert layout_problems(page) == []
    page.set_content(WIDGETS.format(width=300, thumb=100))
    assert cut_widget_values(page) == []


@pytest.mark.parametrize(("fig", "box", "expected"), [
    (losses(title_text="A title far too long for a chart this narrow to hold on one line"), None,
     "title 'A title far too long for a chart this narrow to hold on one line' cut at the right"),
    (losses(margin=dict(l=0, b=90), yaxis=dict(automargin=False, title=None)), None, "tick '1.2' cut at the left"),
    (losses(), 300, "cut at the right"),  # a box narrower than the chart
], ids=["long title", "no room for the ticks", "narrow box"])
def test_chart_text_past_the_charts_edge_is_found(page, fig, box, expected):
    show(page, fig, box)
    cut = clipped_chart_text(page)
    assert any(expected in found for found in cut), cut
    assert overlapping_chart_text(page) == []  # each check keeps to its own defect


@pytest.mark.parametrize(("fig", "expected"), [
    (losses(legend=dict(y=-0.12), xaxis=dict(automargin=False), margin=dict(b=60)),
     "Losses: legend 'G loss' overlaps axis title 'iteration'"),
    (losses(legend=dict(y=0, bgcolor="white", orientation="v"), xaxis_title=None, margin=dict(b=10)),
     "Losses: tick '0' under the legend"),
    (marked(1000, 1010), "Losses: annotation 'lr_d ×2' overlaps annotation 'lr_d ×2'"),  # 10 iterations apart
    (losses(**LEGEND_ON_TITLE), "Losses: title 'Losses' overlaps legend 'D loss'"),
], ids=["legend on the axis title", "legend over the ticks", "piled-up markers", "legend on the title"])
def test_chart_text_drawn_over_other_text_is_found(page, fig, expected):
    show(page, fig)
    overlaps = overlapping_chart_text(page)
    assert any(found.startswith(expected) for found in overlaps), overlaps
    assert clipped_chart_text(page) == []


def test_the_old_check_of_legends_on_titles_agrees(page):
    show(page, losses(**LEGEND_ON_TITLE))
    assert legends_on_titles(page) == ["Losses"]


def test_widget_values_too_wide_for_their_box_are_found(page):
    page.set_content(WIDGETS.format(width=80, thumb=260))
    cut = cut_widget_values(page)
    assert cut[0].startswith("dataset: 'Ring of 8 Gaussians' needs "), cut
    assert "Dimensions of z: 'classifier FID' cut short" in cut
    assert "Dimensions of z: some choices scrolled out of the box" in cut
    assert "Iterations: '1,000,000' past the slider's edge" in cut
    assert len(cut) == 4, cut
