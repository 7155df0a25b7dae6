"""Bugchecks: the kernel's own fatal error (Windows' "stop error", the blue screen).

A fault at ring 0 means kernel code -- a driver in the kernel's address space
-- did something impossible; nothing is left that could safely handle it, so
the machine stops. Stop codes and parameters follow Windows' bug check
reference (docs/boot.md): 0x50 PAGE_FAULT_IN_NONPAGED_AREA(address, access,
faulting IP, type). Raising a Bugcheck unwinds the kernel to whoever runs
it (the boot manager, system.py), which calls stop_machine() -- the one crash
path: the crash dump, then the blue screen. Resetting is the boot manager's
business, not this module's.
"""
from __future__ import annotations

from ..machine.trap import (BREAKPOINT, DIVIDE_ERROR, GENERAL_PROTECTION, INVALID_OPCODE, PAGE_FAULT,
                            Trap)
from ..record import dataclass

PAGE_FAULT_IN_NONPAGED_AREA = 0x50
KMODE_EXCEPTION_NOT_HANDLED = 0x1E
SYSTEM_THREAD_EXCEPTION_NOT_HANDLED = 0x7E
DPC_WATCHDOG_VIOLATION = 0x133

STOP_NAMES = {
    PAGE_FAULT_IN_NONPAGED_AREA: "PAGE_FAULT_IN_NONPAGED_AREA",
    KMODE_EXCEPTION_NOT_HANDLED: "KMODE_EXCEPTION_NOT_HANDLED",
    SYSTEM_THREAD_EXCEPTION_NOT_HANDLED: "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED",
    DPC_WATCHDOG_VIOLATION: "DPC_WATCHDOG_VIOLATION",
}

# NTSTATUS exception codes for the non-page-fault cases.
EXCEPTION_CODES = {
    GENERAL_PROTECTION: (0xC0000005, "STATUS_ACCESS_VIOLATION"),
    INVALID_OPCODE: (0xC000001D, "STATUS_ILLEGAL_INSTRUCTION"),
    DIVIDE_ERROR: (0xC0000094, "STATUS_INTEGER_DIVIDE_BY_ZERO"),
    BREAKPOINT: (0x80000003, "STATUS_BREAKPOINT"),
}

# Parameter 2 of stop 0x50: how the address was accessed.
ACCESS_READ, ACCESS_WRITE, ACCESS_EXECUTE = 0x0, 0x2, 0x10


@dataclass
class Bugcheck(Exception):
    """The machine stopped: stop code, four parameters, where it happened."""
    code: int
    parameters: tuple[int, int, int, int]
    rip: int
    address: int | None = None
    module: str = "kernel"
    offset: int = 0
    thread: str = "System"
    trap: Trap | None = None

    @property
    def name(self) -> str:
        """'PAGE_FAULT_IN_NONPAGED_AREA'."""
        return STOP_NAMES.get(self.code, f"STOP_{self.code:#x}")

    def headline(self) -> str:
        """'*** STOP: 0x00000050 (0x..., 0x0, 0x..., 0x2) PAGE_FAULT_IN_NONPAGED_AREA'."""
        params = ", ".join(f"{p:#018x}" for p in self.parameters)
        return f"*** STOP: {self.code:#010x} ({params}) {self.name}"

    def where(self) -> str:
        """'sensor.sys+0x1a3' (module+offset of the faulting instruction)."""
        return f"{self.module}+{self.offset:#x}"

    def __str__(self) -> str:
        return f"{self.headline()} in {self.where()}"


def bugcheck_for_trap(trap: Trap, module: str, offset: int) -> Bugcheck:
    """The stop a ring-0 trap leads to."""
    if trap.vector == PAGE_FAULT:
        access = ACCESS_EXECUTE if trap.is_fetch else ACCESS_WRITE if trap.is_write else ACCESS_READ
        params = (trap.address or 0, access, trap.rip, 0x2)
        return Bugcheck(PAGE_FAULT_IN_NONPAGED_AREA, params, trap.rip, trap.address, module, offset, trap=trap)
    status = EXCEPTION_CODES.get(trap.vector, (0xC0000005, "STATUS_ACCESS_VIOLATION"))[0]
    params = (status, trap.rip, 0, 0)
    return Bugcheck(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, params, trap.rip, None, module, offset, trap=trap)


def watchdog_bugcheck(rip: int, module: str, offset: int, instructions: int) -> Bugcheck:
    """Ring-0 code ran too long without giving the CPU back (a hung driver)."""
    return Bugcheck(DPC_WATCHDOG_VIOLATION, (0x1, instructions, 0, 0), rip, None, module, offset)


def stop_machine(kernel, bugcheck: Bugcheck, boot_index: int, home=None) -> str | None:
    """The one crash path, for every bugcheck: capture and write the crash dump (a copy
    into <home>/dumps/ on the host, if a machine home is given), count it against the sensor if its code
    failed, and paint the blue screen. Returns where the dump went (None: not written)."""
    from . import crashdump
    from .bluescreen import blue_screen
    dump = crashdump.capture(kernel, bugcheck, boot_index)
    path = crashdump.write(kernel.fs, home, dump)
    if kernel.sensor is not None and kernel.sensor.owns_module(bugcheck.module):
        kernel.sensor.stats.crashes += 1
    for line in blue_screen(bugcheck, symbol_for(kernel, bugcheck.rip), path):
        kernel.console.write_line(line)
    return path


def symbol_for(kernel, address: int) -> str | None:
    """'compare_string+0xa' for a kernel-half address, from the module's labels."""
    module = kernel.module_at(address)
    found = module.image.symbol_at(address) if module is not None else None
    return f"{found[0]}+{found[1]:#x}" if found else None
