"""The seed MLP GAN's own curves, bundled, for a lesson to draw beside its run: "before and after".

Every lesson of the MLP changes only its focus fields of the seed-001 MLP GAN (gan/presets/train.py), so the seed's run
with the same seed is what the lesson's change is measured against. Training it again beside every lesson would
double a class's load on the server; its curves are recorded once (`python scripts/build_baseline.py`, seed 0, fp32,
~2 minutes on a 2-core CPU) into assets/baselines/mlp.json: the metric records and the classifier's quality points.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from gan.config import Config, preset

BASELINE_PATH = Path(__file__).resolve().parents[2] / "assets" / "baselines" / "mlp.json"
BASELINE_ITERATIONS = 10_000  # further than a 4-minute lesson gets on most CPUs; the curves are cut at the run's own
# What a run may change and still be compared with the seed's curves: its budget, its logging, and a lesson's focus.
BUDGET_FIELDS = frozenset({"iterations", "epochs", "seconds", "sample_every", "log_every", "checkpoint_every",
                           "device", "precision"})


def baseline_config() -> Config:
    """The run the bundled curves come from: the seed MLP GAN, seed 0, fp32."""
    return preset("mlp", iterations=BASELINE_ITERATIONS, seconds=None, precision="fp32", seed=0).validate()


@dataclass(frozen=True)
class Baseline:
    """The seed MLP GAN's curves: `records` as `Record.metrics()` dicts, `quality` as the live quality points."""

    config: Config
    records: list[dict[str, float]]
    quality: list[dict]

    def until(self, iteration: int) -> Baseline:
        """The curves up to `iteration`: where the seed stood when the run had come this far."""
        return Baseline(self.config, [r for r in self.records if r["iteration"] <= iteration],
                        [q for q in self.quality if q["iteration"] <= iteration])


@cache
def load_baseline() -> Baseline | None:
    """The bundled curves; None when the file is missing or was recorded for another seed preset (rebuild it)."""
    try:
        data = json.loads(BASELINE_PATH.read_text())
        config = Config.from_dict(data["config"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if config != baseline_config():
        return None
    return Baseline(config, data["records"], data["quality"])


def compares_with_baseline(config: Config, focus: tuple[str, ...]) -> bool:
    """Whether a run of `config` differs from the seed's baseline run only in its budget and the `focus` fields of
    its lesson (the seed MLP GAN itself: nothing to compare with)."""
    seed = baseline_config()
    changed = {f.name for f in fields(Config) if getattr(config, f.name) != getattr(seed, f.name)} - BUDGET_FIELDS
    return bool(changed) and changed <= set(focus)


__all__ = ["BASELINE_PATH", "Baseline", "baseline_config", "compares_with_baseline", "load_baseline"]
