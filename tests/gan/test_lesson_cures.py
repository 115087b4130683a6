"""Each failure lesson's promise, kept headless: its alert shows, the alert's one-click cure is applied at that moment
(as the page's Apply button does), and the run recovers within the lesson's iterations: the cured alert gone, and the
classifier seeing clearly more of what the failure took away. `python -m benchmarks.lessons --cures` prints the runs.

Seed 0 on a 2-core CPU (quality every 300 iterations): strong-D cured at 300, recognisable 0.00 -> 0.41 by 1,500;
saturating cured at 300, 0.00 -> 0.64 by 1,500; mode collapse cured at 900, 1 digit -> 9 by 3,600.
"""

import pytest

from benchmarks.lessons import CURED_LESSONS, cured_run
from gan.presets.train import LESSONS

# lesson -> (iterations after the cure by which the recovery must show, what recovers, by at least how much)
RECOVERY = {
    "strong-d": (1_200, "recognisable", 0.15),
    "saturating": (1_200, "recognisable", 0.15),
    # Collapse draws one clear digit (recognisable 0.86): the cure brings the other digits back, not clarity.
    "mode-collapse": (2_700, "classes_covered", 4),
}


@pytest.mark.parametrize("slug", CURED_LESSONS)
def test_a_failure_lessons_alert_offers_a_cure_that_works_within_the_lesson(slug):
    within, measure, rise = RECOVERY[slug]
    run = cured_run(slug, after=within)
    assert run.cured_at is not None, f"{slug}: no alert with a cure in {run.points[-1]['iteration']} iterations"
    assert run.cured_at + within <= LESSONS[slug].config.iterations, "the cure comes too late in the lesson"
    cured = next(p for p in run.points if p["iteration"] == run.cured_at)
    last = run.points[-1]
    alert = cured["alerts"][0]
    assert last["iteration"] > run.cured_at and alert not in last["alerts"], f"{slug}: '{alert}' still on"
    assert last[measure] >= cured[measure] + rise, (slug, measure, [p[measure] for p in run.points])
