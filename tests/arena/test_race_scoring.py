"""A race is scored and judged on its own data: digits by the classifier, shapes by the factor network, and a dataset
no network here knows (Fashion-MNIST) by nothing rather than by a score that would mislead."""

from __future__ import annotations

from arena.scoring import race_scorer
from gan.models import build_generator
from gan.quality import QualityScore, score_generator
from gan.race import Contender, verdict
from tests.conftest import tiny_config
from ui.compare import headline


def _contender(label: str, config, quality) -> Contender:
    return Contender(label=label, config=config, quality=quality, params_g=1, params_d=1, iteration=10, elapsed=1.0)


def test_a_race_on_shapes_is_scored_and_judged_by_the_factor_network():
    config = tiny_config("mlp", dataset="shapes")
    scorer = race_scorer(config)
    quality = scorer(build_generator(config).eval())
    assert isinstance(quality, QualityScore) and len(quality.class_histogram) == 3  # square, ellipse, heart
    better = QualityScore(fid=quality.fid / 2, confidence=0.9, class_histogram=(0.3, 0.3, 0.3), classes_covered=3,
                          recognisable=0.9)
    rows = [row.criterion for row in verdict(_contender("A", config, quality), _contender("B", config, better))]
    assert rows[0] == "Factor network FID (lower is better)"
    assert "Shape classes covered, of 3 (few: mode collapse)" in rows
    assert not any("igit" in row or "Classifier" in row for row in rows)
    text = headline([_contender("A", config, quality), _contender("B", config, better)])
    assert text.startswith("**B** draws better shapes: factor network FID") and "of 3 shapes" in text


def test_digits_keep_the_classifier_and_fashion_gets_no_quality_rows():
    assert race_scorer(tiny_config("mlp")) is score_generator
    fashion = tiny_config("mlp", dataset="fashion-mnist")
    assert race_scorer(fashion) is None
    rows = [row.criterion for row in verdict(_contender("A", fashion, None), _contender("B", fashion, None))]
    assert rows[0] == "Speed (iterations/s)" and not any("FID" in row for row in rows)


def test_a_race_whose_measures_disagree_is_called_mixed_not_won():
    config = tiny_config("dcgan", dataset="shapes")
    low_fid = QualityScore(fid=80.0, confidence=0.8, class_histogram=(0.0, 0.1, 0.46), classes_covered=2,
                           recognisable=0.56)
    varied = QualityScore(fid=95.0, confidence=0.8, class_histogram=(0.2, 0.2, 0.29), classes_covered=3,
                          recognisable=0.69)
    text = headline([_contender("DCGAN", config, low_fid), _contender("MLP", config, varied)])
    assert text.startswith("Mixed: **DCGAN** has the lower factor network FID (80.0 against 95.0), but **MLP** "
                           "draws more recognisable shapes (69% against 56%) of more kinds (3 against 2 of 3).")
