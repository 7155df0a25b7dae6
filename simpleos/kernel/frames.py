"""Frames the kernel owns and lends to a driver read-only: the content of the exokernel and nanokernel sensors.

A placement that hands the sensor its content as read-only frames (placement.BoundExtension,
placement.CapabilityProcess) allocates them once per boot and maps them into each instance it
starts, in place of the pages the driver's image had there -- so a restarted sensor is given
the very same frames again. The frames belong to the kernel, not to the process: they outlive
it and are never in process.frames. The kernel writes into them by physical address; the
driver can only read them (the page-table entries say so, and the MMU enforces it).
Mechanism only: who gets the frames is the placement's business.
"""
from __future__ import annotations

from ..machine.layout import PAGE_SIZE
from ..machine.paging import NO_EXECUTE, USER

READ_ONLY = USER | NO_EXECUTE       # present, user, not writable, never executed


class KernelFrames:
    """A run of physical frames lent to drivers read-only, by virtual address."""

    def __init__(self, memory, pages: int) -> None:
        self.memory = memory
        self.frames = [memory.alloc_frame() for _ in range(pages)]

    @property
    def size(self) -> int:
        """How many bytes the frames hold."""
        return len(self.frames) * PAGE_SIZE

    def lend(self, process, virtual: int) -> None:
        """Map the frames read-only at `virtual` in `process`'s address space, in place of whatever
        was mapped there (frames of the process's own image are given back to the allocator)."""
        for index, frame in enumerate(self.frames):
            old = process.space.unmap_page(virtual + index * PAGE_SIZE)
            if old is not None and old in process.frames:
                process.frames.remove(old)
                self.memory.free_frame(old)
            process.space.map_page(virtual + index * PAGE_SIZE, frame, READ_ONLY)

    def take_back(self, process, virtual: int) -> None:
        """Unmap the frames from `process` (a live one: a dead one's page tables are gone)."""
        for index in range(len(self.frames)):
            process.space.unmap_page(virtual + index * PAGE_SIZE)

    def write(self, offset: int, data: bytes) -> None:
        """Write `data` at byte `offset` of the frames (the kernel's access, by physical address)."""
        while data:
            frame = self.frames[offset // PAGE_SIZE]
            piece = data[:PAGE_SIZE - offset % PAGE_SIZE]
            self.memory.write(frame + offset % PAGE_SIZE, piece)
            data, offset = data[len(piece):], offset + len(piece)

    def clear(self) -> None:
        """Zero every frame."""
        for frame in self.frames:
            self.memory.write(frame, bytes(PAGE_SIZE))
