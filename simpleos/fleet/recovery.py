"""After the rollout: who comes back by themselves, and how long the technicians take for the rest.

Machines that are up and checking in get the revert by themselves, and a
reboot that came back costs only its minutes down. A bootlooping machine
needs hands on its keyboard: safe mode and `rm` of the channel file, with a
BitLocker recovery key first where the disk is encrypted. Each site has
`technicians` people working local `shift_hours`, from the moment the fix
is known (the halt, or the end of a rollout that never halted). A zone's
sites share its bricked machines evenly, and each site's queue is worked
first come, first served, as a fluid (fractions of a machine per site), so
the cost does not grow with the fleet. This module computes when machines
come back; it must NOT decide who crashed.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from . import calendar
from .spec import FleetSpec

MAX_RECOVERY_MINUTES = 365 * 1440


@dataclass
class Recovery:
    """When crashed machines came back, and what the wait cost."""
    returns: list = field(default_factory=list)       # (minute, machines), fractional machines allowed
    machine_hours_lost: float = 0.0
    fixed_by_hand: float = 0.0
    unfinished: float = 0.0                           # still down at the horizon


def recover(record, zone_machines: list[int], spec: FleetSpec) -> Recovery:
    """Returns for every crashed machine of a rollout record."""
    recovery = Recovery()
    for minute, machines, down in record.reboots:
        recovery.returns.append((minute + down, machines))
        recovery.machine_hours_lost += machines * down / 60
    for minute, machines in record.unfixable:     # down for good: the fix by hand did not work on them
        recovery.unfinished += machines
        recovery.machine_hours_lost += machines * MAX_RECOVERY_MINUTES / 60
    known_at = record.halted_at if record.halted_at is not None else record.ended_at
    for zone_index, zone in enumerate(calendar.ZONES):
        arrivals = [(minute, locked, n) for minute, z, locked, n in record.bricked_arrivals if z == zone_index]
        if arrivals:
            _fix_by_hand(recovery, arrivals, zone, zone_machines[zone_index], known_at, spec)
    recovery.returns.sort()
    return recovery


def _fix_by_hand(recovery: Recovery, arrivals, zone, machines_in_zone: int, known_at: int, spec: FleetSpec) -> None:
    """One zone: a representative site's technicians work its share of the queue, shift by shift."""
    sites = max(1, math.ceil(machines_in_zone / spec.site_machines))
    queue = deque()
    pending = deque(sorted((minute, locked, n) for minute, locked, n in arrivals))
    clock = float(max(known_at, pending[0][0]))
    limit = known_at + MAX_RECOVERY_MINUTES
    while (queue or pending) and clock < limit:
        while pending and pending[0][0] <= clock:
            minute, locked, n = pending.popleft()
            service = spec.fix_minutes + (spec.bitlocker_minutes if locked else 0)
            queue.append([minute, n / sites, service])
        if not queue:
            clock = float(pending[0][0])
            continue
        now = math.floor(clock)
        if not calendar.in_hours(now, zone, spec.shift_hours, weekdays_only=False):
            clock = float(calendar.next_opening(now, zone, spec.shift_hours[0], weekdays_only=False))
            continue
        shift_over = float(calendar.shift_end(now, zone, spec.shift_hours))
        head = queue[0]
        arrival, per_site, service = head
        needed = per_site * service / spec.technicians
        if clock + needed <= shift_over:
            clock += needed
            queue.popleft()
            _returned(recovery, clock, per_site * sites, arrival)
        else:
            done = (shift_over - clock) * spec.technicians / service
            head[1] -= done
            clock = shift_over
            _returned(recovery, clock, done * sites, arrival)
    for arrival, per_site, _ in queue:            # still down at the horizon: count them down until then
        recovery.unfinished += per_site * sites
        recovery.machine_hours_lost += per_site * sites * (limit - arrival) / 60
    for arrival, _, n in pending:
        recovery.unfinished += n
        recovery.machine_hours_lost += n * (limit - arrival) / 60


def _returned(recovery: Recovery, at: float, machines: float, crashed_at: int) -> None:
    """`machines` fixed by hand at minute `at` (they went down at `crashed_at`)."""
    if machines <= 0:
        return
    recovery.returns.append((math.ceil(at), machines))
    recovery.fixed_by_hand += machines
    recovery.machine_hours_lost += machines * (at - crashed_at) / 60
