"""Memory watch: unicorn memory hooks limited to a few physical ranges, reporting each guest access exactly.

A debugger's watchpoints need to know which instruction read or wrote some
bytes, at which position of the instruction count. This module installs
UC_HOOK_MEM_READ / UC_HOOK_MEM_WRITE hooks on the CPU's engine, each limited
to one watched range (so the callback runs only for accesses there), and
turns every access into an Access record: the kind, the physical address
and size, the value written (the hook runs before the write), the RIP of the accessing instruction and how
many instructions of the current run retired before it. It can also end
the current run right after the accessing instruction.

unicorn hands memory hooks *physical* addresses (paging is on), so the
ranges are physical: the caller translates virtual addresses. Hooks exist
only while ranges are set: `MemoryWatch(cpu)` with no ranges installs
nothing, so a machine without watchpoints runs at full speed. unicorn
decides at translation time whether a memory access calls hooks, so code
is retranslated whenever the set of hooks changes.

The two functions that know how the instruction counter counts are
`instructions_before_current` and `end_run_after_current_instruction`;
nothing else here depends on it. This module must not decide what an
access means (no policy), and it never imports the kernel.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from unicorn import UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_WRITE
from unicorn.x86_const import UC_X86_REG_RIP

READ, WRITE = "read", "write"
WIDEST_ACCESS = 16          # bytes: a hook fires for the start of an access; look that far below a range
_MASK = (1 << 64) - 1


class Access(NamedTuple):
    """One guest memory access inside a watched range (a tuple: the hook makes many)."""
    kind: str                  # READ | WRITE
    physical: int              # where the access starts (physical address)
    size: int                  # bytes
    value: int | None          # the value written (writes), as an unsigned number of `size` bytes
    rip: int                   # the accessing instruction
    retired_before: int        # instructions of the current run retired before it


def instructions_before_current(cpu, rip: int) -> int:
    """Inside a hook: how many instructions of the current CPU run (CPU.resume) retired
    before the one executing now, at `rip`. The counter counts a whole block as it is
    entered, so this is the count before the block plus the block's instructions before
    RIP (CPU.retired_before)."""
    return cpu.retired_before(rip)


def end_run_after_current_instruction(cpu) -> None:
    """Inside a hook: let the instruction executing now finish, then end the current run
    as if its budget ran out (the kernel then pauses the time slice, it does not end it:
    the schedule stays the same). The counter stops only between blocks outside a tail,
    so the run may go on to the end of the current block; the caller must check where it
    stopped (CPU.pause_after_current_instruction)."""
    cpu.pause_after_current_instruction()


class MemoryWatch:
    """Range-limited memory hooks on one CPU, calling `on_access(access)` for each access."""

    def __init__(self, cpu, on_access: Callable[[Access], None]) -> None:
        self.cpu = cpu
        self.on_access = on_access
        self._ranges: list[tuple[int, int, frozenset[str]]] = []
        self._handles: list[int] = []

    @property
    def hook_count(self) -> int:
        """How many unicorn hooks this watch has installed (0 without ranges)."""
        return len(self._handles)

    def set_ranges(self, ranges) -> None:
        """Watch exactly these (physical start, length, kinds) ranges, kinds a set of READ/WRITE;
        an empty list removes every hook."""
        wanted = [(start, length, frozenset(kinds)) for start, length, kinds in ranges if length > 0 and kinds]
        if wanted == self._ranges:
            return
        self.clear()
        for start, length, kinds in wanted:
            low = max(0, start - WIDEST_ACCESS + 1)
            for kind, flag in ((READ, UC_HOOK_MEM_READ), (WRITE, UC_HOOK_MEM_WRITE)):
                if kind in kinds:
                    self._handles.append(self.cpu.uc.hook_add(flag, self._on_memory, (start, length),
                                                              low, start + length - 1))
        self._ranges = wanted
        if self._handles:
            self._retranslate()

    def clear(self) -> None:
        """Remove every hook (the code is retranslated without them)."""
        if self.cpu.uc is not None:
            for handle in self._handles:
                self.cpu.uc.hook_del(handle)
            if self._handles:
                self._retranslate()
        self._handles = []
        self._ranges = []

    def _retranslate(self) -> None:
        """Make the hooks count: unicorn decides when it translates code, and when it fills a
        TLB entry, whether accesses go through the hooks; so drop both."""
        self.cpu.flush_translations()
        self.cpu.write("cr3", self.cpu.read("cr3"))      # (writing CR3 flushes the TLB)

    def _on_memory(self, uc, access, address, size, value, watched) -> None:
        start, length = watched
        if address + size <= start or address >= start + length:
            return                      # below the range: the widened hook saw its neighbour
        kind = WRITE if access == UC_MEM_WRITE else READ
        written = (value & _MASK) & ((1 << (8 * size)) - 1) if kind == WRITE else None
        rip = uc.reg_read(UC_X86_REG_RIP)
        self.on_access(Access(kind, address, size, written, rip, instructions_before_current(self.cpu, rip)))
