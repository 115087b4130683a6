"""The live charts' data handling: downsampling keeps the trend and the newest point; the teaching curves."""

import numpy as np

from ui import charts


def test_downsample_keeps_short_series_as_they_are():
    x = np.arange(10.0)
    xs, ys = charts.downsample(x, x * 2, max_points=50)
    assert np.array_equal(xs, x) and np.array_equal(ys, x * 2) and ys.dtype == np.float32


def test_downsample_bounds_the_points_keeps_the_newest_and_the_mean():
    x = np.arange(1, 100_001, dtype=np.float64)
    y = np.sin(x / 1000) + 5
    xs, ys = charts.downsample(x, y, max_points=1500)
    assert len(xs) <= 1500 and xs[-1] == x[-1] and ys[-1] == np.float32(y[-1])
    assert np.all(np.diff(xs) > 0)
    assert abs(ys[:-1].mean() - y[:-1].mean()) < 0.01  # bin means, not a subsample


def test_charts_draw_records_and_mark_live_changes():
    records = [{"iteration": i, "d_loss": 1.0, "g_loss": 2.0, "d_acc_real": 0.7, "d_acc_fake": 0.6,
                "d_real": 0.6, "d_fake": 0.4} for i in range(1, 3001)]
    events = [{"iteration": 1500, "name": "lr_d", "old": 2e-4, "new": 1e-3}]
    fig = charts.loss_figure(records, events)
    assert [t.name for t in fig.data] == ["D loss", "G loss"]
    assert all(len(t.x) <= charts.MAX_POINTS for t in fig.data)
    assert any("lr_d 2e-4→1e-3" in a.text for a in fig.layout.annotations)
    assert fig.layout.uirevision == "live"


def test_why_log_d_curves_show_the_saturation_lesson():
    d, saturating, non_saturating = charts.generator_loss_curves()
    slope_sat = np.gradient(saturating, d)[0]
    slope_ns = np.gradient(non_saturating, d)[0]
    assert abs(slope_sat) < 2 and abs(slope_ns) > 100  # flat vs steep at D(G(z)) ≈ 0
    fig = charts.why_log_d_figure([0.01, 0.02, 0.5], "minimax")
    assert len(fig.data[-1].x) == 3


def test_histogram_shows_each_digit():
    fig = charts.histogram_figure([0.5, 0.5] + [0.0] * 8)
    assert list(fig.data[0].x) == [str(d) for d in range(10)]


def _loss_records(n: int, spike_at: int | None = None) -> list[dict]:
    rng = np.random.default_rng(0)
    records = [{"iteration": i * 10, "d_loss": 0.7 + 0.05 * rng.standard_normal(),
                "g_loss": 1.0 + 0.1 * rng.standard_normal()} for i in range(n)]
    if spike_at is not None:
        records[spike_at]["g_loss"] = 60.0
    return records


def test_a_loss_spike_is_drawn_off_the_scale_so_the_rest_of_the_curve_stays_readable():
    spiked = charts.loss_figure(_loss_records(300, spike_at=150))
    low, high = spiked.layout.yaxis.range
    assert high < 3 and low > 0  # the bulk (0.6-1.3) fills the chart, not 1/50th of it
    assert any("cut off" in a.text for a in spiked.layout.annotations)
    calm = charts.loss_figure(_loss_records(300))
    assert calm.layout.yaxis.range is None and not calm.layout.annotations  # nothing sticks out: plotly's range


def test_every_legend_sits_under_its_chart_never_on_the_title():
    records = _loss_records(50)
    figures = [charts.loss_figure(records), charts.quality_figure([]), charts.why_log_d_figure([0.1], "minimax"),
               charts.semi_supervised_figure([])]
    for fig in figures:  # at the figure's bottom edge, in a margin with room for the axis and the legend's rows
        legend = fig.layout.legend
        assert (legend.yref, legend.yanchor, legend.y) == ("container", "bottom", 0), fig.layout.title.text
        if any(trace.name for trace in fig.data):
            assert fig.layout.margin.b >= charts.X_AXIS_PX + charts.LEGEND_ROW_PX, fig.layout.title.text
    # Long names wrap into more rows, and the margin grows with them.
    assert charts._legend_rows(["MLP GAN · D right on real"] * 4, charts.FONT_SIZE) >= 3


def test_changes_at_one_iteration_share_one_readable_label():
    events = [{"iteration": 40, "name": "D step"}] * 3 + [
        {"iteration": 40, "name": "lr_d", "old": 2e-4, "new": 1e-4}, {"iteration": 40, "name": "lr_d", "old": 1e-4,
                                                                      "new": 5e-5},
        {"iteration": 90, "name": "G step"}]
    fig = charts.loss_figure([{"iteration": i, "d_loss": 1.0, "g_loss": 1.0} for i in range(1, 100)], events)
    texts = sorted(a.text for a in fig.layout.annotations)
    assert texts == ["D step ×3<br>lr_d 2e-4→5e-5", "G step"]


def test_axes_label_what_a_reader_expects():
    quality = [{"iteration": i, "fid": 1000 / i, "recognisable": 0.393 * i / 10, "kid": 100 / i,
                "class_histogram": [0.1] * 10} for i in range(1, 11)]
    recognisable = charts.quality_figure(quality).layout.yaxis2
    assert (recognisable.tickmode, recognisable.tick0, recognisable.dtick) == ("linear", 0, 20)  # 0, 20 … 100 %
    assert charts.kid_figure(quality).layout.yaxis.dtick == "D2"  # 1, 2 and 5 times the powers of ten, not 2, 3 … 9
    assert charts.histogram_figure([0.1] * 10).layout.xaxis.type == "category"  # every digit labelled


def test_no_chart_title_is_longer_than_a_half_page_chart_shows():
    records = [{"iteration": i, "d_loss": 1.0, "g_loss": 1.0, "d_acc_real": 0.5, "d_acc_fake": 0.5, "d_real": 0.5,
                "d_fake": 0.5} for i in range(1, 50)]
    quality = [{"iteration": i, "fid": 100.0, "recognisable": 0.5, "kid": 5.0, "precision": 0.5, "recall": 0.5,
                "density": 0.5, "coverage": 0.5, "d_acc_held_out": 0.5, "d_acc_trained": 0.6,
                "class_histogram": [0.1] * 10} for i in range(1, 5)]
    figures = [charts.loss_figure(records), charts.accuracy_figure(records), charts.d_output_figure(records),
               charts.quality_figure(quality), charts.kid_figure(quality), charts.fidelity_diversity_figure(quality),
               charts.memorisation_figure(quality), charts.wasserstein_figure(records, quality),
               charts.histogram_figure([0.1] * 10)]
    for fig in figures:
        lines = fig.layout.title.text.split("<br>")
        assert all(len(line) <= charts.TITLE_CHARS for line in lines), lines
        assert fig.layout.margin.t >= 16 + 26 * len(lines)  # room above the plot for every line
