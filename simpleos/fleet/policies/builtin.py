"""The three built-in policies: all-at-once (19 July 2024), rings (Windows Autopatch), canary (AWS).

all-at-once: one stage, everybody fetches at once, and a human pulls the
content after 78 minutes, as CrowdStrike did (04:09 to 05:27 UTC).
rings: 1% / 9% / 90% of the fleet, each baked before the next, halted by
the missing-check-in alarm (fleets of 200 or fewer use 5 / 15 / 80, as
Autopatch does). canary: one box, then a canary group of hosts, then waves
that double, each baked, with automatic rollback on the alarm. Every
parameter is a dataclass field, so flags and TOML files set them by name.
This module only decides; it must NOT look at outcomes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .alarm import Alarm
from .base import DONE, HALT, NEXT, WAIT, Policy, RolloutView, sizes_from_fractions

SMALL_FLEET = 200
SMALL_FLEET_RINGS = (0.05, 0.15, 0.80)


@dataclass
class AllAtOnce(Policy):
    """Everyone at once; a human reverts after revert_minutes."""
    revert_minutes: int = 78
    name = "all-at-once"

    def stages(self, machines: int) -> list[int]:
        """One stage: the whole fleet."""
        return [machines]

    def decide(self, view: RolloutView) -> str:
        """Release at once; halt (revert) when the time is up. No alarm: nobody was watching check-ins."""
        if view.released == 0:
            return NEXT
        return HALT if view.minute >= self.revert_minutes else WAIT


@dataclass
class Staged(Policy):
    """Stages released one after another, each baked, halted by the alarm."""
    bake_minutes: int = 60
    alarm_excess: float = 0.005
    alarm_min_machines: int = 3
    alarm_hold_minutes: int = 10
    _alarm: Alarm | None = field(default=None, repr=False)

    def decide(self, view: RolloutView) -> str:
        """Release the first stage; halt on the alarm; release the next after the bake; done after the last."""
        if view.released == 0:
            return NEXT
        if self._alarm is None:
            self._alarm = Alarm(self.alarm_excess, self.alarm_min_machines, self.alarm_hold_minutes)
        if self._alarm.tripped(view):
            return HALT
        if view.minutes_since_release() < self.bake_minutes:
            return WAIT
        return DONE if view.all_released else NEXT

    def parameters(self) -> dict:
        """Settings for the report (without the alarm's state)."""
        return {k: v for k, v in super().parameters().items() if not k.startswith("_")}


@dataclass
class Rings(Staged):
    """Windows Autopatch-style rings, as shares of the fleet."""
    rings: tuple = (0.01, 0.09, 0.90)
    name = "rings"

    def stages(self, machines: int) -> list[int]:
        """The rings' sizes (5/15/80 for small fleets when the default rings are kept)."""
        rings = self.rings
        if machines <= SMALL_FLEET and tuple(rings) == (0.01, 0.09, 0.90):
            rings = SMALL_FLEET_RINGS
        return sizes_from_fractions(machines, rings)


@dataclass
class Canary(Staged):
    """AWS-style: one box, a canary group, then waves that double in size."""
    first_box: int = 1
    canary_hosts: int = 100
    waves: int = 4
    name = "canary"

    def stages(self, machines: int) -> list[int]:
        """[first box, canary group, wave 1, wave 2 (twice as big), ...] over the fleet."""
        sizes = []
        left = machines
        for wanted in (self.first_box, self.canary_hosts):
            take = min(wanted, left)
            if take > 0:
                sizes.append(take)
                left -= take
        if left > 0:
            sizes += sizes_from_fractions(left, [2 ** i for i in range(max(1, self.waves))])
        return sizes


BUILTIN_POLICIES = {"all-at-once": AllAtOnce, "rings": Rings, "canary": Canary}
