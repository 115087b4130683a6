"""Be the discriminator on the server's side: a run draws a round on request (running or paused) and it crosses from
the worker once; the class's log adds the rounds up against D, survives a torn line and stays within its size."""

from __future__ import annotations

import json

import pytest

from arena.game_scores import GameLog, RoundResult, by_player, describe_tally, tally
from arena.runner import TrainingRunner
from arena.worker import RunFeed, RunMirror
from gan.train import GANTrainer
from tests.conftest import tiny_config, wait_for

ADA, BO = "a" * 32, "b" * 32


def rounds() -> list[RoundResult]:
    return [RoundResult(ADA, "Ada", "live run", 100, 16, 12, 9, when=1.0),
            RoundResult(BO, None, "live run", 400, 16, 9, 13, when=2.0),
            RoundResult(ADA, "Ada", "MLP GAN", 15_000, 16, 10, None, when=3.0)]


def test_the_class_is_added_up_against_d_on_the_images_d_judged_too():
    t = tally(rounds())
    assert (t.rounds, t.players, t.images, t.right) == (3, 2, 48, 31)
    assert (t.judged_images, t.right_on_judged, t.d_right) == (32, 21, 22)
    assert t.accuracy_on_judged == pytest.approx(21 / 32) and t.d_accuracy == pytest.approx(22 / 32)
    assert describe_tally(t) == ("The class: 66% right on 32 images; D: 69% right on the same images (2 players, 3 "
                                 "rounds). With the bundled generators' rounds too: 65% right on 48 images.")
    assert describe_tally(tally(rounds()[2:])) == ("The class: 62% right on 16 images (1 player, 1 round); no D "
                                                   "judged them.")
    assert describe_tally(tally([])) == "The class: no rounds played yet."
    players = by_player(rounds())
    assert list(players) == ["Ada", "Guest BBBB"]  # best first, a player without a nickname named from their id
    assert (players["Ada"].rounds, players["Ada"].right, players["Guest BBBB"].d_right) == (2, 22, 13)


def test_a_round_cannot_claim_more_right_answers_than_images():
    with pytest.raises(ValueError, match="student_right"):
        RoundResult(ADA, None, "live run", 0, 16, 17, 0)
    with pytest.raises(ValueError, match="d_right"):
        RoundResult(ADA, None, "live run", 0, 16, 3, -1)


def test_the_log_keeps_the_rounds_skips_a_torn_line_and_starts_afresh(tmp_path):
    log = GameLog(tmp_path)
    assert log.results() == [] and log.tally().rounds == 0
    for result in rounds():
        log.record(result)
    with log.path.open("a") as file:  # a crash halfway through a line, and a line of something else
        file.write('{"student": "x", "total": 16\n["not", "a round"]\n{"student_right": "lots"}\n')
    assert GameLog(tmp_path).results() == rounds()  # read back by another server process too
    assert log.tally() == tally(rounds())
    log.record(rounds()[0])
    assert len(log.results()) == 4  # re-read: the file changed
    log.clear()
    assert log.results() == [] and not log.path.exists()


def test_the_log_stays_within_its_size_keeping_the_newest_rounds(tmp_path):
    log = GameLog(tmp_path, max_bytes=4_000)
    for iteration in range(200):
        log.record(RoundResult(ADA, "Ada", "live run", iteration, 16, 8, 8))
        assert log.path.stat().st_size <= 4_000
    kept = [result.iteration for result in log.results()]
    assert kept == list(range(kept[0], 200)) and len(kept) >= 10  # the newest, in order
    assert all(json.loads(line) for line in log.path.read_text().splitlines())


def test_a_run_draws_a_round_on_request_running_or_paused_and_it_crosses_from_the_worker_once(digits):
    runner = TrainingRunner(lambda: GANTrainer(tiny_config(iterations=100_000), images=digits)).start()
    try:
        wait_for(lambda: runner.snapshot().status == "running", what="a running run")
        feed, mirror = RunFeed(runner), RunMirror()
        mirror.merge(feed.news())
        assert mirror.snapshot().game_round is None  # nothing drawn while nobody plays
        runner.game_round(7)
        wait_for(lambda: runner.snapshot().game_round is not None, what="the round")
        game = runner.snapshot().game_round
        assert (game.seed, sum(game.real), len(game.d_real)) == (7, 8, 16) and game.iteration > 0
        news = feed.news()
        assert news["snap"].game_round is game
        mirror.merge(news)
        later = feed.news()
        assert later["snap"].game_round is None  # sent once, not with every poll
        mirror.merge(later)
        assert mirror.snapshot().game_round is game  # the server's copy keeps it
        runner.pause()
        wait_for(lambda: runner.snapshot().status == "paused", what="a paused run")
        paused_at = runner.snapshot().iteration
        runner.game_round(8)
        wait_for(lambda: runner.snapshot().game_round.seed == 8, what="a round while paused")
        assert runner.snapshot().game_round.iteration == paused_at == runner.snapshot().iteration
    finally:
        runner.stop()
