"""on_fault: what a trap means. This is the whole lesson of the course in a few lines.

As in xv6's trap(): a trap at CPL 3 means a process misbehaved -- kill it,
report it in one line, keep the machine running. A trap at CPL 0 means the
kernel itself (or a driver running inside it, with the kernel's rights)
did something impossible -- nobody can be trusted to clean up: bugcheck.
Isolation models (simpleos/isolation/) may decide first, e.g. to restart a
sensor server instead of leaving it dead.
"""
from __future__ import annotations

from ..machine.trap import Trap, describe_error_code
from .bugcheck import bugcheck_for_trap
from .proc import Process


def on_fault(kernel, process: Process, trap: Trap) -> None:
    """Handle an exception raised while `process` was running."""
    if kernel.model.on_fault(kernel, process, trap):
        return  # the isolation model dealt with it
    if trap.cpl == 0:
        module, offset = kernel.locate(trap.rip)
        raise bugcheck_for_trap(trap, module, offset)
    kernel.log(kill_report(process, trap))
    kernel.kill(process, trap)


def kill_report(process: Process, trap: Trap) -> str:
    """xv6-style: 'pid 7 crasher: trap 14 #PF (page fault) rip 0x400012 addr 0x... err 0x5 [...] -- killed'."""
    where = ""
    if process.image is not None:
        symbol = process.image.symbol_at(trap.rip)
        if symbol:
            where = f" <{symbol[0]}+{symbol[1]:#x}>"
    text = f"pid {process.pid} {process.name}: trap {trap.vector} {trap.name} ({trap.description}) rip {trap.rip:#x}{where}"
    if trap.address is not None:
        text += f" addr {trap.address:#x}"
    if trap.error_code is not None:
        text += f" err {trap.error_code:#x} [{describe_error_code(trap.error_code)}]"
    return text + " -- killed"
