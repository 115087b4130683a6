import math

import pytest

from gan.diagnose import Alert, diagnose


def run(n: int = 400, **metrics: float) -> list[dict[str, float]]:
    """n records of a synthetic run: healthy numbers (measured on the MLP preset) unless overridden."""
    healthy = dict(d_loss=1.2, g_loss=0.95, d_acc_real=0.7, d_acc_fake=0.7, d_real=0.58, d_fake=0.3)
    return [{"iteration": i + 1, "epoch": (i + 1) / 78, **healthy, **metrics, "its_per_sec": 140.0,
             "elapsed": (i + 1) / 140} for i in range(n)]


def point(iteration: int, histogram: list[float], recognisable: float = 0.6) -> dict:
    """A live quality point as the runner stores it: QualityScore's fields plus the iteration."""
    return dict(iteration=iteration, fid=500.0, confidence=0.8, class_histogram=tuple(histogram),
                classes_covered=sum(share >= 0.02 for share in histogram), recognisable=recognisable)


UNIFORM = [0.1] * 10
EIGHTS = [0.0] * 8 + [0.97, 0.03]  # 2 classes, 97% eights
HEALTHY_QUALITY = [point(300, [0.05, 0, 0, 0, 0, 0.3, 0, 0, 0.65, 0], 0.0), point(600, UNIFORM, 0.4)]


def keys(alerts: list[Alert]) -> list[str]:
    return [a.key for a in alerts]


def test_a_healthy_run_raises_no_alert():
    assert diagnose(run(), HEALTHY_QUALITY) == []
    assert diagnose(run(), HEALTHY_QUALITY, g_loss="minimax") == []


def test_a_healthy_start_with_few_classes_of_smudges_is_not_mode_collapse():
    # A fresh MLP generator's blobs land in 1-2 classes, but the classifier does not recognise them as digits.
    early = [point(300, EIGHTS, 0.0), point(600, EIGHTS, 0.4), point(900, EIGHTS, 0.35)]
    assert diagnose(run(900), early) == []


def test_discriminator_winning():
    records = run(d_loss=0.03, g_loss=8.0, d_acc_real=0.995, d_acc_fake=1.0, d_real=0.99, d_fake=0.03)
    alerts = diagnose(records)
    assert keys(alerts) == ["d_wins"]
    assert "lr_d" in alerts[0].fix and alerts[0].severity == "warning"
    assert "100% of fake" in alerts[0].explanation


def test_winning_discriminator_with_minimax_loss_is_taught_as_saturation():
    records = run(d_loss=0.01, g_loss=-0.005, d_acc_real=1.0, d_acc_fake=1.0, d_real=0.995, d_fake=0.005)
    assert keys(diagnose(records, g_loss="minimax")) == ["g_stalls"]
    ns = run(d_loss=0.01, g_loss=6.0, d_acc_real=1.0, d_acc_fake=1.0, d_real=0.995, d_fake=0.005)
    assert keys(diagnose(ns)) == ["d_wins"]  # the non-saturating G loses because D is too fast


def test_generator_stalls():
    records = run(d_loss=0.4, d_acc_real=0.9, d_acc_fake=0.99, d_real=0.85, d_fake=0.01)
    for i, r in enumerate(records):  # G's loss climbs over the window
        r["g_loss"] = 4.0 + i / 100
    alerts = diagnose(records)
    assert keys(alerts) == ["g_stalls"]
    assert "lr_d" in alerts[0].fix


def test_a_generator_climbing_out_is_not_stalled():
    records = run(d_loss=0.4, d_acc_real=0.9, d_acc_fake=0.99, d_real=0.85, d_fake=0.015)
    for i, r in enumerate(records):  # falling, and below the loss of D(G(z)) = 2% on average
        r["g_loss"] = 4.0 - i / 100
    assert diagnose(records) == []


def test_minimax_wording_differs_from_non_saturating():
    records = run(d_loss=0.4, g_loss=-0.01, d_acc_real=0.9, d_acc_fake=0.99, d_real=0.85, d_fake=0.01)
    (minimax,) = diagnose(records, g_loss="minimax")
    for r in records:
        r["g_loss"] = 4.8  # -log 0.01 after Jensen: what the non-saturating loss reads at D(G(z)) = 1%
    (ns,) = diagnose(records)
    assert minimax.key == ns.key == "g_stalls"
    assert "log(1 − D(G(z)))" in minimax.explanation and "flat" in minimax.explanation
    assert "switch g_loss to 'non-saturating'" in minimax.fix
    assert minimax.explanation != ns.explanation and "non-saturating" not in ns.fix


@pytest.mark.parametrize("quality", [
    [point(300, UNIFORM), point(600, EIGHTS), point(900, EIGHTS)],  # the variety was there, and is gone
    [point(300, EIGHTS, 0.5), point(600, EIGHTS, 0.9), point(900, EIGHTS, 0.8)],  # clear digits, few kinds, for long
    [point(300, UNIFORM), point(600, [0.05] * 9 + [0.55]), point(900, [0.04] * 9 + [0.64])],  # one digit took over
])
def test_mode_collapse(quality):
    alerts = diagnose(run(quality[-1]["iteration"]), quality)
    assert keys(alerts) == ["mode_collapse"]
    assert "lr_g = lr_d = 2e-4" in alerts[0].fix


