"""Running the DebugTarget forward: stepi, nexti, finish, cont and run_to (a mixin).

Every forward run goes through _run_once, one Kernel.run_once at a time, so
a stop in the middle of a time slice resumes the same slice and the
schedule never changes. A breakpoint under RIP is stepped over first (taken
out for that one instruction, breakpoints.py); cont stops at a breakpoint
meant for the process on the CPU, a held fault, a bugcheck, idle, an
interrupt() or the virtual-time watchdog. After each step between time
slices the checkpoint store may take a checkpoint (checkpoints.py).
These methods are DebugTarget's (target.py); running backward is
timetravel.py's. Nothing here decides what a fault means or prints.
"""
from __future__ import annotations

from ..kernel.bugcheck import Bugcheck
from ..kernel.kernel import AT_BREAKPOINT, HELD_FAULT, IDLE, RAN, WATCHDOG_VIRTUAL_SECONDS
from . import stops
from .stops import DebugError, StopEvent
from .timetravel import _BUGCHECKED
from .watch import WATCHED


class RunningForward:
    """The forward execution commands of the DebugTarget."""

    def interrupt(self) -> None:
        """Ask a running cont() to stop (thread-safe; checked between time slices)."""
        self._interrupt.set()

    def stepi(self) -> StopEvent:
        """Run exactly one instruction (of whichever process the scheduler runs next)."""
        if self._dead():
            return self._dead_event()
        self.last_stop = self._step_one()
        return self.last_stop

    def cont(self) -> StopEvent:
        """Run until a breakpoint, a held fault, a bugcheck, idle, or interrupt()."""
        if self._dead():
            return self._dead_event()
        self.last_stop = self._cont()
        return self.last_stop

    def nexti(self) -> StopEvent:
        """stepi, but a `call` runs to its return (the same process, the same stack depth)."""
        if self._dead():
            return self._dead_event()
        instruction = self.instruction_at(self.cpu.read("rip"))
        if self.kernel.slice is None or instruction is None or instruction[2] != "call":
            return self.stepi()
        rip, size = instruction[0], instruction[1]
        self.last_stop = self._run_to(rip + size, self.cpu.read("rsp"), self.current_process)
        return self.last_stop

    def finish(self) -> StopEvent:
        """Run until the current function returns to its caller."""
        from .backtrace import backtrace
        if self._dead():
            return self._dead_event()
        frames = backtrace(self)
        if len(frames) < 2:
            raise DebugError("finish: no caller found on the stack")
        caller = frames[1]
        self.last_stop = self._run_to(caller.address, caller.slot + 8, self.current_process)
        return self.last_stop

    def run_to(self, position: int) -> StopEvent:
        """Run forward to `position`, or less far if a breakpoint, a held fault, a bugcheck or
        idle comes first (going back: replay_to)."""
        if self._dead():
            return self._dead_event()
        self._edit_mark = self.position       # every edit so far is already made
        event = self._cont(until=position)
        self.last_stop = event if event is not None else self._event(stops.STEP)
        return self.last_stop

    def _step_one(self) -> StopEvent:
        """Retire one instruction; a breakpoint on it is stepped over (unhooked for that
        instruction only), so no breakpoint can stop a single step."""
        start = self.position
        while True:
            skipped = self._breakpoint_under_rip()
            if skipped is not None:
                self._unhook(skipped)
            try:
                result = self._run_once(limit=1)
            finally:
                if skipped is not None:
                    self._rehook_here(skipped)
            if result in (HELD_FAULT, IDLE, _BUGCHECKED, WATCHED):
                return self._event_for(result)
            if self.position > start:
                return self._event(stops.STEP)
            # A new slice began on a breakpoint (nothing ran): the next round steps over it.

    def _cont(self, until: int | None = None) -> StopEvent | None:
        """The body of cont (also used by nexti/finish and by reverse_cont's replays).
        With `until` (a replay): run in pieces that end at that position and at the
        positions of the user's edits, make the edits, and return None on arriving."""
        deadline = self.machine.clock.cycles + WATCHDOG_VIRTUAL_SECONDS * 1_000_000_000
        while True:
            if until is not None and self.position >= until:
                return None
            if self._breakpoint_under_rip() is not None:
                stepped = self._step_one()  # resume from a breakpoint: step over it first
                if until is not None:
                    self._catch_up_edits()
                if stepped.reason != stops.STEP:
                    return stepped
                continue
            if until is not None:
                limit = min(until, self._next_edit_after(self.position)) - self.position
            else:
                limit = None
                if self._interrupt.is_set():
                    self._interrupt.clear()
                    return self._event(stops.INTERRUPTED, "interrupted", signal=stops.SIGINT)
                if self.machine.clock.cycles > deadline:
                    return self._event(stops.INTERRUPTED, f"stopped: still busy after {WATCHDOG_VIRTUAL_SECONDS} s "
                                       "of virtual time", signal=stops.SIGINT)
            result = self._run_once(limit)
            if until is not None:
                self._catch_up_edits()
            if result == AT_BREAKPOINT and not self._stops_here(self.cpu.read("rip")):
                continue  # a breakpoint meant for another process: go on
            if result in (AT_BREAKPOINT, HELD_FAULT, IDLE, _BUGCHECKED, WATCHED):
                return self._event_for(result)

    def _run_to(self, address: int, stack_pointer: int, process) -> StopEvent:
        """cont until `address` is reached by `process` with RSP == stack_pointer (a return)."""
        temporary = address not in self._installed
        if temporary:
            self._temporary.add(address)
            self._rehook_here(address)
        try:
            while True:
                event = self._cont()
                arrived = (event.reason == stops.BREAKPOINT and event.address == address
                           and self.current_process is process and self.cpu.read("rsp") == stack_pointer)
                if arrived:
                    return event if address in self.breakpoints else self._event(stops.STEP)
                if event.reason == stops.BREAKPOINT and event.address == address and address not in self.breakpoints:
                    continue  # the same address in another frame or process
                return event
        finally:
            if temporary:
                self._temporary.discard(address)
                if address not in self.breakpoints:
                    self._unhook(address)

    def _run_once(self, limit: int | None = None) -> str:
        """Kernel.run_once, with a bugcheck as a result instead of an exception (and a
        watchpoint's stop as WATCHED: watch.py)."""
        self._watch_begin_run()
        try:  # (Kernel.run_once clears stale exception state when a paused slice goes on)
            result = self._watch_end_run(self.kernel.run_once(limit))
        except Bugcheck as bugcheck:
            self.bugcheck = bugcheck
            return _BUGCHECKED
        if result == IDLE:
            if self.program is not None and self.program.on_idle(self.kernel):
                return RAN           # `debug PROG`: the program started (or ended); the machine goes on
            self.idle = True
        else:
            self.checkpoints.consider(self, replaying=self._replaying)
        return result

    def _dead(self) -> bool:
        return self.bugcheck is not None or self.idle

    def _dead_event(self) -> StopEvent:
        """Asked to run a machine that has stopped for good: say so again."""
        return self._event_for(_BUGCHECKED if self.bugcheck is not None else IDLE)
