"""The forecast: daily production, shares of time, and the completion range."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

import pytest

from chalicelib.services.planner.forecast import Z90, Acquired, days_to_complete, downtime_intervals, outlook

DAY0 = datetime(2024, 5, 1, tzinfo=UTC)
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def day(n, hour, minutes=60, points=100):
    start = DAY0 + timedelta(days=n, hours=hour)
    return Acquired(start, start + timedelta(minutes=minutes), points)


@pytest.mark.parametrize(
    ("mean", "stdev", "remaining"), [(240.0, 60.0, 2400.0), (1000.0, 500.0, 30_000.0), (50, 0, 75)]
)
def test_the_completion_range_has_the_probabilities_it_claims(mean, stdev, remaining):
    for z, chance_done in ((Z90, 0.10), (0.0, 0.50), (-Z90, 0.90)):
        k = days_to_complete(remaining, mean, stdev, z)
        if stdev == 0:
            assert k == pytest.approx(remaining / mean)
            continue
        production = NormalDist(k * mean, stdev * math.sqrt(k))  # what k days produce
        assert 1.0 - production.cdf(remaining) == pytest.approx(chance_done, abs=1e-9)
    assert days_to_complete(0, mean, stdev, Z90) == 0.0


def test_steady_production_finishes_on_the_known_day():
    acquired = [day(n, h, points=120) for n in range(5) for h in (8, 14)]  # 240 points a day
    found = outlook(acquired, [], remaining=600, days=7, now=NOW)
    assert found.window_days == 5  # the survey is younger than the window
    assert found.daily_production == pytest.approx([240.0] * 5)
    assert found.completion == (NOW + timedelta(days=2.5),) * 3
    assert found.rate == pytest.approx(120.0)  # points per hour of shooting
    assert found.shooting_share == pytest.approx(2 / 24)
    # Before "now" is reached, the forecast starts at the end of the window.
    early = outlook(acquired, [], remaining=240, days=7, now=DAY0)
    assert early.completion is not None
    assert early.completion[1] == acquired[-1].ts1 + timedelta(days=1)


def test_the_window_counts_only_the_last_days_and_splits_sequences_across_midnight():
    acquired = [day(0, 8, points=1000), day(5, 23, minutes=120, points=120), day(6, 12, points=60)]
    found = outlook(acquired, [], remaining=100, days=2, now=NOW)
    end = acquired[-1].ts1
    assert found.window_end == end and found.window_start == end - timedelta(days=2)
    # Both recent sequences end within the last 24 hours; the day before produced nothing (and counts).
    assert found.daily_production == pytest.approx([0.0, 180.0])
    # A sequence across the boundary between two days is split by time: 00:00-02:00, boundary 01:00.
    found = outlook([day(1, 0, minutes=120, points=120), day(2, 0, points=60)], [], 100, 2, NOW)
    assert found.daily_production == pytest.approx([60.0, 120.0])


def test_line_changes_and_downtime_share_the_time_between_sequences():
    acquired = [day(0, 0, minutes=360, points=1), day(0, 8, minutes=360, points=1), day(0, 16, minutes=480, points=1)]
    down = downtime_intervals(
        [(DAY0 + timedelta(hours=6, minutes=30), None)], [a.ts0 for a in acquired], DAY0 + timedelta(days=1)
    )
    assert down == [(DAY0 + timedelta(hours=6, minutes=30), DAY0 + timedelta(hours=8))]  # until shooting resumed
    found = outlook(acquired, down, remaining=10, days=1, now=NOW)
    assert found.shooting_share == pytest.approx(20 / 24)
    assert found.downtime_share == pytest.approx(1.5 / 24)
    assert found.line_change_share == pytest.approx(2.5 / 24)
    given = downtime_intervals([(DAY0, DAY0 + timedelta(minutes=5))], [], DAY0 + timedelta(days=1))
    assert given == [(DAY0, DAY0 + timedelta(minutes=5))]


def test_no_production_no_completion_date():
    assert outlook([], [], remaining=10, days=7, now=NOW).completion is None
