"""Every mapping of one address space, read from its page tables: the raw material of a memory map.

leaves() walks the four levels once, depth first, and yields each present
leaf -- a 4 KiB PTE or a 2 MiB PD entry -- with its virtual and physical
address and the rights combined over all levels, exactly as the MMU
combines them (U/S and R/W must be set at every level, NX at any level
forbids execution). merge() joins neighbouring leaves that agree on a key
into ranges, as QEMU's `info mem` and a debugger's `vmmap` print them.
Mechanism only: what a range *is* (a module, a stack) is the caller's
business, and nothing here changes a table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from .layout import HUGE_PAGE_SIZE, PAGE_SIZE
from .paging import ADDRESS_MASK, HUGE, NO_EXECUTE, PRESENT, USER, WRITABLE, AddressSpace

ENTRIES = 512
_SHIFTS = (39, 30, 21, 12)


@dataclass(frozen=True)
class Leaf:
    """One present leaf entry: [virtual, virtual + size) -> physical, with combined rights."""
    virtual: int
    size: int
    physical: int
    entry: int                      # the leaf entry itself (flags as the table holds them)
    user: bool
    writable: bool
    executable: bool


@dataclass(frozen=True)
class Range:
    """Neighbouring leaves merged: [start, end) with the rights of its first leaf."""
    start: int
    end: int
    user: bool
    writable: bool
    executable: bool


def canonical(address: int) -> int:
    """Sign-extend a 48-bit address (bit 47 copied into bits 48..63)."""
    return address | (~((1 << 48) - 1) & ((1 << 64) - 1)) if address & (1 << 47) else address


def leaves(space: AddressSpace) -> Iterator[Leaf]:
    """Every present leaf of `space`, lowest virtual address first."""
    memory = space.memory
    yield from _walk(memory, space.root, 0, 0, True, True, True)


def _walk(memory, table: int, depth: int, base: int, user: bool, writable: bool,
          executable: bool) -> Iterator[Leaf]:
    raw = memory.read(table, ENTRIES * 8)
    for index in range(ENTRIES):
        entry = int.from_bytes(raw[index * 8:index * 8 + 8], "little")
        if not entry & PRESENT:
            continue
        virtual = base | index << _SHIFTS[depth]
        rights = (user and bool(entry & USER), writable and bool(entry & WRITABLE),
                  executable and not entry & NO_EXECUTE)
        if depth == 3 or (depth == 2 and entry & HUGE):
            size = PAGE_SIZE if depth == 3 else HUGE_PAGE_SIZE
            physical = entry & ADDRESS_MASK & ~(size - 1)
            yield Leaf(canonical(virtual), size, physical, entry, *rights)
        elif depth < 3:
            yield from _walk(memory, entry & ADDRESS_MASK, depth + 1, virtual, *rights)


def merge(found, key: Callable[[Leaf], object] = lambda leaf: (leaf.user, leaf.writable, leaf.executable)
          ) -> list[tuple[int, int, Leaf]]:
    """(start, end, first leaf) per run of adjacent leaves with the same `key`."""
    runs: list[tuple[int, int, Leaf]] = []
    for leaf in found:
        if runs and runs[-1][1] == leaf.virtual and key(runs[-1][2]) == key(leaf):
            runs[-1] = (runs[-1][0], leaf.virtual + leaf.size, runs[-1][2])
        else:
            runs.append((leaf.virtual, leaf.virtual + leaf.size, leaf))
    return runs


def ranges(space: AddressSpace) -> list[Range]:
    """The mapped ranges of `space`, merged where the rights (U/S, R/W, NX) agree."""
    return [Range(start, end, leaf.user, leaf.writable, leaf.executable)
            for start, end, leaf in merge(leaves(space))]
