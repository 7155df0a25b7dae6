"""on_fault: what a trap means. This is the whole lesson of the course in a few lines.

As in xv6's trap(): a trap at CPL 3 means a process misbehaved -- kill it,
report it in one line, keep the machine running. A trap at CPL 0 means the
kernel itself (or a driver running inside it, with the kernel's rights)
did something impossible -- nobody can be trusted to clean up: bugcheck.
The isolation model (simpleos/isolation/) is asked first and may overrule
the default: KILL only the process even at ring 0 (a Linux-style oops), or
BUGCHECK even at ring 3 (Windows' CRITICAL_PROCESS_DIED).
"""
from __future__ import annotations

from ..machine.trap import BREAKPOINT, Trap
from ..record import dataclass
from .bugcheck import bugcheck_for_trap
from .proc import Process

DEFAULT, KILL, BUGCHECK = "default", "kill", "bugcheck"    # what a model may answer


@dataclass(frozen=True)
class Fault:
    """A trap, as the isolation model is told about it."""
    trap: Trap
    pid: int
    process: str              # the process's name
    ring: int
    in_sensor: bool           # was it the security sensor?


def on_fault(kernel, process: Process, trap: Trap) -> None:
    """Handle an exception raised while `process` was running."""
    action = kernel.model.on_fault(fault_record(kernel, process, trap), kernel.services)
    if action == BUGCHECK or (action != KILL and trap.cpl == 0):
        module, offset = kernel.locate(trap.rip)
        raise bugcheck_for_trap(trap, module, offset)      # nobody can clean up: stop the machine
    kernel.log(kill_report(process, trap))                 # a process misbehaved: one line,
    kernel.kill(process, trap=trap)                        # kill it, keep the machine running


def fault_record(kernel, process: Process, trap: Trap) -> Fault:
    """What the model is told about a trap in `process`."""
    in_sensor = kernel.sensor is not None and process is kernel.sensor.process
    return Fault(trap, process.pid, process.name, process.ring, in_sensor)


def kill_report(process: Process, trap: Trap) -> str:
    """xv6-style: 'pid 7 crasher: trap 14 #PF (page fault) rip 0x400012 <_start+0x12> addr 0x... err 0x5 [...] -- killed'.
    A C program's line is named too ('<main+0x1d> (kread.c:19)'), and a #BP from the int3
    padding after the code says what happened: the program ran past the end of its code."""
    image = process.image
    symbol = image.symbol_at(trap.rip) if image is not None else None
    where = f"{symbol[0]}+{symbol[1]:#x}" if symbol else None
    line = image.source_line(trap.rip) if hasattr(image, "source_line") else None
    text = trap.summary(where, f"{line.file}:{line.line}" if line else None)
    if ran_past_end(image, trap):
        text += f" -- ran past the end of its code at {trap.rip - 1:#x} (into the int3 padding)"
    return f"pid {process.pid} {process.name}: {text} -- killed"


def ran_past_end(image, trap: Trap) -> bool:
    """Did a ring-3 program run off the end of its code? True for a #BP whose int3 (the byte
    before RIP: int3 is a trap) is not an instruction of the program but the padding after it."""
    return (trap.vector == BREAKPOINT and trap.cpl == 3 and image is not None
            and image.in_padding(trap.rip - 1))
