"""Lab 7 reference policy: stages that grow from a handful of machines, and an alarm on every role of every stage.

Two ideas. (1) The first stage is small (0.2% of the fleet) and each next one
about four times bigger, so content that crashes everything it reaches is
stopped after a few dozen machines, and content that crashes a rare role
meets that role in a small stage first. (2) The alarm asks, for each role of
each released stage, whether more of its machines are silent than the
baseline of normal reboots explains: expected + 4 standard deviations, and
never less than 0.9 machine, so one silent kiosk out of one is enough. The
baseline is the highest silence rate of the control group seen so far: once
most machines have the update the control group is small and its rate
jumps around (down to 0), and trusting a low draw halts good content. Noise
is drawn anew every check-in round while a crash stays silent, so the
condition must hold for 15 minutes before the rollout halts: that, too,
keeps it from halting on good content. Each stage bakes 45
minutes (10 to go missing, 15 to be sure, and time for the stage's machines
to fetch), so five stages are out in three hours.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from simpleos.fleet import DONE, HALT, NEXT, WAIT, Policy, sizes_from_fractions


@dataclass
class WatchEveryRole(Policy):
    """Geometric stages; halt when one role of one stage is silent beyond its noise for hold_minutes."""
    name = "watch-every-role"
    shares: tuple = (0.002, 0.01, 0.04, 0.15, 0.798)
    bake_minutes: int = 45
    hold_minutes: int = 15
    sigmas: float = 4.0
    _silent_since: dict = field(default_factory=dict, repr=False)
    _noise: float = field(default=0.0, repr=False)

    def stages(self, machines: int) -> list[int]:
        """The stage sizes: 0.2%, 1%, 4%, 15% and the rest."""
        return sizes_from_fractions(machines, self.shares)

    def too_many_missing(self, missing: int, fetched: int, noise: float) -> bool:
        """More silent machines than normal reboots explain, for a group of `fetched` machines."""
        expected = noise * fetched
        return missing >= max(0.9, expected + self.sigmas * math.sqrt(expected))

    def decide(self, view) -> str:
        """Release; halt when a group stays suspicious for hold_minutes; release the next after the bake."""
        if view.released == 0:
            return NEXT
        self._noise = max(self._noise, view.baseline_rate)
        suspicious = False
        for stage in view.stages[:view.released]:
            for role, seen in stage.by_role.items():
                group = (stage.index, role)
                if seen.fetched and self.too_many_missing(seen.missing, seen.fetched, self._noise):
                    since = self._silent_since.setdefault(group, view.minute)
                    if view.minute - since >= self.hold_minutes:
                        return HALT
                    suspicious = True            # not sure yet: release nothing more meanwhile
                else:
                    self._silent_since.pop(group, None)
        if suspicious or view.minutes_since_release() < self.bake_minutes:
            return WAIT
        return DONE if view.all_released else NEXT
