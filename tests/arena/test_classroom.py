"""The class on one server (arena.classroom, arena.class_runs): nicknames, whose runs are whose, the board, the
teacher's key, retention, and the Class page's rows and ranking."""

from __future__ import annotations

import json
import os
import time
from types import SimpleNamespace

import pytest

from arena.class_runs import SUMMARY_FILE, class_runs, ranked, saved_run
from arena.classroom import (Board, Challenge, ClassError, KeyGuard, Lesson, Roster, RunOwner, prune_runs, read_owner,
                             recently_pruned, set_shared, student_id, visible_to, write_owner)
from gan.presets.train import LESSONS


def saved(runs, name, owner=None, size=1000, age=0.0, fid=None):
    """A saved run folder: a checkpoint-sized file, its owner, its summary; `age` seconds old."""
    folder = runs / name
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_bytes(b"\0" * size)
    if owner is not None:
        write_owner(folder, owner)
    (folder / SUMMARY_FILE).write_text(json.dumps({"status": "finished", "iteration": 100,
                                                   "quality": {"fid": fid} if fid is not None else None}))
    stamp = time.time() - age
    os.utime(folder / "checkpoint.pt", (stamp, stamp))
    return folder


def test_a_nickname_is_held_by_one_student_whatever_its_case(tmp_path):
    roster = Roster(tmp_path)
    ada, bob = student_id("a" * 32), student_id("b" * 32)
    assert roster.claim(ada, "  Ada  ") == "Ada"
    with pytest.raises(ClassError, match="taken"):
        roster.claim(bob, "ADA")
    assert roster.claim(ada, "Ada L") == "Ada L"  # a new nickname frees the old one
    assert roster.claim(bob, "ada") == "ada"
    assert Roster(tmp_path).nicknames() == {"Ada L": ada, "ada": bob}  # kept on disk: a restart keeps it
    for bad in ("", "x" * 21, "<b>hi</b>", "[a](http://e.x)"):
        with pytest.raises(ClassError):
            roster.claim(ada, bad)


def test_the_server_keeps_a_hash_of_the_token_never_the_token(tmp_path):
    token = "c" * 32
    Roster(tmp_path).claim(student_id(token), "Cy")
    assert token not in (tmp_path / ".class" / "roster.json").read_text()


def test_a_student_sees_their_runs_the_shared_ones_and_the_class_s(tmp_path):
    ada, bob = student_id("a" * 32), student_id("b" * 32)
    mine = saved(tmp_path, "mine", RunOwner(ada, "Ada"))
    theirs = saved(tmp_path, "theirs", RunOwner(bob, "Bob"))
    outside = saved(tmp_path, "cli-run")  # no owner.json: saved outside the app
    assert visible_to(read_owner(mine), ada) and not visible_to(read_owner(mine), bob)
    assert not visible_to(read_owner(theirs), ada)
    assert visible_to(read_owner(outside), ada) and visible_to(read_owner(outside), None)
    set_shared(theirs, True)
    assert visible_to(read_owner(theirs), ada)
    with pytest.raises(ClassError):
        set_shared(outside, True)


def test_a_lesson_link_opens_a_page_of_the_app_and_nothing_else():
    lesson = Lesson.from_link("http://school:8501/train?preset=mode-collapse&lr_g=0.001")
    assert (lesson.page, lesson.params) == ("train", {"preset": "mode-collapse", "lr_g": "0.001"})
    assert Lesson.from_link("explorer?explorer.seed_a=3").page == "explorer"
    for bad in ("https://evil.example/phish", "javascript:alert(1)", "../../etc/passwd", "class?x=1"):
        with pytest.raises(ClassError):
            Lesson.from_link(bad)


def test_the_board_survives_a_restart_and_is_cleared(tmp_path):
    board = Board(tmp_path)
    board.push_lesson(Lesson.from_link("train?preset=fast", "Fast digits"))
    board.set_challenge(Challenge("fast", 500, ("lr_g",), "Quick", params={"preset": "fast"}))
    again = Board(tmp_path)  # a new server process
    assert again.lesson().title == "Fast digits" and again.challenge().knobs == ("lr_g",)
    board.push_lesson(None)
    assert again.lesson() is None and again.challenge() is not None


def test_a_challenge_admits_only_the_allowed_knobs_within_its_budget():
    slug = next(iter(LESSONS))
    base = LESSONS[slug].config.replace(iterations=500, seconds=None)
    challenge = Challenge(slug, 500, ("lr_g",), "t")
    assert challenge.why_not(base.replace(lr_g=base.lr_g * 2), base) is None
    assert "lr_d" in challenge.why_not(base.replace(lr_d=base.lr_d * 2), base)
    assert "500" in challenge.why_not(base.replace(iterations=501), base)
    assert "500" in challenge.why_not(base.replace(seconds=30.0), base)