def test_one_low_quality_point_after_variety_is_not_yet_collapse():
    assert diagnose(run(900), [point(300, UNIFORM), point(600, UNIFORM), point(900, EIGHTS)]) == []


def test_a_stalled_generator_is_not_called_collapsed():
    records = run(900, d_loss=0.4, g_loss=-0.01, d_acc_real=0.9, d_acc_fake=0.99, d_real=0.85, d_fake=0.01)
    stuck = [point(300, EIGHTS, 0.6), point(600, EIGHTS, 0.6), point(900, EIGHTS, 0.6)]
    assert keys(diagnose(records, stuck, g_loss="minimax")) == ["g_stalls"]


def test_mode_collapse_names_the_digit_and_the_classes():
    quality = [point(300, UNIFORM), point(600, EIGHTS), point(900, EIGHTS)]
    (alert,) = diagnose(run(900), quality)
    assert "97% of G's samples look like 8s" in alert.explanation and "only 2 of the ten" in alert.explanation


def test_divergence_is_an_error_and_comes_first():
    records = run(d_loss=0.01, g_loss=9.0, d_acc_real=1.0, d_acc_fake=1.0, d_real=0.99, d_fake=0.01)
    records[-1]["g_loss"] = math.nan
    quality = [point(200, UNIFORM), point(300, EIGHTS), point(400, EIGHTS)]
    alerts = diagnose(records, quality)
    assert keys(alerts) == ["diverged", "mode_collapse"]
    assert alerts[0].severity == "error" and "g_loss" in alerts[0].explanation
    early = run(20, d_loss=math.inf)
    assert keys(diagnose(early)) == ["diverged"]  # no need to wait for min_iterations


def test_too_few_iterations_raise_nothing():
    failing = run(250, d_loss=0.01, g_loss=9.0, d_acc_real=1.0, d_acc_fake=1.0, d_real=0.99, d_fake=0.005)
    quality = [point(100, UNIFORM), point(200, EIGHTS)]
    assert diagnose(failing, quality) == []
    assert diagnose(failing, quality, min_iterations=200) != []
    assert diagnose([]) == []


def test_only_the_recent_window_is_judged():
    d_won = run(400, d_loss=0.01, d_acc_real=1.0, d_acc_fake=1.0, d_real=0.99, d_fake=0.01)[-200:]
    assert diagnose(d_won + run(400)[-200:]) == []  # D won earlier, but the last 200 records are healthy
    records = run(400)[:200] + d_won
    assert keys(diagnose(records)) == ["d_wins"]
    assert diagnose(records, window=400) == []  # averaged with the healthy start, D no longer wins outright


STRONG_D = dict(lr_g=5e-5, lr_d=2e-3, d_steps=3)  # the strong-D lesson's settings


def test_each_alert_carries_its_cure_as_live_changes_from_the_runs_settings():
    records = run(d_loss=0.03, g_loss=8.0, d_acc_real=0.995, d_acc_fake=1.0, d_real=0.99, d_fake=0.03)
    (alert,) = diagnose(records, knobs=STRONG_D)
    assert alert.remedy == (("lr_d", 2e-4), ("lr_g", 2e-4), ("d_steps", 1))
    assert alert.remedy_text() == "lr_d 2e-4 · lr_g 2e-4 · d_steps 1"
    # A G already faster than the steady rate keeps its pace; what the run already has is not offered again.
    (alert,) = diagnose(records, knobs=dict(lr_g=5e-4, lr_d=2e-4, d_steps=1))
    assert alert.remedy == ()
    assert diagnose(records)[0].remedy == ()  # without the run's settings, no cure is offered


def test_the_saturation_cure_switches_the_loss_live():
    records = run(d_loss=0.01, g_loss=-0.005, d_acc_real=1.0, d_acc_fake=1.0, d_real=0.995, d_fake=0.005)
    (alert,) = diagnose(records, g_loss="minimax", knobs=dict(lr_g=2e-4, lr_d=2e-3, d_steps=1))
    assert alert.remedy == (("g_loss", "non-saturating"), ("lr_d", 2e-4))


def test_the_collapse_cure_sets_both_players_to_one_pace_and_divergence_has_none():
    collapsed = [point(300, UNIFORM), point(600, EIGHTS), point(900, EIGHTS)]
    (alert,) = diagnose(run(900), collapsed, knobs=dict(lr_g=2e-3, lr_d=5e-5, d_steps=1))
    assert alert.remedy == (("lr_g", 2e-4), ("lr_d", 2e-4))
    records = run()
    records[-1]["d_loss"] = math.nan
    (alert,) = diagnose(records, knobs=STRONG_D)
    assert alert.key == "diverged" and alert.remedy == ()
