"""Why the debugged machine stopped: the StopEvent record and its gdb signal number.

Every execution command of the DebugTarget (stepi, cont, reverse-stepi, ...)
answers with one StopEvent: the reason, where (RIP), the hardware trap or
the kernel's bugcheck behind it, the signal a gdb client should be told
(the remote protocol's `S05`, `S0b`, ...) and a line of text for people.
A request that cannot be done in the machine's state answers DebugError instead.
This module only describes stops; it does not run anything.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..machine.trap import BREAKPOINT as BREAKPOINT_VECTOR, DIVIDE_ERROR, INVALID_OPCODE, Trap

# Reasons.
START, STEP, BREAKPOINT, FAULT, IDLE, BUGCHECK, INTERRUPTED = (
    "start", "step", "breakpoint", "fault", "idle", "bugcheck", "interrupted")

# POSIX signal numbers as gdb's remote protocol uses them.
SIGINT, SIGILL, SIGTRAP, SIGFPE, SIGSEGV = 2, 4, 5, 8, 11
EXITED = 0      # not a signal: reason "idle" means the machine has nothing left to run (gdb: W00)


class DebugError(Exception):
    """A debugger request that cannot be done in this state (one line for the user)."""


def signal_for_trap(trap: Trap | None) -> int:
    """The signal a Unix kernel would send for this exception: #PF/#GP -> SIGSEGV, #UD -> SIGILL, ..."""
    if trap is None:
        return SIGTRAP
    return {DIVIDE_ERROR: SIGFPE, INVALID_OPCODE: SIGILL, BREAKPOINT_VECTOR: SIGTRAP}.get(trap.vector, SIGSEGV)


@dataclass
class StopEvent:
    """One stop of the debugged machine."""
    reason: str                   # start | step | breakpoint | watchpoint | fault | idle | bugcheck | interrupted
    address: int                  # RIP when it stopped
    trap: Trap | None = None      # the CPU exception (fault; bugchecks caused by one)
    bugcheck: object = None       # the kernel's Bugcheck (reason "bugcheck")
    signal: int = SIGTRAP         # for gdb: 5 SIGTRAP, 2 SIGINT, 11 SIGSEGV, 4 SIGILL, 8 SIGFPE; 0 = exited
    description: str = ""
    position: int = 0             # instructions retired since power-on when it stopped
    watch: object = None          # the watch.WatchHit (reason "watchpoint")

    @property
    def exited(self) -> bool:
        """True when the machine has nothing left to run (gdb: the inferior exited)."""
        return self.reason == IDLE

    def __str__(self) -> str:
        return self.description or self.reason
