"""The policy interface: what a rollout policy is told, and what it may answer.

A policy plans its stages once (`stages(machines)`: how many machines in
each ring or wave, in release order) and is then asked every simulated
minute what to do (`decide(view)`), with a RolloutView that holds only what
a real rollout service can see: who fetched the update and whose check-ins
are missing -- never who crashed. It answers NEXT (release the next stage),
WAIT, HALT (stop and roll back: machines that fetch from now on get the
previous content) or DONE (no more stages; the rollout ends once no machine
is still to fetch, and until then the policy is still asked, so it can
still halt).
A policy is a small class; a lab's grader can load a student's from a file
(loader.py). This module defines the interface; it must NOT simulate.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields

WAIT, NEXT, HALT, DONE = "wait", "next", "halt", "done"
ACTIONS = (WAIT, NEXT, HALT, DONE)


@dataclass(frozen=True)
class RoleView:
    """One role's machines within a stage."""
    fetched: int          # have downloaded the update
    missing: int          # of those, silent for missing_after_minutes or longer


@dataclass(frozen=True)
class StageView:
    """One planned stage (ring, wave) of the rollout."""
    index: int
    size: int
    released_at: int | None          # minute it was released, None if not yet
    fetched: int
    missing: int
    by_role: dict[str, RoleView]

    def excess_missing(self, baseline_rate: float) -> float:
        """Missing check-ins beyond what the baseline of normal reboots predicts for this many machines."""
        return self.missing - baseline_rate * self.fetched


@dataclass(frozen=True)
class RolloutView:
    """What the rollout service sees at one minute."""
    minute: int                      # since the rollout began
    machines: int                    # in the fleet
    stages: tuple[StageView, ...]    # every planned stage, released or not
    released: int                    # how many stages are out
    baseline_rate: float             # silent share of machines without the update, right now (the control group)
    checkin_minutes: int
    missing_after_minutes: int

    @property
    def current(self) -> StageView | None:
        """The stage released last, or None before the first release."""
        return self.stages[self.released - 1] if self.released else None

    def minutes_since_release(self) -> int | None:
        """Minutes since the last release (the bake so far), or None before the first."""
        return None if self.current is None else self.minute - self.current.released_at

    @property
    def all_released(self) -> bool:
        """Is every planned stage out?"""
        return self.released == len(self.stages)


class Policy:
    """Subclass this (or a built-in policy) and override stages() and decide()."""

    name = "policy"

    def stages(self, machines: int) -> list[int]:
        """Machines per stage, in release order; they must add up to `machines`."""
        raise NotImplementedError

    def decide(self, view: RolloutView) -> str:
        """NEXT, WAIT, HALT or DONE for this minute."""
        raise NotImplementedError

    def parameters(self) -> dict:
        """The policy's settings, for the report: its dataclass fields, without the private ones
        (`_name`: state the policy keeps, not a parameter -- as the loader sees it)."""
        try:
            return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if not f.name.startswith("_")}
        except TypeError:          # not a dataclass
            return {}


def sizes_from_fractions(machines: int, fractions) -> list[int]:
    """Stage sizes for shares of the fleet (largest remainder; each stage at least one machine when possible)."""
    total = float(sum(fractions))
    exact = [machines * f / total for f in fractions]
    sizes = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (sizes[i] - exact[i], i))
    for i in by_remainder[:machines - sum(sizes)]:
        sizes[i] += 1
    for i, size in enumerate(sizes):            # an empty early ring would skip its bake: borrow a machine
        if size == 0:
            donor = max(range(len(sizes)), key=lambda j: sizes[j])
            if sizes[donor] > 1:
                sizes[donor] -= 1
                sizes[i] = 1
    return [s for s in sizes if s > 0]


def _plain(value):
    """A parameter as JSON data: tuples as lists; anything JSON cannot hold (a set, an object) as its repr."""
    value = list(value) if isinstance(value, tuple) else value
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value
