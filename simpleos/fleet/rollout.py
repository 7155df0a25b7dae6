"""The rollout, minute by minute: stages released, machines fetching, check-ins going missing.

The policy is asked every minute what to do, with a RolloutView of what a
rollout service could see. Releasing a stage schedules its machines'
fetches: online machines at a seeded minute of their check-in cycle,
powered-off ones when they power on, pinned ones (n-1, n-2) one or two
content cycles later. When a fetch happens, the machine's class effect --
from a real SimpleOS boot, never a coin flip -- says what became of it: a
bootloop goes silent and waits for a technician, a reboot comes back by
itself, a ring-3 sensor restarts. A halt rolls the content back: every
fetch after it gets the previous content. DONE ends the rollout only once no
machine is still to fetch (workstations off until Monday, pinned customers a
day or two later): until then the policy is still asked, and may still
halt. A policy that never finishes is stopped after two weeks.
This module moves machines through the rollout; recovery.py fixes them.
"""
from __future__ import annotations

import heapq
from bisect import bisect_right
from dataclasses import dataclass, field

from ..errors import BadInput
from .classes import BOOTLOOP, REBOOTED, REJECTED, SENSOR_RESTARTED
from .cohorts import Fleet
from .draws import binomial, split, stream
from .policies.base import ACTIONS, DONE, HALT, NEXT, Policy, RoleView, RolloutView, StageView

MAX_ROLLOUT_MINUTES = 14 * 1440      # a policy that never finishes is stopped after two weeks


@dataclass
class StageRecord:
    """What happened in one stage: counts, and when its machines went silent."""
    index: int
    size: int
    released_at: int | None = None
    fetched: int = 0
    crashed: int = 0
    bricked: int = 0
    sensor_crashed: int = 0
    rejected: int = 0
    halted: bool = False
    fetched_by_role: dict = field(default_factory=dict)
    crashed_by_role: dict = field(default_factory=dict)
    bricked_by_role: dict = field(default_factory=dict)
    silent_minutes: dict = field(default_factory=dict)       # role -> minutes its bricked machines went silent
    silent_cumulative: dict = field(default_factory=dict)    # role -> running totals of those

    def to_json(self) -> dict:
        """The per-ring object of the report."""
        return {"ring": self.index + 1, "size": self.size, "released_after_minutes": self.released_at,
                "fetched": self.fetched, "crashed": self.crashed, "bricked": self.bricked,
                "sensor_crashed": self.sensor_crashed, "rejected": self.rejected, "halted": self.halted}


@dataclass
class RolloutRecord:
    """Everything the recovery and the report need from the rollout."""
    stages: list[StageRecord]
    halted_at: int | None = None
    ended_at: int = 0
    completed: bool = False
    bricked_arrivals: list = field(default_factory=list)   # (minute, zone, bitlocker, machines)
    reboots: list = field(default_factory=list)            # (minute, machines, minutes down)
    unfixable: list = field(default_factory=list)          # (minute, machines) the 2024 fix did not bring up


