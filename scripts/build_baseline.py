"""Record the seed MLP GAN's curves that lessons overlay on their own: `python scripts/build_baseline.py`.

Trains `gan.presets.baseline.baseline_config()` (seed 0, fp32, 10,000 iterations) headless, keeps every tenth metric record
and a classifier quality point every 300 iterations (as the Train page scores an MLP run), and writes
assets/baselines/mlp.json atomically. About two minutes on a 2-core CPU; rerun it when the seed preset changes (the
page stops offering the overlay until then).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gan.fileio import write_bytes_atomic  # noqa: E402
from gan.presets.baseline import BASELINE_PATH, baseline_config  # noqa: E402
from gan.quality import score_generator  # noqa: E402
from gan.train.gan import GANTrainer  # noqa: E402

SCORE_EVERY = 300  # arena.scoring.score_every for an MLP
KEEP_EVERY = 10  # of its per-iteration records: 1,000 points, more than a chart draws (ui.charts.MAX_POINTS)


def main() -> None:
    config = baseline_config()
    trainer = GANTrainer(config)
    records, quality = [], []
    started = time.perf_counter()
    for record in trainer.run():
        if record.iteration % KEEP_EVERY == 0:
            records.append({k: round(v, 5) for k, v in record.metrics().items()
                            if k not in ("elapsed", "its_per_sec")})
        if record.iteration % SCORE_EVERY == 0:
            score = asdict(score_generator(trainer.shown_generator))
            quality.append({"iteration": record.iteration, **{k: v for k, v in score.items()
                                                              if isinstance(v, (int, float))}})
    data = {"config": config.to_dict(), "records": records, "quality": quality}
    write_bytes_atomic(BASELINE_PATH, json.dumps(data, separators=(",", ":")).encode())
    print(f"{BASELINE_PATH}: {len(records)} records, {len(quality)} quality points, "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
