"""x86-64 4-level page tables, built in guest physical memory.

An AddressSpace is one PML4 (its physical address is the CR3 value). map()
writes real page-table entries with the hardware bits (present, R/W, U/S,
NX); the emulated MMU then enforces them. walk() reads the tables exactly as
the MMU does, so the kernel can check a user pointer, and the debugger can
explain why an access faults. No policy here: which pages a process gets is
decided in kernel/vm.py.
"""
from __future__ import annotations


from ..record import dataclass, field
from .layout import HUGE_PAGE_SIZE, PAGE_SIZE, is_canonical
from .memory import PhysicalMemory

PRESENT = 1 << 0
WRITABLE = 1 << 1
USER = 1 << 2
ACCESSED = 1 << 5
DIRTY = 1 << 6
HUGE = 1 << 7            # in a PD entry: a 2 MiB page
GLOBAL = 1 << 8
NO_EXECUTE = 1 << 63
ADDRESS_MASK = 0x000FFFFFFFFFF000

LEVEL_NAMES = ("PML4", "PDPT", "PD", "PT")
_LEVEL_SHIFTS = (39, 30, 21, 12)

# Bits of the #PF error code (Intel SDM vol. 3, 4.7).
PF_PRESENT = 1 << 0      # 0: page not present; 1: protection violation
PF_WRITE = 1 << 1        # the access was a write
PF_USER = 1 << 2         # the access was made at CPL 3
PF_FETCH = 1 << 4        # the access was an instruction fetch


def describe_flags(entry: int) -> str:
    """Page-table entry flags as letters, e.g. 'P W U NX'."""
    names = [(PRESENT, "P"), (WRITABLE, "W"), (USER, "U"), (HUGE, "PS"), (NO_EXECUTE, "NX")]
    return " ".join(name for bit, name in names if entry & bit) or "-"


@dataclass
class WalkStep:
    """One level of a page walk: which table, which entry, what it holds."""
    level: str
    table: int           # physical address of the table
    index: int
    entry: int


@dataclass
class PageWalk:
    """The result of walking the page tables for one virtual address."""
    virtual: int
    steps: list[WalkStep] = field(default_factory=list)
    physical: int | None = None      # None when some level is not present
    user: bool = False               # U/S set at every level
    writable: bool = False           # R/W set at every level
    executable: bool = False         # NX clear at every level

    @property
    def present(self) -> bool:
        """True when the address is mapped."""
        return self.physical is not None

    def allows(self, *, write: bool = False, user: bool = False, fetch: bool = False) -> bool:
        """Would the MMU allow this access (CR0.WP=1, EFER.NXE=1)?"""
        if not self.present:
            return False
        if user and not self.user:
            return False
        if write and not self.writable:
            return False
        if fetch and not self.executable:
            return False
        return True

    def error_code(self, *, write: bool, user: bool, fetch: bool) -> int:
        """The #PF error code the CPU pushes for this access."""
        code = PF_PRESENT if self.present else 0
        if write:
            code |= PF_WRITE
        if user:
            code |= PF_USER
        if fetch:
            code |= PF_FETCH
        return code


