"""The seed MLP GAN's bundled curves, which a lesson's run overlays on its own (before and after)."""

import pytest

from gan.presets.baseline import BASELINE_ITERATIONS, baseline_config, compares_with_baseline, load_baseline
from gan.presets.train import LESSONS


def test_the_bundled_curves_are_the_seed_presets_and_show_its_digits_come():
    baseline = load_baseline()
    assert baseline is not None, "assets/baselines/mlp.json is missing or stale: python scripts/build_baseline.py"
    assert baseline.config == baseline_config()
    assert baseline.records[-1]["iteration"] == BASELINE_ITERATIONS
    first, last = baseline.quality[0], baseline.quality[-1]
    assert last["recognisable"] > first["recognisable"] + 0.3  # the seed's game, not noise
    early = baseline.until(1_000)
    assert early.records[-1]["iteration"] <= 1_000 and early.quality[-1]["iteration"] <= 1_000


@pytest.mark.parametrize("slug, compared", [("strong-d", True), ("ema", True), ("fast", True), ("mlp", False),
                                            ("dcgan", False)])
def test_a_run_is_compared_with_the_seed_only_when_its_lessons_change_is_all_that_differs(slug, compared):
    lesson = LESSONS[slug]
    assert compares_with_baseline(lesson.config, lesson.focus) is compared
    # Any other change (here the batch size) and the seed's curves no longer show what the lesson did.
    assert not compares_with_baseline(lesson.config.replace(batch_size=32), lesson.focus)