def test_wrong_keys_wait_longer_and_longer():
    now = [0.0]
    guard = KeyGuard("sesame", free_tries=2, first_wait_s=5.0, clock=lambda: now[0])
    assert not guard.check("b1", "x") and not guard.check("b1", "y")  # the free tries
    with pytest.raises(ClassError, match="try again in 5 s"):
        guard.check("b1", "sesame")  # even the right key waits
    assert guard.check("b2", "sesame")  # another browser is not held up
    now[0] += 5.0
    assert not guard.check("b1", "z")
    assert guard.wait_s("b1") == pytest.approx(10.0)
    now[0] += 10.0
    assert guard.check("b1", "sesame") and guard.wait_s("b1") == 0
    with pytest.raises(ClassError, match="not enabled"):
        KeyGuard(None).check("b1", "")


def test_a_browser_that_sheds_its_cookies_still_meets_the_server_s_limit():
    now = [0.0]
    guard = KeyGuard("sesame", free_tries=3, server_tries=5, clock=lambda: now[0])
    for fresh in range(5):  # a new "browser" every try
        assert not guard.check(f"tab-{fresh}", "guess")
    with pytest.raises(ClassError, match="try again in 60 s"):
        guard.check("tab-5", "guess")
    now[0] += 60.0
    assert guard.check("teacher", "sesame")


def test_retention_keeps_each_student_s_newest_runs_and_the_shared_ones(tmp_path):
    ada, bob = student_id("a" * 32), student_id("b" * 32)
    for age in range(5):
        saved(tmp_path, f"ada-{age}", RunOwner(ada, "Ada"), age=100 + age)
    saved(tmp_path, "ada-shared", RunOwner(ada, "Ada", shared=True), age=500)
    saved(tmp_path, "bob-0", RunOwner(bob, "Bob"), age=1000)
    pruned = prune_runs(tmp_path, student=ada, keep_per_student=3, max_bytes=10**9)
    assert sorted(entry.name for entry in pruned) == ["ada-2", "ada-3", "ada-4"]  # 2 kept + the new run = 3
    assert {p.name for p in tmp_path.iterdir()} == {".class", "ada-0", "ada-1", "ada-shared", "bob-0"}
    assert [entry.name for entry in recently_pruned(tmp_path, ada)] == ["ada-4", "ada-3", "ada-2"]
    assert recently_pruned(tmp_path, bob) == []


def test_retention_makes_room_from_the_oldest_runs_of_the_class(tmp_path):
    ada, bob = student_id("a" * 32), student_id("b" * 32)
    busy = saved(tmp_path, "bob-training", RunOwner(bob), size=3000, age=900)
    saved(tmp_path, "bob-old", RunOwner(bob), size=3000, age=800)
    saved(tmp_path, "ada-old", RunOwner(ada), size=3000, age=700)
    saved(tmp_path, "ada-new", RunOwner(ada), size=3000, age=10)
    pruned = prune_runs(tmp_path, student=None, keep_per_student=10, max_bytes=10_000, making_room_for=2000,
                        busy=[busy])
    assert [entry.name for entry in pruned] == ["bob-old", "ada-old"]  # oldest first, the training one stays
    assert "runs folder was full" in pruned[0].why


def test_the_class_page_ranks_a_challenge_s_runs_best_fid_first(tmp_path):
    ada, bob, cy = (student_id(c * 32) for c in "abc")
    saved(tmp_path, "ada", RunOwner(ada, "Ada", challenge="c1"), fid=35.0)
    saved(tmp_path, "bob", RunOwner(bob, "Bob", challenge="c1"), fid=20.0)
    saved(tmp_path, "cy", RunOwner(cy, "Cy", challenge="other"), fid=5.0)
    saved(tmp_path, "dee", RunOwner(cy, "Cy", challenge="c1"))  # not scored yet: last
    rows = class_runs([], tmp_path)
    assert [row.name for row in ranked(rows, "c1")] == ["bob", "ada", "dee"]


def test_a_live_run_is_one_row_with_its_newest_numbers(tmp_path):
    folder = saved(tmp_path, "live", RunOwner(student_id("a" * 32), "Ada"), fid=99.0)
    snap = SimpleNamespace(status="running", iteration=1234, quality=[{"fid": 12.5, "kid": 3.0}], samples=None,
                           records=[], g_loss="non-saturating")
    runner = SimpleNamespace(job=SimpleNamespace(folders=[folder], owner=read_owner(folder),
                                                 run_labels=lambda: ["mlp"]),
                             peek=lambda records=True: snap, alive=True)
    rows = class_runs([runner], tmp_path, thumbnail=lambda samples: b"png")
    assert [(row.name, row.iteration, row.fid, row.live) for row in rows] == [("live", 1234, 12.5, True)]
    assert saved_run(folder).fid == 99.0  # what the folder says once the run has ended
