"""Physical memory: guest RAM and the allocator of its 4 KiB frames.

The whole RAM is one unicorn region at physical address 0; unicorn's
mem_read/mem_write take *physical* addresses once paging is on. The RAM's
host memory is allocated here and lent to unicorn (mem_map_ptr), so that
reads -- the kernel's page walks, its copies from user memory -- are plain
reads of host memory instead of calls into unicorn (~1 us each); writes still
go through unicorn. This module hands out and takes back frames; it does not
know who uses them.
"""
from __future__ import annotations

import ctypes
import mmap
import struct
from typing import Callable

from unicorn import UC_PROT_ALL, UcError
from unicorn.unicorn_py3.unicorn import uclib as _uclib

from .layout import FIRST_FREE_FRAME, PAGE_SIZE, PHYS_MEMORY_SIZE

_ZERO_PAGE = bytes(PAGE_SIZE)
_U64_AT = struct.Struct("<Q").unpack_from


class OutOfMemory(Exception):
    """No free physical frame is left."""


class PhysicalMemory:
    """Guest RAM: byte access by physical address, and a frame allocator."""

    def __init__(self, uc, size: int = PHYS_MEMORY_SIZE) -> None:
        self._uc = uc
        self.size = size
        # Anonymous, private memory: zeroed, page-aligned and copied on write in a forked child,
        # as unicorn's own (mmap's default, MAP_SHARED, would share the RAM with a child). The
        # engine keeps a reference, so that the memory lives at least as long as the engine.
        self._ram = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
        anchor = ctypes.c_char.from_buffer(self._ram)
        uc.mem_map_ptr(0, size, UC_PROT_ALL, ctypes.addressof(anchor))
        del anchor                       # (no buffer export stays open: close() can unmap)
        uc.simpleos_ram = self._ram
        self._next_frame = FIRST_FREE_FRAME
        self._free_frames: list[int] = []
        self._word = ctypes.c_uint64()
        self._word_pointer = ctypes.cast(ctypes.pointer(self._word), ctypes.POINTER(ctypes.c_char))
        # Told whenever translations of code are dropped (the CPU's block counter forgets too).
        self.translation_listeners: list[Callable[[], None]] = []

    def close(self) -> None:
        """Give the RAM's host memory back (after the engine using it is closed)."""
        self._ram.close()

    def read(self, phys: int, length: int) -> bytes:
        """Read `length` bytes at physical address `phys` (beyond RAM: unicorn's UcError).
        (Raw calls into unicorn below: the binding's mem_read copies through a bytearray,
        some 9 ms for 2 MiB.)"""
        if 0 <= phys and 0 <= length and phys + length <= self.size:
            return self._ram[phys:phys + length]
        buffer = ctypes.create_string_buffer(length)
        status = _uclib.uc_mem_read(self._uc._uch, phys, buffer, length)
        if status != 0:
            raise UcError(status, phys, length)
        return buffer.raw

    @property
    def host_ram(self):
        """The RAM's host memory itself, for reading much of it in place (machine/ramstate.py
        compares it with a saved copy). Never write through it: writes go through write(),
        so that unicorn drops translations of code written over."""
        return self._ram

    def write(self, phys: int, data: bytes) -> None:
        """Write `data` at physical address `phys`."""
        data = bytes(data)
        status = _uclib.uc_mem_write(self._uc._uch, phys, data, len(data))
        if status != 0:
            raise UcError(status, phys, len(data))

    def write_code(self, phys: int, code: bytes) -> None:
        """Write machine code into a frame at `phys`, the rest of the frame padded with int3
        (0xCC), and forget every translation of old code. Two unicorn traps make this
        necessary: its translator decodes zero padding as `add [rax], al` and runs on into
        the next page, reporting a fault there at the wrong RIP; and a plain mem_write over
        code that has run before leaves the old translation in use (docs/unicorn-notes.md)."""
        page_left = PAGE_SIZE - (phys & (PAGE_SIZE - 1))
        self.write(phys, bytes(code) + b"\xcc" * max(page_left - len(code), 0))
        self.drop_translations()

    def drop_translations(self) -> None:
        """Forget every translation of code: unicorn's translated blocks, and whatever the
        listeners keep about them (the instruction counter's block counts)."""
        self._uc.ctl_flush_tb()
        for listener in self.translation_listeners:
            listener()

    def read_u64(self, phys: int) -> int:
        """Read one little-endian 64-bit word (beyond RAM: unicorn's UcError)."""
        if 0 <= phys <= self.size - 8:
            return _U64_AT(self._ram, phys)[0]
        status = _uclib.uc_mem_read(self._uc._uch, phys, self._word_pointer, 8)
        if status != 0:
            raise UcError(status, phys, 8)
        return self._word.value

    def write_u64(self, phys: int, value: int) -> None:
        """Write one little-endian 64-bit word."""
        self.write(phys, value.to_bytes(8, "little"))

    def alloc_frame(self) -> int:
        """A zeroed 4 KiB frame; returns its physical address."""
        if self._free_frames:
            frame = self._free_frames.pop()
        elif self._next_frame + PAGE_SIZE <= self.size:
            frame = self._next_frame
            self._next_frame += PAGE_SIZE
        else:
            raise OutOfMemory("out of physical memory")
        self.write(frame, _ZERO_PAGE)
        return frame

    def free_frame(self, frame: int) -> None:
        """Give a frame back to the allocator."""
        self._free_frames.append(frame)

    @property
    def high_water(self) -> int:
        """Frames at and above this address have never been handed out."""
        return self._next_frame

    @property
    def free_frame_list(self) -> list[int]:
        """The frames given back, in the order alloc_frame will hand them out again (last first)."""
        return list(self._free_frames)

    def set_allocator(self, high_water: int, free_frames: list[int]) -> None:
        """Put the allocator back as it was (machine/ramstate.py restores RAM with it)."""
        self._next_frame = high_water
        self._free_frames = list(free_frames)
