"""Commit points follow each partition's earliest unfinished record."""

from __future__ import annotations

from customer_async.offsets import OffsetTracker

P0 = ("t", 0)
P1 = ("t", 1)


def test_a_partition_commits_up_to_its_earliest_unfinished_record() -> None:
    tracker = OffsetTracker()
    for offset in (10, 11, 12):
        tracker.started(P0, offset)
    tracker.done(P0, 12)
    tracker.done(P0, 11)
    assert tracker.committable() == {P0: 10}
    tracker.done(P0, 10)
    assert tracker.committable() == {P0: 13}
    assert tracker.in_flight == 0


def test_only_moved_points_are_offered_again() -> None:
    tracker = OffsetTracker()
    tracker.started(P0, 0)
    tracker.started(P1, 5)
    tracker.done(P1, 5)
    points = tracker.committable()
    assert points == {P0: 0, P1: 6}
    tracker.committed(points)
    assert tracker.committable() == {}
    tracker.done(P0, 0)
    assert tracker.committable() == {P0: 1}


def test_a_revoked_partition_is_forgotten_and_late_completions_ignored() -> None:
    tracker = OffsetTracker()
    tracker.started(P0, 3)
    tracker.forget([P0])
    tracker.done(P0, 3)
    assert tracker.committable() == {}
    assert tracker.in_flight == 0
