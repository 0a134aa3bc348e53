"""The ETA chain: estimates follow the plan; given times stay; changes move exactly what follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.services.planner.eta import Slot, chain

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHANGE = timedelta(minutes=90)
SHOT = timedelta(seconds=10)


def run(slots, last_acquired=None, now=NOW):
    return {
        e.sequence: e
        for e in chain(slots, now=now, last_acquired=last_acquired, line_change=CHANGE, shot_interval=SHOT)
    }


def test_estimates_chain_from_now_with_a_line_change_each():
    found = run([Slot(3, 100), Slot(1, 50), Slot(2, 10)])  # any input order: the plan's order is by sequence
    assert found[1].ts0 == NOW + CHANGE and found[1].ts1 == NOW + CHANGE + 500 * timedelta(seconds=1)
    assert found[2].ts0 == found[1].ts1 + CHANGE and found[2].ts1 == found[2].ts0 + timedelta(seconds=100)
    assert found[3].ts0 == found[2].ts1 + CHANGE and found[3].ts1 == found[3].ts0 + timedelta(seconds=1000)
    assert all(e.estimated for e in found.values())


def test_the_later_of_now_and_the_last_acquired_sequence_starts_the_chain():
    later = NOW + timedelta(hours=3)
    assert run([Slot(1, 5)], last_acquired=later)[1].ts0 == later + CHANGE
    assert run([Slot(1, 5)], last_acquired=NOW - timedelta(days=1))[1].ts0 == NOW + CHANGE


def test_given_times_stay_and_the_chain_continues_from_them():
    t0, t1 = NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1)
    found = run([Slot(1, 50), Slot(2, 20, t0, t1), Slot(3, 30)])
    assert (found[2].ts0, found[2].ts1, found[2].estimated) == (t0, t1, False)
    assert found[3].ts0 == t1 + CHANGE
    # A given time in the past does not pull the next one before now.
    past = run([Slot(1, 10, NOW - timedelta(days=3), NOW - timedelta(days=3) + timedelta(minutes=5)), Slot(2, 10)])
    assert past[2].ts0 == NOW + CHANGE


def test_one_given_time_is_completed_by_the_duration():
    t0 = NOW + timedelta(days=1)
    found = run([Slot(1, 60, ts0=t0), Slot(2, 60, ts1=t0 + timedelta(days=1))])
    assert found[1].ts1 == t0 + timedelta(minutes=10) and found[1].estimated
    assert found[2].ts0 == t0 + timedelta(days=1) - timedelta(minutes=10) and found[2].estimated


def test_a_change_moves_every_later_estimate_by_exactly_the_change():
    fixed0, fixed1 = NOW + timedelta(days=9), NOW + timedelta(days=9, hours=2)
    before = run([Slot(1, 100), Slot(2, 40), Slot(3, 70), Slot(4, 5, fixed0, fixed1)])
    after = run([Slot(1, 137), Slot(2, 40), Slot(3, 70), Slot(4, 5, fixed0, fixed1)])
    for s in (2, 3):
        assert after[s].ts0 - before[s].ts0 == 37 * SHOT
        assert after[s].ts1 - before[s].ts1 == 37 * SHOT
    assert (after[4].ts0, after[4].ts1) == (fixed0, fixed1)
    deleted = run([Slot(1, 100), Slot(3, 70)])
    assert before[3].ts0 - deleted[3].ts0 == 40 * SHOT + CHANGE
