"""Breakpoints of the DebugTarget: which addresses stop the machine, and for which process (a mixin).

A breakpoint is an address in the CPU's native instruction counter
(CPU.add_breakpoint), not a unicorn hook: code elsewhere runs at full speed,
and only a block that holds one is run alone up to it. A breakpoint may be
restricted to one process (user programs all start at the same addresses);
nexti and finish add temporary ones. These methods are DebugTarget's
(target.py): they keep its `breakpoints`, `breakpoint_processes`,
`_temporary` and `_installed` sets in step with the CPU. They never run the
machine (running.py does) and never decide what a stop means.
"""
from __future__ import annotations

from ..machine.layout import is_canonical
from .symbols import process_label


class Breakpoints:
    """Setting, clearing and matching breakpoints on the current machine."""

    def add_breakpoint(self, address: int, process: str | None = None) -> None:
        """Stop before the instruction at `address`: in any address space, or, with
        `process` (a process name such as 'beacon'), only when that process runs it --
        user programs all start at the same addresses."""
        if not is_canonical(address):
            raise MemoryError(f"cannot set a breakpoint at {address:#x} (not a canonical address)")
        self.breakpoints.add(address)
        if process is None:
            self.breakpoint_processes.pop(address, None)
        else:
            self.breakpoint_processes[address] = process
        self._hook(address)

    def remove_breakpoint(self, address: int) -> None:
        """Forget a breakpoint."""
        self.breakpoints.discard(address)
        self.breakpoint_processes.pop(address, None)
        if address not in self._temporary:
            self._unhook(address)

    def _hook(self, address: int) -> None:
        if address not in self._installed:
            self.cpu.add_breakpoint(address)
            self._installed.add(address)

    def _unhook(self, address: int) -> None:
        if address in self._installed:
            self.cpu.remove_breakpoint(address)
            self._installed.discard(address)

    def _unhook_all(self) -> None:
        """Take every breakpoint out of the CPU (a replay runs without them at first)."""
        for address in list(self._installed):
            self._unhook(address)

    def _rehook_here(self, address: int) -> None:
        """Set the breakpoint at `address` again after stepping over it."""
        self._hook(address)

    def _hook_all(self) -> None:
        for address in self.breakpoints | self._temporary:
            self._hook(address)

    def program_breakpoint_owner(self, address: int) -> str | None:
        """`debug PROG`: a user address inside PROG means PROG's code -- its breakpoints stop
        only PROG (the name to restrict them to); otherwise None."""
        if self.program is not None and self.program.contains(address):
            return self.program.name
        return None

    def _breakpoint_under_rip(self) -> int | None:
        """The hooked address the open slice is about to execute, if any."""
        if self.kernel.slice is None or self.kernel.pending_trap is not None:
            return None
        rip = self.cpu.read("rip")
        return rip if rip in self._installed else None

    def _stops_here(self, address: int) -> bool:
        """Does the breakpoint at `address` stop the process on the CPU (see add_breakpoint)?"""
        wanted = self.breakpoint_processes.get(address)
        if wanted is None or address in self._temporary:
            return True
        process = self.current_process
        return process is not None and wanted in (process.name, process_label(process) if process.image else None)
