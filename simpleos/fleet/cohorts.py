"""The fleet as cohorts: groups of machines that are alike in everything the simulation looks at.

Millions of machines are not millions of Python objects. A cohort is a count
of machines that share a class (model, build, role), a site time zone,
BitLocker or not, a content pinning level and a rollout stage, split into
those online at minute 0 and those that power on later (a list of
(minute, count)). The split is drawn once per seed (draws.py): the fleet's
make-up from the spec's shares, which machines land in which ring, which
workstations are on. The work is proportional to the number of cohorts, so
8.5 M machines cost the same as 10,000. This module only builds the
groups; it must NOT decide what content does to them.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import product

from . import calendar
from .classes import MachineClass
from .draws import split, stream
from .spec import PINS, FleetSpec


@dataclass
class Cohort:
    """Alike machines: how many, and when they are online."""
    machine_class: MachineClass
    zone: int                      # index into calendar.ZONES
    bitlocker: bool
    pin: int                       # 0 = n, 1 = n-1, 2 = n-2: content lands pin * pin_lag_minutes later
    stage: int                     # index of the rollout stage (ring, wave) it belongs to
    count: int
    online: int                    # of count, on at minute 0
    wakes: list[tuple[int, int]] = field(default_factory=list)   # (minute, machines) powering on later

    def online_by(self, minute: int) -> int:
        """Machines of this cohort on at `minute`."""
        return self.online + sum(count for at, count in self.wakes if at <= minute)


@dataclass
class Fleet:
    """Every machine of a spec, grouped, with the numbers the rollout and the recovery need."""
    spec: FleetSpec
    stage_sizes: list[int]
    cohorts: list[Cohort]
    zone_machines: list[int]
    _wake_minutes: list[int] = field(default_factory=list)
    _online_after: list[int] = field(default_factory=list)
    initially_online: int = 0

    def classes(self) -> list[MachineClass]:
        """The distinct machine classes, in a fixed order."""
        return sorted({c.machine_class for c in self.cohorts})

    def machines_of(self, machine_class: MachineClass) -> int:
        """How many machines the class has."""
        return sum(c.count for c in self.cohorts if c.machine_class == machine_class)

    def online_at(self, minute: int) -> int:
        """Machines of the whole fleet powered on at `minute`."""
        index = bisect_right(self._wake_minutes, minute)
        return self._online_after[index - 1] if index else self.initially_online


def build_fleet(spec: FleetSpec, stage_sizes: list[int]) -> Fleet:
    """Draw the fleet of `spec` (seeded) and place its machines in stages of the given sizes."""
    rng = stream(spec.seed, "placement")
    cells, weights = _cells(spec)
    counts = split(spec.machines, weights, rng)
    cohorts: list[Cohort] = []
    remaining = list(counts)
    for stage, size in enumerate(stage_sizes):
        last = stage == len(stage_sizes) - 1
        taken = list(remaining) if last else split(size, remaining, rng)
        for cell, n in zip(cells, taken):
            if n:
                cohorts.append(_cohort(spec, cell, stage, n, rng))
        remaining = [r - t for r, t in zip(remaining, taken)]
    zone_machines = [0] * len(calendar.ZONES)
    for cohort in cohorts:
        zone_machines[cohort.zone] += cohort.count
    fleet = Fleet(spec, list(stage_sizes), cohorts, zone_machines)
    _index_wakes(fleet)
    return fleet


def _cells(spec: FleetSpec):
    """Every combination of the spec's shares: (class, zone, bitlocker, pin), and its weight."""
    cells, weights = [], []
    bitlocker = ((True, spec.bitlocker), (False, 1.0 - spec.bitlocker))
    for (model, m), (build, b), (role, r), (zone, z), (locked, l), (pin, p) in product(
            spec.models, spec.builds, spec.roles, enumerate(calendar.ZONES), bitlocker, spec.pins):
        weight = m * b * r * z.weight * l * p
        if weight > 0:
            cells.append((MachineClass(model, build, role), zone, locked, PINS.index(pin)))
            weights.append(weight)
    return cells, weights


def _cohort(spec: FleetSpec, cell, stage: int, count: int, rng) -> Cohort:
    """One cohort: who of it is on at minute 0, and when the others power on."""
    machine_class, zone_index, locked, pin = cell
    zone = calendar.ZONES[zone_index]
    cohort = Cohort(machine_class, zone_index, locked, pin, stage, count, online=count)
    if machine_class.role != "workstation":
        return cohort                           # servers and kiosks run around the clock
    office = calendar.in_hours(0, zone, spec.office_hours, weekdays_only=True)
    share_on = spec.office_on if office else spec.left_on
    cohort.online, offline = split(count, [share_on, 1.0 - share_on], rng)
    if offline:
        opening = calendar.next_opening(0, zone, spec.office_hours[0], weekdays_only=True)
        spread = split(offline, [1.0] * spec.wake_spread_minutes, rng)
        cohort.wakes = [(opening + minute, n) for minute, n in enumerate(spread) if n]
    return cohort


def _index_wakes(fleet: Fleet) -> None:
    """Cumulative power-ons over time, for Fleet.online_at."""
    fleet.initially_online = sum(c.online for c in fleet.cohorts)
    by_minute: dict[int, int] = {}
    for cohort in fleet.cohorts:
        for minute, n in cohort.wakes:
            by_minute[minute] = by_minute.get(minute, 0) + n
    online = fleet.initially_online
    for minute in sorted(by_minute):
        online += by_minute[minute]
        fleet._wake_minutes.append(minute)
        fleet._online_after.append(online)
