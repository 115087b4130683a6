import re
from dataclasses import fields

import pytest

from gan.config import Config, preset
from gan.presets.train import LESSONS, Lesson, lesson

SEED_LESSONS = ("mlp", "dcgan", "cgan", "sgan", "cyclegan")
FAILURE_LESSONS = ("saturating", "strong-d", "mode-collapse", "label-smoothing")
MODERN_LESSONS = ("spectral-norm", "hinge", "wgan-gp", "ema", "ttur", "memorise", "diffaugment")
DATA_LESSONS = ("shapes", "colour-dcgan", "own-images")  # beyond the digits: the DCGAN on shapes and on your images
MLP_LESSONS = ("fast", *FAILURE_LESSONS, *MODERN_LESSONS)  # the seed MLP GAN with a few knobs turned
BUDGET = {"iterations", "seconds", "sample_every"}  # how long a lesson runs and how often it draws, not what it teaches
CONFIG_FIELDS = {f.name for f in fields(Config)}


def test_the_presets_come_in_order_with_the_seed_defaults_first():
    assert list(LESSONS) == ["mlp", "fast", *SEED_LESSONS[1:], *FAILURE_LESSONS, *MODERN_LESSONS, *DATA_LESSONS]
    assert lesson("mlp").name == "MLP GAN — seed 001" and lesson("dcgan").name == "DCGAN — GANs in Action"


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_is_a_valid_config_with_a_summary_and_known_focus(slug):
    item = lesson(slug)
    assert isinstance(item, Lesson) and item.config.validate() is item.config
    assert item.name and 20 <= len(item.summary) <= 300
    assert set(item.focus) <= CONFIG_FIELDS


def test_slugs_and_names_are_unique_and_url_safe():
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in LESSONS)
    names = [item.name for item in LESSONS.values()]
    assert len(set(names)) == len(names)


def test_the_seed_lessons_are_the_presets_but_for_their_budget():
    for arch in ("mlp", "dcgan", "cgan", "sgan", "cyclegan"):
        config, seed = lesson(arch).config, preset(arch)
        assert config.replace(**{k: getattr(seed, k) for k in BUDGET}) == seed, arch
    assert lesson("mlp").config.iterations == preset("mlp").iterations  # the seed's 30,000, capped by time only


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_ends_within_a_lesson_on_any_machine(slug):
    config = lesson(slug).config
    assert config.seconds is not None and config.seconds <= 5 * 60  # however slow the CPU, the run ends
    assert config.iterations // config.sample_every >= 10  # a timeline worth scrubbing


@pytest.mark.parametrize("slug", MLP_LESSONS)
def test_a_lesson_changes_exactly_its_focus_fields_of_the_mlp_preset(slug):
    item, base = lesson(slug), preset("mlp")
    assert item.focus
    changed = {f for f in CONFIG_FIELDS - BUDGET if getattr(item.config, f) != getattr(base, f)}
    assert changed == set(item.focus)


def test_the_fast_run_is_told_apart_from_the_seed_and_runs_a_whole_lesson():
    fast, seed = lesson("fast").config, lesson("mlp").config
    assert fast.lr_g > seed.lr_g and fast.lr_d > seed.lr_d and fast.g_ema > 0
    assert fast.seconds == seed.seconds and not lesson("fast").failure  # not cut short like a failure
    assert all(lesson(slug).failure for slug in ("saturating", "strong-d", "mode-collapse"))
    assert all(lesson(slug).config.seconds < seed.seconds for slug in ("saturating", "strong-d", "mode-collapse"))


def test_the_failure_lessons_turn_the_knobs_their_names_promise():
    assert lesson("saturating").config.g_loss == "minimax"
    strong_d = lesson("strong-d").config
    assert strong_d.lr_d >= 10 * strong_d.lr_g
    collapse = lesson("mode-collapse").config
    assert collapse.lr_g >= 10 * collapse.lr_d
    assert lesson("label-smoothing").config.label_smoothing == pytest.approx(0.1)  # seed 004's target of 0.9


def test_the_modern_lessons_differ_from_their_failure_by_the_fix_alone():
    fixed, broken = lesson("spectral-norm").config, lesson("strong-d").config
    assert fixed.spectral_norm and fixed.replace(spectral_norm=False, seconds=broken.seconds) == broken
    few_digits = lesson("memorise").config
    assert lesson("diffaugment").config.replace(diffaugment="off", seconds=few_digits.seconds) == few_digits
    assert lesson("memorise").failure and not lesson("diffaugment").failure
    assert lesson("wgan-gp").config.objective == "wasserstein" and lesson("wgan-gp").config.gp > 0
    assert lesson("hinge").config.objective == "hinge" and lesson("ema").config.g_ema > 0


def test_an_unknown_slug_names_the_slugs():
    with pytest.raises(ValueError, match="unknown lesson 'wgan'.*mlp, fast, dcgan, cgan, sgan, cyclegan, saturating, strong-d"):
        lesson("wgan")


def test_every_lesson_name_fits_the_preset_picker_at_1280_px():
    # The picker is ~245 px wide at 1280 px: "MLP GAN — fast classroom ru" was cut; the summary under it explains.
    from gan.presets.train import LESSONS

    assert [item.name for item in LESSONS.values() if len(item.name) > 24] == []
