"""Fleet time: minutes since 19 July 2024, 04:09 UTC, and the time zones machines live in.

Minute 0 is when Channel File 291 version 32 went out. A machine's site is in
one of a few time zones; its local clock decides whether a workstation is
on (office hours) or off until the next working morning, and when the
site's technicians are at work. The zone list and its weights are a teaching
assumption (roughly where Windows PCs are), not a measured fact. This module
does arithmetic on minutes only; it must not decide who crashes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

START = datetime(2024, 7, 19, 4, 9, tzinfo=timezone.utc)   # a Friday
MINUTES_PER_DAY = 1440
_START_MINUTE_OF_DAY = START.hour * 60 + START.minute
_START_WEEKDAY = START.weekday()                           # Monday = 0, so Friday = 4


@dataclass(frozen=True)
class Zone:
    """A time zone the fleet's sites are in."""
    name: str
    utc_offset_minutes: int
    weight: float            # share of the fleet's machines


ZONES = (
    Zone("Americas/Pacific", -7 * 60, 0.08),
    Zone("Americas/Eastern", -4 * 60, 0.22),
    Zone("Europe/Central", 2 * 60, 0.30),
    Zone("Asia/Kolkata", 5 * 60 + 30, 0.08),
    Zone("Asia/Shanghai", 8 * 60, 0.20),
    Zone("Australia/Sydney", 10 * 60, 0.12),
)


def local_minute(minute: int, zone: Zone) -> int:
    """Local minutes since midnight at the start of 19 July 2024 in `zone` (negative before it)."""
    return minute + _START_MINUTE_OF_DAY + zone.utc_offset_minutes


def local_clock(minute: int, zone: Zone) -> tuple[int, int]:
    """(weekday, minute of the day) on the zone's local clock at fleet minute `minute`."""
    local = local_minute(minute, zone)
    day, minute_of_day = divmod(local, MINUTES_PER_DAY)
    return (_START_WEEKDAY + day) % 7, minute_of_day


def in_hours(minute: int, zone: Zone, hours: tuple[int, int], weekdays_only: bool) -> bool:
    """Is the local time within [start hour, end hour) (and a weekday, if asked)?"""
    weekday, minute_of_day = local_clock(minute, zone)
    if weekdays_only and weekday >= 5:
        return False
    return hours[0] * 60 <= minute_of_day < hours[1] * 60


def next_opening(minute: int, zone: Zone, hour: int, weekdays_only: bool) -> int:
    """The first fleet minute after `minute` at which the local clock reads `hour`:00 (on a weekday, if asked)."""
    local = local_minute(minute, zone)
    day = local // MINUTES_PER_DAY
    while True:
        opening = day * MINUTES_PER_DAY + hour * 60
        weekday = (_START_WEEKDAY + day) % 7
        if opening > local and not (weekdays_only and weekday >= 5):
            return minute + (opening - local)
        day += 1


def shift_end(minute: int, zone: Zone, hours: tuple[int, int]) -> int:
    """The fleet minute at which the local shift that contains `minute` ends."""
    local = local_minute(minute, zone)
    day = local // MINUTES_PER_DAY
    return minute + (day * MINUTES_PER_DAY + hours[1] * 60 - local)


def timestamp(minute: int) -> str:
    """Fleet minute as UTC time, e.g. 2024-07-19T05:27Z."""
    return (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%MZ")
