"""The recent past of the DebugTarget, looked at without moving the user: quiet replays and instruction traces.

`why` (why.py) and the backward searches of watch.py need to look at
states before the present and then be back where the user was, with
nothing changed: the same position, every edit the user made (replay_to
forgets those after its target, as going back undoes them; these do not),
the same breakpoints and the same last stop. With TimeTravel's

  _replay_quietly(P)      go back to the nearest checkpoint at or before P
                          (checkpoints.py) -- or, for a search that must see
                          everything from the start, the power-on one -- and run
                          to position P, making the edits, stopping at no
                          breakpoint
  _run_quietly_to(P)      the same from where the machine is

this module adds

  trace(start)            the instructions from position `start` to now,
                          each with the registers before it, by replaying
                          to `start` and stepping the rest -- a short
                          window, so stepping costs little

These methods are DebugTarget's (a mixin, as timetravel.py's); the
machine is deterministic, so coming back to the present gives the very
state the user had. They never decide what a fault means.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..kernel.kernel import IDLE
from ..machine.cpu import GENERAL_REGISTERS
from .timetravel import _BUGCHECKED, TimeTravel

MAX_TRACE = 1 << 16          # instructions a trace may cover


@dataclass(frozen=True)
class TraceEntry:
    """One instruction of a trace: where and in which process it ran, and the registers before it."""
    position: int
    rip: int
    pid: int | None
    registers: dict


class History(TimeTravel):
    """Looking back without moving (mixed into DebugTarget through watch.Watchpoints)."""

    def trace(self, start: int) -> list[TraceEntry]:
        """The instructions retired from position `start` up to now, oldest first (the last one
        is the faulting attempt when the machine holds a fault); the machine comes back to now."""
        here, last_stop = self.position, self.last_stop
        start = max(0, start, here - MAX_TRACE)
        entries: list[TraceEntry] = []
        self._replay_quietly(start)
        while self.position < here:
            process = self.current_process
            entry = TraceEntry(self.position, self.cpu.read("rip"), process.pid if process is not None else None,
                               {name: self.cpu.read(name) for name in GENERAL_REGISTERS})
            before = self.position
            result = self._run_once(limit=1)
            self._catch_up_edits()
            if self.position > before:
                entries.append(entry)
            if result in (IDLE, _BUGCHECKED):
                break
        self._hook_all()
        self.last_stop = last_stop
        return entries