class Rollout:
    """One policy rolling one update out over one fleet."""

    def __init__(self, fleet: Fleet, effects: dict, policy: Policy) -> None:
        """The fleet, its classes' effects (class -> boot result) and a fresh policy."""
        self.fleet, self.spec, self.effects, self.policy = fleet, fleet.spec, effects, policy
        self.timing = stream(self.spec.seed, "timing")
        self.noise = stream(self.spec.seed, "noise")
        self.record = RolloutRecord([StageRecord(i, size) for i, size in enumerate(fleet.stage_sizes)])
        self.events: list = []                 # heap of (minute, sequence, cohort index, machines)
        self.sequence = 0
        self.released = 0
        self.fetched_total = 0
        self._noise_minute = None
        self._noise: dict = {}

    def run(self) -> RolloutRecord:
        """Ask the policy minute by minute until it halts or is done; then let pending fetches happen."""
        record = self.record
        for minute in range(MAX_ROLLOUT_MINUTES + 1):
            self._deliver_until(minute)
            action = self.policy.decide(self._view(minute))
            if action not in ACTIONS:
                raise BadInput(f"policy {self.policy.name}: decide() returned {action!r}, not one of {', '.join(ACTIONS)}")
            if action == NEXT and self.released < len(record.stages):
                self._release(self.released, minute)
            elif action == HALT:
                record.halted_at = minute
                if self.released:
                    record.stages[self.released - 1].halted = True
                break
            elif action == DONE and not self.events:
                break                            # released, and nobody is still to fetch: over
        record.ended_at = minute
        record.completed = record.halted_at is None and self.released == len(record.stages)
        if record.halted_at is None:
            self._deliver_until(None)            # stopped by the time limit: the content stays out
        return record

    # --- releasing and fetching -----------------------------------------------------

    def _release(self, stage: int, minute: int) -> None:
        """Schedule every fetch of `stage`'s machines."""
        self.record.stages[stage].released_at = minute
        self.released += 1
        cycle = self.spec.checkin_minutes
        for index, cohort in enumerate(self.fleet.cohorts):
            if cohort.stage != stage:
                continue
            start = minute + cohort.pin * self.spec.pin_lag_minutes
            awake = cohort.online_by(start)
            for offset, n in enumerate(split(awake, [1.0] * cycle, self.timing)):
                self._schedule(start + offset, index, n)
            for at, n in cohort.wakes:
                if at > start:
                    self._schedule(at, index, n)

    def _schedule(self, minute: int, cohort: int, machines: int) -> None:
        """`machines` of cohort number `cohort` will fetch at `minute`."""
        if machines:
            self.sequence += 1
            heapq.heappush(self.events, (minute, self.sequence, cohort, machines))

    def _deliver_until(self, minute: int | None) -> None:
        """Every fetch due by `minute` (None: all of them) happens now."""
        while self.events and (minute is None or self.events[0][0] <= minute):
            at, _, index, machines = heapq.heappop(self.events)
            self._fetch(at, self.fleet.cohorts[index], machines)

    def _fetch(self, minute: int, cohort, machines: int) -> None:
        """`machines` of `cohort` download the update at `minute`; their class's boot says what follows."""
        stage = self.record.stages[cohort.stage]
        role = cohort.machine_class.role
        effect = self.effects[cohort.machine_class]
        stage.fetched += machines
        stage.fetched_by_role[role] = stage.fetched_by_role.get(role, 0) + machines
        self.fetched_total += machines
        kind = effect["effect"]
        if kind in (BOOTLOOP, REBOOTED):
            stage.crashed_by_role[role] = stage.crashed_by_role.get(role, 0) + machines
        if kind == BOOTLOOP:
            stage.crashed += machines
            stage.bricked += machines
            stage.bricked_by_role[role] = stage.bricked_by_role.get(role, 0) + machines
            minutes = stage.silent_minutes.setdefault(role, [])
            totals = stage.silent_cumulative.setdefault(role, [])
            minutes.append(minute)
            totals.append((totals[-1] if totals else 0) + machines)
            if effect["manual_fix"] == "up":
                self.record.bricked_arrivals.append((minute, cohort.zone, cohort.bitlocker, machines))
            else:                                # safe mode + rm did not bring the class up
                self.record.unfixable.append((minute, machines))
        elif kind == REBOOTED:
            stage.crashed += machines
            self.record.reboots.append((minute, machines, effect["down_minutes"]))
        elif kind == SENSOR_RESTARTED:
            stage.sensor_crashed += machines
        elif kind == REJECTED:
            stage.rejected += machines

    # --- what the rollout service sees -------------------------------------------------

    def _view(self, minute: int) -> RolloutView:
        """Fetches and missing check-ins per stage and role; the control group's silence rate."""
        spec = self.spec
        if self._noise_minute is None or minute - self._noise_minute >= spec.checkin_minutes:
            self._noise_minute, self._noise = minute, {}     # a new check-in round: new normal silences
        stages = []
        for stage in self.record.stages:
            by_role = {}
            for role, fetched in sorted(stage.fetched_by_role.items()):
                silent = self._silent(stage, role, minute - spec.missing_after_minutes)
                healthy = fetched - self._silent(stage, role, minute)
                normal = self._noise_draw((stage.index, role), healthy)
                by_role[role] = RoleView(fetched, min(fetched, silent + normal))
            stages.append(StageView(stage.index, stage.size, stage.released_at, stage.fetched,
                                    sum(r.missing for r in by_role.values()), by_role))
        control = max(0, self.fleet.online_at(minute) - self.fetched_total)
        rate = self._noise_draw("control", control) / control if control else spec.baseline_silent
        return RolloutView(minute, spec.machines, tuple(stages), self.released, rate,
                           spec.checkin_minutes, spec.missing_after_minutes)

    @staticmethod
    def _silent(stage: StageRecord, role: str, by_minute: int) -> int:
        """Bricked machines of `role` in `stage` that went silent at or before `by_minute`."""
        minutes = stage.silent_minutes.get(role)
        if not minutes:
            return 0
        index = bisect_right(minutes, by_minute)
        return stage.silent_cumulative[role][index - 1] if index else 0

    def _noise_draw(self, key, machines: int) -> int:
        """Healthy machines silent anyway (reboots, network): drawn anew each check-in round,
        and when the number of machines watched changes."""
        if key not in self._noise or self._noise[key][0] != machines:
            self._noise[key] = (machines, binomial(machines, self.spec.baseline_silent, self.noise))
        return self._noise[key][1]
