"""Physical memory: guest RAM and the allocator of its 4 KiB frames.

The whole RAM is one unicorn region at physical address 0; unicorn's
mem_read/mem_write take *physical* addresses once paging is on. This module
hands out and takes back frames; it does not know who uses them.
"""
from __future__ import annotations

from typing import Callable

from .layout import FIRST_FREE_FRAME, PAGE_SIZE, PHYS_MEMORY_SIZE

_ZERO_PAGE = bytes(PAGE_SIZE)


class OutOfMemory(Exception):
    """No free physical frame is left."""


class PhysicalMemory:
    """Guest RAM: byte access by physical address, and a frame allocator."""

    def __init__(self, uc, size: int = PHYS_MEMORY_SIZE) -> None:
        self._uc = uc
        self.size = size
        uc.mem_map(0, size)
        self._next_frame = FIRST_FREE_FRAME
        self._free_frames: list[int] = []
        # Told whenever translations of code are dropped (the CPU's block counter forgets too).
        self.translation_listeners: list[Callable[[], None]] = []

    def read(self, phys: int, length: int) -> bytes:
        """Read `length` bytes at physical address `phys`."""
        return bytes(self._uc.mem_read(phys, length))

    def write(self, phys: int, data: bytes) -> None:
        """Write `data` at physical address `phys`."""
        self._uc.mem_write(phys, bytes(data))

    def write_code(self, phys: int, code: bytes) -> None:
        """Write machine code into a frame at `phys`, the rest of the frame padded with int3
        (0xCC), and forget every translation of old code. Two unicorn traps make this
        necessary: its translator decodes zero padding as `add [rax], al` and runs on into
        the next page, reporting a fault there at the wrong RIP; and a plain mem_write over
        code that has run before leaves the old translation in use (docs/unicorn-notes.md)."""
        page_left = PAGE_SIZE - (phys & (PAGE_SIZE - 1))
        self._uc.mem_write(phys, bytes(code) + b"\xcc" * max(page_left - len(code), 0))
        self.drop_translations()

    def drop_translations(self) -> None:
        """Forget every translation of code: unicorn's translated blocks, and whatever the
        listeners keep about them (the instruction counter's block counts)."""
        self._uc.ctl_flush_tb()
        for listener in self.translation_listeners:
            listener()

    def read_u64(self, phys: int) -> int:
        """Read one little-endian 64-bit word."""
        return int.from_bytes(self._uc.mem_read(phys, 8), "little")

    def write_u64(self, phys: int, value: int) -> None:
        """Write one little-endian 64-bit word."""
        self._uc.mem_write(phys, value.to_bytes(8, "little"))

    def alloc_frame(self) -> int:
        """A zeroed 4 KiB frame; returns its physical address."""
        if self._free_frames:
            frame = self._free_frames.pop()
        elif self._next_frame + PAGE_SIZE <= self.size:
            frame = self._next_frame
            self._next_frame += PAGE_SIZE
        else:
            raise OutOfMemory("out of physical memory")
        self._uc.mem_write(frame, _ZERO_PAGE)
        return frame

    def free_frame(self, frame: int) -> None:
        """Give a frame back to the allocator."""
        self._free_frames.append(frame)
