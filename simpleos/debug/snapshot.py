"""The debugger's disk: a frozen copy of the machine's disk, and RAM disks made from it.

A debug session reads the machine's disk image once (DiskSnapshot) and
every power-on of the debugged machine -- the first one and every replay
of time travel -- runs on a fresh RamDisk over that snapshot: reads come
from the snapshot, writes stay in RAM (copy-on-write, per block). So every
replay starts from identical bytes, power-on costs nothing, and debugging
never modifies the user's disk (snapshot_of_home opens the home as `simpleos boot`
would, with --fresh and --channel, then freezes it). A RamDisk speaks the block-device interface
that kernel/fs.py uses (block_count, read_block, write_block, flush, close);
it must not know what the blocks mean.
"""
from __future__ import annotations

from pathlib import Path

from ..home import disk_image_path
from ..machine.blockdev import BLOCK_SIZE


class DiskSnapshot:
    """The bytes of a disk image at one moment (immutable)."""

    def __init__(self, image: bytes, origin: Path) -> None:
        if not image or len(image) % BLOCK_SIZE:
            raise ValueError(f"{origin}: not a whole number of {BLOCK_SIZE}-byte blocks")
        self.image = image
        self.origin = origin

    @classmethod
    def of_file(cls, path: Path) -> "DiskSnapshot":
        """Read a disk image file (the machine must not be running on it elsewhere)."""
        return cls(Path(path).read_bytes(), Path(path))

    @property
    def block_count(self) -> int:
        """Blocks on the disk."""
        return len(self.image) // BLOCK_SIZE

    def ram_disk(self) -> "RamDisk":
        """A writable disk that starts as this snapshot."""
        return RamDisk(self)


class RamDisk:
    """A block device over a DiskSnapshot whose writes stay in RAM."""

    def __init__(self, snapshot: DiskSnapshot) -> None:
        self.snapshot = snapshot
        self.path = snapshot.origin.with_name(snapshot.origin.name + " (debug copy in RAM)")
        self.block_count = snapshot.block_count
        self.written: dict[int, bytes] = {}
        self.writes = 0
        self.flushes = 0
        self.closed = False

    def read_block(self, number: int) -> bytes:
        """The block as last written in this RAM disk, else as in the snapshot."""
        self._check(number)
        if number in self.written:
            return self.written[number]
        return self.snapshot.image[number * BLOCK_SIZE:(number + 1) * BLOCK_SIZE]

    def write_block(self, number: int, data: bytes) -> None:
        """Replace block `number` (in RAM only)."""
        self._check(number)
        if len(data) > BLOCK_SIZE:
            raise ValueError(f"{len(data)} bytes do not fit in one {BLOCK_SIZE}-byte block")
        self.writes += 1
        self.written[number] = bytes(data).ljust(BLOCK_SIZE, b"\0")

    def flush(self) -> None:
        """A write barrier: nothing to do in RAM."""
        self.flushes += 1

    def close(self) -> None:
        """Detach (the RAM is dropped with the object)."""
        self.closed = True

    def contents(self) -> bytes:
        """The whole disk as it is now (for saving it, if a caller wants to)."""
        return b"".join(self.read_block(n) for n in range(self.block_count))

    def _check(self, number: int) -> None:
        if self.closed:
            raise ValueError(f"the disk {self.path} is closed")
        if not 0 <= number < self.block_count:
            raise IndexError(f"block {number} is outside the disk (0..{self.block_count - 1})")


def snapshot_of_home(options) -> DiskSnapshot:
    """Open the machine home like `simpleos boot` (--fresh, --channel), then freeze its disk."""
    from ..system import deliver_channel_files, open_home, read_channel_files
    contents = read_channel_files(options.channels)
    home, fs = open_home(options.machine, options.fresh)
    try:
        deliver_channel_files(fs, contents)
    finally:
        fs.close()
    return DiskSnapshot.of_file(disk_image_path(home))
