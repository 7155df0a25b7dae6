"""Virtual memory policy: what each address space contains, with which rights.

The kernel half (direct map of all RAM, kernel image window) is built once
and shared by every address space; each process adds its own lower half:
text read-only+executable, data and stack read/write+NX, an unmapped guard
page under the stack. The page-table mechanics are in machine/paging.py.
"""
from __future__ import annotations

from ..machine.layout import (DIRECT_MAP_BASE, HUGE_PAGE_SIZE, KERNEL_IMAGE_BASE, KERNEL_IMAGE_SIZE,
                              PAGE_SIZE, USER_STACK_PAGES, USER_STACK_TOP)
from ..machine.memory import PhysicalMemory
from ..machine.paging import GLOBAL, NO_EXECUTE, USER, WRITABLE, AddressSpace

# Rights of each kind of page.
TEXT = 0                       # read + execute (no W, no NX)
DATA = WRITABLE | NO_EXECUTE   # read + write, never execute


def page_round_up(size: int) -> int:
    """Round a size up to whole pages."""
    return (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


class KernelSpace:
    """The kernel's own address space and its window for ring-0 code and data."""

    def __init__(self, memory: PhysicalMemory) -> None:
        self.memory = memory
        self.space = AddressSpace(memory)
        # Direct map: every physical byte at DIRECT_MAP_BASE + phys, supervisor, RW, NX.
        for phys in range(0, memory.size, HUGE_PAGE_SIZE):
            self.space.map_huge_page(DIRECT_MAP_BASE + phys, phys, WRITABLE | NO_EXECUTE | GLOBAL)
        self._next_image_address = KERNEL_IMAGE_BASE
        # Create the kernel-image page-table levels now, so that every address
        # space created later shares them (PML4 entry 511).
        self.space._table_for(KERNEL_IMAGE_BASE, 3, create=True)

    def reserve(self, size: int) -> int:
        """Reserve `size` bytes (whole pages) of kernel-image virtual addresses."""
        address = self._next_image_address
        self._next_image_address += page_round_up(size) + PAGE_SIZE  # a hole between regions
        if self._next_image_address > KERNEL_IMAGE_BASE + KERNEL_IMAGE_SIZE:
            raise MemoryError("kernel image window is full")
        return address

    def map_new(self, virtual: int, size: int, rights: int, content: bytes = b"") -> list[int]:
        """Back [virtual, virtual+size) with fresh supervisor frames holding `content`."""
        return map_fresh_pages(self.space, virtual, size, rights, content)

    def new_user_space(self) -> AddressSpace:
        """A fresh address space: empty lower half, the shared kernel upper half."""
        space = AddressSpace(self.memory)
        space.share_upper_half(self.space)
        return space


def map_fresh_pages(space: AddressSpace, virtual: int, size: int, rights: int, content: bytes = b"") -> list[int]:
    """Allocate frames for [virtual, virtual+size), copy `content` in, map them with `rights`.
    Executable pages are loaded as code (PhysicalMemory.write_code)."""
    executable = not rights & NO_EXECUTE
    frames = []
    for offset in range(0, page_round_up(max(size, len(content))), PAGE_SIZE):
        frame = space.memory.alloc_frame()
        chunk = content[offset:offset + PAGE_SIZE]
        if executable:
            space.memory.write_code(frame, chunk)
        elif chunk:
            space.memory.write(frame, chunk)
        space.map_page(virtual + offset, frame, rights)
        frames.append(frame)
    return frames


def map_user_stack(space: AddressSpace) -> tuple[int, list[int]]:
    """The user stack: USER_STACK_PAGES read/write/NX pages under USER_STACK_TOP,
    and below them one page left unmapped: the guard page. Returns (top, frames)."""
    bottom = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE
    frames = map_fresh_pages(space, bottom, USER_STACK_PAGES * PAGE_SIZE, USER | DATA)
    return USER_STACK_TOP, frames


def guard_page_address() -> int:
    """The unmapped page just below every user stack."""
    return USER_STACK_TOP - (USER_STACK_PAGES + 1) * PAGE_SIZE