class AddressSpace:
    """One set of 4-level page tables; `root` is the value for CR3."""

    def __init__(self, memory: PhysicalMemory, root: int | None = None) -> None:
        self.memory = memory
        self.root = root if root is not None else memory.alloc_frame()
        self.table_frames: list[int] = [] if root is not None else [self.root]

    def share_upper_half(self, other: "AddressSpace") -> None:
        """Point PML4 entries 256..511 at `other`'s tables (the shared kernel half)."""
        upper = self.memory.read(other.root + 256 * 8, 256 * 8)
        self.memory.write(self.root + 256 * 8, upper)

    def _table_for(self, virtual: int, depth: int, create: bool) -> int | None:
        """Physical address of the table at `depth` (0=PML4 .. 3=PT) covering `virtual`."""
        table = self.root
        for level in range(depth):
            slot = table + ((virtual >> _LEVEL_SHIFTS[level]) & 511) * 8
            entry = self.memory.read_u64(slot)
            if not entry & PRESENT:
                if not create:
                    return None
                new_table = self.memory.alloc_frame()
                self.table_frames.append(new_table)
                # Intermediate levels allow everything; the leaf decides.
                entry = new_table | PRESENT | WRITABLE | USER
                self.memory.write_u64(slot, entry)
            table = entry & ADDRESS_MASK
        return table

    def map_page(self, virtual: int, physical: int, flags: int) -> None:
        """Map one 4 KiB page: PTE = physical | flags | PRESENT."""
        table = self._table_for(virtual, 3, create=True)
        self.memory.write_u64(table + ((virtual >> 12) & 511) * 8, physical | flags | PRESENT)

    def map_huge_page(self, virtual: int, physical: int, flags: int) -> None:
        """Map one 2 MiB page with a PD entry (PS=1)."""
        table = self._table_for(virtual, 2, create=True)
        self.memory.write_u64(table + ((virtual >> 21) & 511) * 8, physical | flags | PRESENT | HUGE)

    def unmap_page(self, virtual: int) -> int | None:
        """Remove one 4 KiB mapping; returns the physical frame it pointed to. Code once
        translated from that page must not run again: translations are dropped."""
        table = self._table_for(virtual, 3, create=False)
        if table is None:
            return None
        slot = table + ((virtual >> 12) & 511) * 8
        entry = self.memory.read_u64(slot)
        self.memory.write_u64(slot, 0)
        if entry & PRESENT and not entry & NO_EXECUTE:
            self.memory.drop_translations()
        return entry & ADDRESS_MASK if entry & PRESENT else None

    def walk(self, virtual: int) -> PageWalk:
        """Walk the tables like the MMU; report each level and the combined rights.
        A non-canonical address is never mapped (the CPU raises #GP before any walk)."""
        walk = PageWalk(virtual=virtual)
        if not is_canonical(virtual):
            return walk
        table = self.root
        user = writable = executable = True
        for depth, shift in enumerate(_LEVEL_SHIFTS):
            index = (virtual >> shift) & 511
            entry = self.memory.read_u64(table + index * 8)
            walk.steps.append(WalkStep(LEVEL_NAMES[depth], table, index, entry))
            if not entry & PRESENT:
                return walk
            user &= bool(entry & USER)
            writable &= bool(entry & WRITABLE)
            executable &= not entry & NO_EXECUTE
            if depth == 2 and entry & HUGE:
                walk.physical = (entry & ADDRESS_MASK & ~(HUGE_PAGE_SIZE - 1)) | (virtual & (HUGE_PAGE_SIZE - 1))
                break
            if depth == 3:
                walk.physical = (entry & ADDRESS_MASK) | (virtual & (PAGE_SIZE - 1))
            table = entry & ADDRESS_MASK
        walk.user, walk.writable, walk.executable = user, writable, executable
        return walk

    def translate(self, virtual: int, *, write: bool = False, user: bool = False) -> int | None:
        """Physical address for an access the MMU would allow, else None. (The same walk as
        walk() + allows(), without building its record: every user pointer a system call
        gets is translated here.)"""
        if not is_canonical(virtual):
            return None
        required = PRESENT | (WRITABLE if write else 0) | (USER if user else 0)
        read = self.memory.read_u64
        entry = read(self.root + ((virtual >> 39) & 511) * 8)                  # PML4
        if entry & required != required:
            return None
        entry = read((entry & ADDRESS_MASK) + ((virtual >> 30) & 511) * 8)      # PDPT
        if entry & required != required:
            return None
        entry = read((entry & ADDRESS_MASK) + ((virtual >> 21) & 511) * 8)      # page directory
        if entry & required != required:
            return None
        if entry & HUGE:
            return (entry & ADDRESS_MASK & ~(HUGE_PAGE_SIZE - 1)) | (virtual & (HUGE_PAGE_SIZE - 1))
        entry = read((entry & ADDRESS_MASK) + ((virtual >> 12) & 511) * 8)      # page table
        if entry & required != required:
            return None
        return (entry & ADDRESS_MASK) | (virtual & (PAGE_SIZE - 1))
