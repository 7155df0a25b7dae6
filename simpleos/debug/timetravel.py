"""Time travel for the DebugTarget: reverse-stepi and reverse-continue by deterministic replay.

Going back to position P means: put back the nearest checkpoint at or
before P (checkpoints.py) -- or, if there is none, power on again
(target._power_on: the power-on checkpoint put back, or a boot from the
same disk snapshot where none could be kept) -- and run forward to P with run_once(limit=...), which
keeps the schedule identical (time slices resume), making the user's edits
(registers, memory) again at the positions they were made. Because the
machine is deterministic, the state at P is exactly what stepping forward
saw. reverse-continue searches back one checkpoint interval at a time.
These methods are DebugTarget's (target.py); they use its _power_on,
_run_once, _cont and breakpoints, and never decide what a fault means.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..kernel.kernel import IDLE
from . import stops
from .stops import StopEvent

_BUGCHECKED = "bugcheck"       # pseudo run_once() result: the kernel raised Bugcheck


@dataclass
class Edit:
    """A change the user made to the machine (register or memory), replayed by time travel."""
    position: int
    kind: str          # "register" | "memory"
    key: object        # register name or address
    value: object      # int or bytes



class TimeTravel:
    """Running backward (mixed into DebugTarget)."""

    def reverse_stepi(self) -> StopEvent:
        """Go back one instruction: the state stepping forward had at position - 1."""
        if self.position == 0:
            self.last_stop = self._event(stops.START, "at the beginning of history (position 0)")
            return self.last_stop
        self.replay_to(self.position - 1)
        self.last_stop = self._event(stops.STEP)
        return self.last_stop

    def reverse_cont(self) -> StopEvent:
        """Go back to the last breakpoint (or held fault) before the current position,
        or to position 0 if there is none. The search replays one stretch at a time,
        from the nearest checkpoint back towards power-on; in the first stretch that has
        stops, a second replay stays at the last of them."""
        current = self.position
        if current == 0:
            self.last_stop = self._event(stops.START, "at the beginning of history (position 0)")
            return self.last_stop
        self._drop_edits_after(current)
        end = current
        for start in [c for c in self.checkpoints.before(current)] + [None]:
            count = len(self._replay_stops(start, before=end))
            if count:
                self.last_stop = self._replay_stops(start, before=end, stop_at=count)[-1]
                self._drop_edits_after(self.position)
                return self.last_stop
            end = start.position if start is not None else 0
        self.replay_to(0)
        self.last_stop = self._event(stops.START, "no breakpoint before this point: back at position 0")
        return self.last_stop

    def replay_to(self, target: int) -> None:
        """Go back to position `target` (not beyond the present): put back the nearest
        checkpoint at or before it (or power on again: _replay_from) and run forward to it. Edits made
        after `target` are forgotten: going back undoes them."""
        target = max(0, min(target, self.position))
        self._drop_edits_after(target)
        self._replay_quietly(target)
        self._hook_all()

    def _replay_quietly(self, until: int, from_power_on: bool = False) -> None:
        """Go back and run to `until`, making the user's edits and keeping every one; from the
        nearest checkpoint at or before `until`, or with `from_power_on` from position 0 (a
        recording of every access before `until` needs the whole past). Breakpoints are not
        hooked (the caller hooks them again: _hook_all)."""
        self._replaying = True
        try:
            self._replay_from(None if from_power_on else self.checkpoints.nearest(until))
            self._run_quietly_to(until)
        finally:
            self._replaying = False

    def _run_quietly_to(self, until: int) -> None:
        """Run forward to `until` without stopping at breakpoints, making the edits on the way."""
        while self.position < until:
            goal = min(until, self._next_edit_after(self.position))
            result = self._run_once(limit=goal - self.position)
            self._catch_up_edits()
            if result in (IDLE, _BUGCHECKED):
                break

    def _replay_stops(self, start, before: int, stop_at: int | None = None) -> list[StopEvent]:
        """Replay from checkpoint `start` (None: from power-on) as a series of cont()s with
        the breakpoints hooked; the stops (breakpoints, held faults) at positions before
        `before`. With `stop_at` = n, stay at the n-th stop."""
        self._replaying = True
        try:
            self._replay_from(start)
            self._hook_all()
            found: list[StopEvent] = []
            while self.position < before and not self._dead():
                event = self._cont(until=before)
                if event is None:
                    break
                if event.reason in (stops.BREAKPOINT, stops.FAULT) and event.position < before:
                    found.append(event)
                    if stop_at is not None and len(found) == stop_at:
                        break
            return found
        finally:
            self._replaying = False

    def _replay_from(self, checkpoint) -> None:
        """The machine as it was at `checkpoint` (None: at power-on -- the power-on checkpoint
        put back, or a boot where there is none: target._power_on), with the edits made at
        that position."""
        if checkpoint is None:
            self._power_on()
            self.replays += 1
            self._edit_mark = -1
        else:
            self._unhook_all()                        # a replay runs without breakpoints, as after power-on
            self.checkpoints.restore(self, checkpoint)
            self.bugcheck, self.idle = None, False
            self._edit_mark = checkpoint.position - 1     # an edit made there is made again
        self._catch_up_edits()

    def _catch_up_edits(self) -> None:
        """During a replay: make the edits of the positions passed since the last call."""
        for edit in self.edits:
            if self._edit_mark < edit.position <= self.position:
                self._apply(edit, record=False)
        self._edit_mark = self.position

    def _next_edit_after(self, position: int) -> int:
        return min((e.position for e in self.edits if e.position > position), default=1 << 62)

    def _drop_edits_after(self, position: int) -> None:
        kept = [e for e in self.edits if e.position <= position]
        if len(kept) != len(self.edits):
            self.checkpoints.forget_after(position)     # they were taken with those edits made
        self.edits = kept
