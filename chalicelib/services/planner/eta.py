"""The ETA chain of a plan (pure: no I/O).

A planned sequence's times are either given by a user or estimated. Estimates follow the plan in
sequence order: a sequence starts one line change after the later of the previous planned
sequence's end, now and the end of the last acquired sequence, and lasts ``num_points`` shot
intervals. A given ``ts0`` without ``ts1`` (or the reverse) is completed by the same duration.
Given times are never moved; the sequences after them chain from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Slot:
    """What the chain needs of one planned sequence."""

    sequence: int
    num_points: int
    ts0: datetime | None = None
    ts1: datetime | None = None


@dataclass(frozen=True)
class Eta:
    sequence: int
    ts0: datetime
    ts1: datetime
    estimated: bool


def chain(
    slots: Iterable[Slot],
    *,
    now: datetime,
    last_acquired: datetime | None,
    line_change: timedelta,
    shot_interval: timedelta,
) -> list[Eta]:
    """The times of every slot, in sequence order."""
    floor = max(now, last_acquired) if last_acquired is not None else now
    previous_end: datetime | None = None
    found: list[Eta] = []
    for slot in sorted(slots, key=lambda s: s.sequence):
        duration = shot_interval * slot.num_points
        if slot.ts0 is not None and slot.ts1 is not None:
            ts0, ts1, estimated = slot.ts0, slot.ts1, False
        elif slot.ts0 is not None:
            ts0, ts1, estimated = slot.ts0, slot.ts0 + duration, True
        elif slot.ts1 is not None:
            ts0, ts1, estimated = slot.ts1 - duration, slot.ts1, True
        else:
            start = max(previous_end, floor) if previous_end is not None else floor
            ts0 = start + line_change
            ts1, estimated = ts0 + duration, True
        found.append(Eta(slot.sequence, ts0, ts1, estimated))
        previous_end = ts1
    return found
