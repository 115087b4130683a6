"""The maths beside the curves: each formula ends in the very number the chart shows at that iteration, for every
objective; what a run did not record is said, not invented."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gan.config import preset
from ui import charts, maths

RECORDS = [{"iteration": i, "epoch": i / 78, "d_loss": 0.41 + i / 7000, "g_loss": 1.3 - i / 9000,
            "d_acc_real": 0.75, "d_acc_fake": 0.6 + i / 10_000, "d_real": 0.8123, "d_fake": 0.2345,
            "d_loss_real": 0.3 + i / 7000, "d_loss_fake": 0.11, "d_penalty": 0.05, "d_grad_norm": 2.5,
            "g_grad_norm": 0.7} for i in range(1, 41)]
QUALITY = [{"iteration": i, "fid": 80.123456 / i, "recognisable": 0.1 * i, "kid": 12.3456 / i, "precision": 0.1 * i,
            "recall": 0.05 * i, "density": 0.2 * i, "coverage": 0.04 * i, "class_histogram": [0.1] * 10}
           for i in (300, 600, 900)]
CONFIGS = [preset("mlp"), preset("mlp", g_loss="minimax", label_smoothing=0.1, r1=1.0),
           preset("mlp", objective="hinge"), preset("mlp", objective="wasserstein", gp=10.0),
           preset("mlp", objective="relativistic", r1=1.0, r2=1.0), preset("dcgan", diffaugment="translation"),
           preset("cyclegan")]
LAST_NUMBER = re.compile(r"= (-?\d+\.\d+)$")


def chart_value(fig, name: str, iteration: int) -> str:
    """What the chart's hover label shows for curve `name` at `iteration`: its y, in the trace's hover format."""
    trace = next(t for t in fig.data if t.name == name)
    index = int(np.flatnonzero(np.asarray(trace.x) == iteration)[-1])
    return format(trace.y[index], trace.yhoverformat)


CHARTS = [  # (the figure, the maths, its rows)
    (charts.loss_figure, maths.loss_maths, RECORDS),
    (charts.accuracy_figure, maths.accuracy_maths, RECORDS),
    (charts.d_output_figure, maths.belief_maths, RECORDS),
    (charts.quality_figure, lambda _config, row: maths.quality_maths(row), QUALITY),
    (charts.kid_figure, lambda _config, row: maths.kid_maths(row), QUALITY),
    (charts.fidelity_diversity_figure, lambda _config, row: maths.fidelity_maths(row), QUALITY),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.arch}-{c.objective}")
@pytest.mark.parametrize("figure, build, rows", CHARTS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_curves_maths_ends_in_the_number_its_chart_shows(config, figure, build, rows):
    fig = figure(rows)
    names = {t.name for t in fig.data}
    for row in (rows[-1], rows[len(rows) // 2]):
        curves = build(config, row)
        on_the_chart = [c for c in curves if c.name in names]
        assert on_the_chart, [c.name for c in curves]
        for curve in on_the_chart:
            assert curve.worked[0].startswith(curve.symbol)
            shown = LAST_NUMBER.search(curve.worked[0])
            assert shown and shown.group(1) == chart_value(fig, curve.name, row["iteration"]), curve.worked[0]


@pytest.mark.parametrize("config", CONFIGS[:5], ids=lambda c: c.objective)
def test_ds_loss_is_written_as_its_recorded_parts_and_the_penalty_beside_it(config):
    row = RECORDS[-1]
    d_loss, *rest = maths.loss_maths(config, row)
    real, fake = maths.number(row["d_loss_real"]), maths.number(row["d_loss_fake"])
    if config.objective == "relativistic":  # one term: no parts to add
        assert d_loss.worked[0] == f"L_D = {maths.number(row['d_loss'])}"
    else:
        assert f"= {real} + {fake} = {maths.number(row['d_loss'])}" in d_loss.worked[0]
    penalty = [c for c in rest if c.name == "penalty"]
    assert bool(penalty) == bool(config.r1 or config.r2 or config.gp)
    if penalty:
        assert penalty[0].worked[0] == f"P = {maths.number(row['d_penalty'])}"
    norms = next(c for c in rest if c.name == "gradient norms")
    assert "2.500" in norms.worked[0] and "0.700" in norms.worked[0]


def test_the_averages_give_less_than_ds_loss_and_the_maths_says_why():
    row = RECORDS[-1]
    d_loss = maths.d_loss_curve(preset("mlp"), row)
    check = d_loss.worked[1]
    estimate = -(np.log(row["d_real"]) + np.log(1 - row["d_fake"]))
    assert check.startswith(f"-\\bigl[\\log {maths.number(row['d_real'])}")
    assert check.endswith(f"= {maths.number(estimate)} \\le {maths.number(row['d_loss'])}")
    assert any("average of the logs" in note for note in d_loss.notes)


def test_a_record_without_the_parts_says_they_were_not_recorded():
    old = {k: v for k, v in RECORDS[-1].items() if k not in ("d_loss_real", "d_loss_fake", "d_penalty",
                                                             "d_grad_norm", "g_grad_norm")}
    curves = maths.loss_maths(preset("mlp", r1=1.0), old)
    d_loss, penalty, _g_loss, norms = curves
    assert d_loss.worked == (f"L_D = {maths.number(old['d_loss'])}",)
    assert any("did not record" in note for note in d_loss.notes)
    assert penalty.worked == () and norms.worked == ()
    assert any("did not record" in note for note in penalty.notes + norms.notes)
    no_kid = {k: v for k, v in QUALITY[0].items() if k not in ("kid", "precision", "recall", "density", "coverage")}
    assert maths.kid_maths(no_kid)[0].worked == ()
    assert all(c.worked == () for c in maths.fidelity_maths(no_kid))


def test_a_kid_below_the_charts_floor_is_told_with_its_real_value():
    (kid,) = maths.kid_maths({"iteration": 1, "kid": -0.02})
    assert kid.worked == ("1000 \\cdot \\text{KID} = 0.100",)
    assert any("-0.020" in note for note in kid.notes)


def test_the_chosen_iteration_picks_its_newest_record_or_the_one_before():
    rows = [{"iteration": 1}, {"iteration": 2, "n": "first"}, {"iteration": 2, "n": "after a D step"},
            {"iteration": 5}]
    assert maths.record_at(rows, None) is rows[-1]
    assert maths.record_at(rows, 2) is rows[2]
    assert maths.record_at(rows, 4) is rows[2]
    assert maths.record_at(rows, 0) is rows[0]
    assert maths.record_at(rows, 99) is rows[-1]
    assert maths.record_at([], 3) is None


def test_numbers_are_written_as_the_charts_float32_in_three_decimals():
    assert charts.HOVER_FORMAT == ".3f"
    assert maths.number(0.4227589) == "0.423" and maths.number(-4.08177) == "-4.082" and maths.number(45) == "45.000"
    assert all(t.yhoverformat == charts.HOVER_FORMAT for t in charts.loss_figure(RECORDS).data)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.arch}-{c.objective}")
def test_every_formula_is_balanced_latex_and_every_curve_explains_its_symbols(config):
    curves = (maths.loss_maths(config, RECORDS[-1]) + maths.accuracy_maths(config, RECORDS[-1])
              + maths.belief_maths(config, RECORDS[-1]) + maths.quality_maths(QUALITY[-1])
              + maths.kid_maths(QUALITY[-1]) + maths.fidelity_maths(QUALITY[-1]))
    for curve in curves:
        for latex in (curve.definition, *curve.worked):
            assert latex.count("{") == latex.count("}"), latex
            assert latex.count("\\bigl") == latex.count("\\bigr"), latex
        assert curve.symbols and all(len(line) < 240 for line in curve.symbols), curve.name


def _maths_app():
    import streamlit as st

    from gan.config import preset
    from ui import maths
    from tests.ui.test_maths import RECORDS

    rows = st.session_state.get("rows", RECORDS)
    maths.render_maths("Losses", rows, lambda row: maths.loss_maths(preset("mlp"), row), "test.maths")


def test_the_popover_shows_the_newest_point_and_any_iteration_the_student_types():
    at = AppTest.from_function(_maths_app, default_timeout=30)
    at.run()
    assert not at.exception
    formulas = lambda: [latex.value.strip("$\n") for latex in at.latex]  # noqa: E731 - st.latex wraps in $$
    d_loss = lambda: next(latex for latex in formulas() if latex.startswith("L_D ="))  # noqa: E731
    assert d_loss().endswith(f"= {maths.number(RECORDS[-1]['d_loss'])}")
    assert any("Iteration 40" in md.value and "newest" in md.value for md in at.markdown)
    at.number_input(key="test.maths.iteration").set_value(7).run()
    assert d_loss().endswith(f"= {maths.number(RECORDS[6]['d_loss'])}")
    assert any(md.value.startswith("**Iteration 7**") for md in at.markdown)
    at.session_state["rows"] = []
    at.run()
    assert not at.latex and any("No record yet" in c.value for c in at.caption)
