"""Machine snapshots restored in microseconds: registers, and only the pages a run wrote.

A Snapshot saves the CPU's registers and the contents of some 4 KiB pages of
one address space. To know which pages a run wrote it asks the MMU: the x86
page walker sets the Dirty bit (bit 6) of a page-table entry the first time
the CPU writes to that page, and the emulated one does too. At the snapshot
every Dirty bit of those pages is cleared (and the TLB flushed once, so no
cached translation still allows a silent write). restore() then

  - writes the saved bytes back over every page the CPU has ever dirtied
    since the snapshot, and over every range the host wrote (write_virtual:
    host writes never pass through the MMU);
  - restores the registers, leaving the TLB alone.

A page, once dirtied, stays in the set restored every time and its Dirty bit
stays set: the TLB may keep its writable translation, so no further write to
it would be seen. Pages never written keep a clear Dirty bit and a TLB
entry that traps the first write, so a run that dirties a new page is
always noticed. Flushing the TLB on every restore instead would halve the
speed of a short run (every page walked again, the jump cache emptied).

The address space must stay the one the snapshot was taken in. Mechanism
only: which pages, and when to restore, is the caller's business.
"""
from __future__ import annotations

from .exception_state import clear_old_exception
from .layout import PAGE_SIZE
from .paging import ADDRESS_MASK, DIRTY, PRESENT, AddressSpace

_ENTRY_SIZE = 8


class Snapshot:
    """The CPU's registers now, and the pages covering `regions` [(virtual, size), ...] of `space`."""

    def __init__(self, cpu, space: AddressSpace, regions: list[tuple[int, int]]) -> None:
        self.cpu = cpu
        self.memory = space.memory
        self.space = space
        self.context = cpu.save_context()
        self.page_fault_address = cpu.page_fault_address     # CR2 is the CPU's, not in the context
        self.pages: dict[int, tuple[int, int, bytes]] = {}   # virtual page -> (PTE address, frame, bytes)
        for virtual, size in regions:
            for page in range(virtual & ~(PAGE_SIZE - 1), virtual + size, PAGE_SIZE):
                self.pages[page] = self._save(page)
        self._tables = self._group_by_table()
        self._host_written: list[tuple[int, int, int]] = []   # (page, offset, length) the host wrote
        self.always: set[int] = set()          # pages the CPU has dirtied: restored every time
        self._uc = cpu.uc
        for entry_address, _, _ in self.pages.values():
            entry = self.memory.read_u64(entry_address)
            self.memory.write_u64(entry_address, entry & ~DIRTY)
        cpu.write("cr3", cpu.read("cr3"))      # forget translations that would allow a silent write

    def _save(self, page: int) -> tuple[int, int, bytes]:
        """The PTE address, frame and current bytes of one mapped 4 KiB page."""
        table = self.space._table_for(page, 3, create=False)
        if table is None:
            raise ValueError(f"cannot snapshot {page:#x}: not mapped by a 4 KiB page")
        entry_address = table + ((page >> 12) & 511) * _ENTRY_SIZE
        entry = self.memory.read_u64(entry_address)
        if not entry & PRESENT:
            raise ValueError(f"cannot snapshot {page:#x}: not mapped")
        frame = entry & ADDRESS_MASK
        return entry_address, frame, self.memory.read(frame, PAGE_SIZE)

    def _group_by_table(self) -> list[tuple[int, int, list[tuple[int, int]]]]:
        """For each page table holding our PTEs: (first PTE address, span in bytes, [(offset, page)])."""
        by_table: dict[int, list[tuple[int, int]]] = {}
        for page, (entry_address, _, _) in self.pages.items():
            by_table.setdefault(entry_address & ~(PAGE_SIZE - 1), []).append((entry_address, page))
        groups = []
        for entries in by_table.values():
            low = min(address for address, _ in entries)
            high = max(address for address, _ in entries) + _ENTRY_SIZE
            groups.append((low, high - low, [(address - low, page) for address, page in entries]))
        return groups

    # --- the host's own access to the pages ------------------------------------------------

    def write_virtual(self, virtual: int, data: bytes) -> None:
        """Write into the snapshot's pages as the host (no MMU, so remembered for restore)."""
        offset = 0
        while offset < len(data):
            address = virtual + offset
            page = address & ~(PAGE_SIZE - 1)
            chunk = min(len(data) - offset, page + PAGE_SIZE - address)
            self._uc.mem_write(self.pages[page][1] | (address - page), data[offset:offset + chunk])
            self._host_written.append((page, address - page, chunk))
            offset += chunk

    # --- restoring ---------------------------------------------------------------------------

    def dirty_pages(self) -> set[int]:
        """The pages the CPU has dirtied (now or before): put back whole at every restore."""
        for low, span, entries in self._tables:
            raw = self.memory.read(low, span)
            for offset, page in entries:
                if raw[offset] & DIRTY:          # bit 6 is in the entry's lowest byte
                    self.always.add(page)
        return self.always

    def restore(self) -> int:
        """Put the pages and the registers back as they were; returns how many pages were copied whole."""
        write = self._uc.mem_write
        dirty = self.dirty_pages()
        for page in dirty:
            _, frame, saved = self.pages[page]
            write(frame, saved)
        for page, offset, length in self._host_written:
            if page not in dirty:
                _, frame, saved = self.pages[page]
                write(frame + offset, saved[offset:offset + length])
        self._host_written.clear()
        clear_old_exception(self.context)        # see exception_state.py
        self._uc.context_restore(self.context)
        self.cpu.page_fault_address = self.page_fault_address
        return len(dirty)
