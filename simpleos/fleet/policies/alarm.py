"""The circuit breaker: trip when a stage's missing check-ins exceed the baseline of normal reboots.

A crashed machine sends no error report; it goes silent. So the alarm
compares, for every released stage, the machines that fetched the update
and then went silent with what the control group's silence rate (machines
without the update, measured at the same minute) predicts. It trips when
the excess is at least `min_machines` machines (or the whole stage, if it is
smaller: one silent box of a one-box stage counts) and at least `excess` of
the stage, for `hold_minutes` in a row (like Argo's failure limit), so that one
noisy check-in does not halt a rollout. This module only judges a view; it
must NOT halt anything itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .base import RolloutView


@dataclass
class Alarm:
    """A missing-check-in alarm over the released stages of a rollout."""
    excess: float = 0.005            # share of the stage beyond the baseline
    min_machines: int = 3            # and at least this many machines
    hold_minutes: int = 10           # the condition must hold this long
    _since: int | None = field(default=None, repr=False)

    def condition(self, view: RolloutView) -> bool:
        """Is any released stage over the threshold right now?"""
        for stage in view.stages[:view.released]:
            threshold = max(min(self.min_machines, stage.fetched), self.excess * stage.fetched)
            if stage.fetched and stage.excess_missing(view.baseline_rate) >= threshold:
                return True
        return False

    def tripped(self, view: RolloutView) -> bool:
        """Has the condition held for hold_minutes (call once per minute)?"""
        if not self.condition(view):
            self._since = None
            return False
        if self._since is None:
            self._since = view.minute
        return view.minute - self._since >= self.hold_minutes
