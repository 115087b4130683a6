"""The guided tours: their data holds together, their checks read a run right, and every watched moment comes within
its step's iterations when the tour is walked headless with its seed (benchmarks.tours)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from gan.presets.playground import LESSONS as TOY_LESSONS
from gan.presets.races import RACES
from gan.presets.tours import PAGES, TOURS, Watch
from gan.presets.train import LESSONS
from gan.watch import CHECKS, Seen, d_fake_stays_below, digits_drawn, follow, g_recovers

PRESETS = {"train": LESSONS, "playground": TOY_LESSONS, "compare": RACES}


def _record(iteration: int, **values: float) -> dict:
    base = {"iteration": iteration, "elapsed": iteration / 100, "d_loss": 1.2, "g_loss": 0.8, "d_real": 0.6,
            "d_fake": 0.4, "d_acc_real": 0.7, "d_acc_fake": 0.6}
    return base | values


def test_there_are_at_least_eight_tours_each_with_steps_on_a_page_it_has():
    assert len(TOURS) >= 8
    for slug, tour in TOURS.items():
        assert tour.page in PAGES and len(tour.steps) >= 3, slug
        for step in tour.steps:
            page = step.page or tour.page
            if step.setup.preset:
                assert step.setup.preset in PRESETS[page], (slug, step.title)
            if step.watch is not None:
                assert step.watch.check in CHECKS and step.watch.within > 0, (slug, step.title)
                assert page in ("train", "playground"), "a watched step needs a run the tour can read"


@pytest.mark.parametrize("slug", list(TOURS))
def test_every_watched_step_can_say_what_it_saw_and_what_happened_instead(slug):
    # On an empty run and on a short healthy one, every check gives the numbers both of its sentences quote.
    runs = [Seen(), Seen(records=[_record(i) for i in range(100, 1100, 100)],
                         quality=[{"iteration": 500, "classes_covered": 4, "class_histogram": [0.25] * 4 + [0.0] * 6,
                                   "recognisable": 0.5, "coverage": 0.5, "js": 0.4}],
                         events=[{"iteration": 600, "name": "lr_d", "old": 2e-3, "new": 2e-4}])]
    for step in TOURS[slug].steps:
        if step.watch is None:
            continue
        for seen in runs:
            sighting = CHECKS[step.watch.check](seen, **step.watch.args)
            assert step.watch.seen.format(**sighting.numbers) and step.watch.instead.format(**sighting.numbers)


def test_a_saturated_loss_is_seen_only_after_its_whole_span():
    low = [_record(i, d_fake=0.01) for i in range(100, 400, 50)]  # below 0.05 from 100 to 350: 250 iterations
    assert not d_fake_stays_below(Seen(records=low), level=0.05, iterations=300).reached
    sighting = d_fake_stays_below(Seen(records=low + [_record(400, d_fake=0.02)]), level=0.05, iterations=300)
    assert sighting.reached and (sighting.numbers["start"], sighting.numbers["iteration"]) == (100, 400)
    broken = low[:3] + [_record(260, d_fake=0.3)] + low[3:] + [_record(400, d_fake=0.02)]
    assert not d_fake_stays_below(Seen(records=broken), level=0.05, iterations=300).reached


def test_a_recovery_counts_only_after_the_live_change():
    records = [_record(100, d_fake=0.5)] + [_record(i, d_fake=0.001) for i in range(200, 700, 100)]
    change = {"iteration": 650, "name": "lr_d", "old": 2e-3, "new": 2e-4}
    assert not g_recovers(Seen(records=records), level=0.15).reached  # no change made: D(G(z)) was 0.5 before it
    climbing = records + [_record(i, d_fake=0.3) for i in range(700, 1200, 100)]
    sighting = g_recovers(Seen(records=climbing, events=[change]), level=0.15)
    assert sighting.reached and sighting.numbers["since"] == 650 and sighting.numbers["iteration"] > 650


def test_a_step_waits_then_says_what_happened_instead_once_its_iterations_are_spent():
    watch = Watch("digits_drawn", seen="{classes} digits at {iteration}", instead="only {classes} by {iteration}",
                  within=1_000, args={"classes": 10})
    quality = [{"iteration": 300, "classes_covered": 6, "class_histogram": [0.1] * 10, "recognisable": 0.4}]
    early = Seen(records=[_record(500)], quality=quality)
    assert follow(watch, early, ended=False)[0] == "waiting"
    assert follow(watch, Seen(records=[_record(1_000)], quality=quality), ended=False) == ("instead",
                                                                                           "only 6 by 300")
    assert follow(watch, early, ended=True)[0] == "instead"  # the run ended first
    done = quality + [{"iteration": 600, "classes_covered": 10, "class_histogram": [0.1] * 10, "recognisable": 0.8}]
    assert follow(watch, Seen(records=[_record(700)], quality=done), ended=False) == ("seen", "10 digits at 600")
    # A step that makes a live change waits for it, and counts its iterations from there.
    assert "Do it for me" in follow(watch, early, ended=False, after_change=True)[1]
    assert digits_drawn(Seen(records=[_record(700)], quality=done,
                             events=[{"iteration": 650, "name": "lr_g", "old": 1, "new": 2}]),
                        classes=10, after_change=True).reached is False


def _walk(slug: str) -> list:
    import torch

    from benchmarks.tours import walk

    torch.set_num_threads(1)
    return walk(slug, TOURS[slug])


def test_every_tours_watched_moments_come_within_their_steps_when_walked_with_its_seed():
    # The tours are walked two at a time (one torch thread each): ~2 min of training in all on a 2-core CPU.
    watched = [slug for slug, tour in TOURS.items() if any(step.watch for step in tour.steps)]
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers) as pool:
        moments = [moment for walked in pool.map(_walk, watched) for moment in walked]
    assert len(moments) == sum(step.watch is not None for tour in TOURS.values() for step in tour.steps)
    missed = [f"{m.tour} / {m.step}: {m.text}" for m in moments if not m.reached]
    assert not missed, "\n".join(missed)
    assert all(m.iteration <= m.allowed for m in moments)
    # A failure lesson's tour makes the very change the page's alert offers as its cure, at the moment the failure
    # shows: the walk above is also the proof that each alert's one-click cure brings the game back.
    by_step = {(m.tour, m.step): m for m in moments}
    cures = 0
    for slug, tour in TOURS.items():
        failure = None
        for step in tour.steps:
            if step.setup.knobs and failure is not None:
                offered = [dict(remedy) for _, remedy in failure.alerts if remedy]
                assert offered and offered[0] == dict(step.setup.knobs), (slug, failure.alerts, step.setup.knobs)
                cures += 1
            failure = by_step.get((slug, step.title), failure)
    assert cures == 3  # D wins, the saturating loss, mode collapse
