"""The machine's disk: a file on the host seen as a row of fixed-size blocks.

Like a real disk controller it only reads and writes whole blocks by number
and, on `flush()`, makes every earlier write durable (a write barrier; here
os.fsync). For the lab it can also fail like real hardware: `power_cut_after`
drops power at any chosen write or flush of an update, optionally tearing
the block being written or losing the writes the disk had not yet flushed.

This module knows nothing of files, directories or superblocks: what the
blocks mean is the file system's business (kernel/fs.py).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import BadInput

try:  # advisory locking keeps two host processes from driving one disk
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None

BLOCK_SIZE = 4096
DEFAULT_BLOCK_COUNT = 4096  # 16 MiB


class PowerCut(Exception):
    """The power failed during a disk write: the machine stops here."""


class DiskImageError(BadInput):
    """The host file cannot serve as a disk: wrong size, missing, or unreadable."""


class DiskBusy(DiskImageError):
    """Another host process has the disk image attached."""


class BlockDevice:
    """A disk of `block_count` blocks of BLOCK_SIZE bytes, stored in one host file."""

    def __init__(self, file, path: Path, block_count: int):
        """Wrap an open, locked image file; use BlockDevice.create or BlockDevice.open."""
        self._file = file
        self.path = path
        self.block_count = block_count
        self.writes = 0  # block writes since attach, counting one that a power cut broke
        self.flushes = 0  # flushes since attach, counting one that a power cut broke
        self._operations_left: int | None = None  # the power fails at the operation after this reaches 0
        self._tear_on_cut = False
        self._lose_unflushed_on_cut = False
        self._before_flush: dict[int, bytes] = {}  # old contents of blocks written since the last flush
        self._written_since_flush = True  # (unknown at attach: the first flush syncs)
        self._dead = False

    @classmethod
    def create(cls, path: str | os.PathLike, block_count: int = DEFAULT_BLOCK_COUNT) -> "BlockDevice":
        """Create a new, zero-filled (sparse) disk image; fail if the file exists."""
        if block_count < 1:
            raise ValueError(f"a disk needs at least one block, not {block_count}")
        path = Path(path)
        try:
            file = open(path, "x+b")
        except FileExistsError:
            raise DiskImageError(f"disk image already exists: {path}") from None
        except OSError as error:
            raise DiskImageError(f"cannot create disk image {path}: {error.strerror}") from None
        _lock(file, path)
        file.truncate(block_count * BLOCK_SIZE)
        return cls(file, path, block_count)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "BlockDevice":
        """Attach an existing disk image; its size gives the block count."""
        path = Path(path)
        try:
            file = open(path, "r+b")
        except FileNotFoundError:
            raise DiskImageError(f"no disk image at {path}") from None
        except OSError as error:
            raise DiskImageError(f"cannot open disk image {path}: {error.strerror}") from None
        size = os.fstat(file.fileno()).st_size
        if size == 0 or size % BLOCK_SIZE:
            file.close()
            raise DiskImageError(f"{path} is not a disk image: {size} bytes is not a whole number of {BLOCK_SIZE}-byte blocks")
        _lock(file, path)
        return cls(file, path, size // BLOCK_SIZE)

    def read_block(self, number: int) -> bytes:
        """The BLOCK_SIZE bytes of block `number`."""
        self._check_powered()
        self._check_number(number)
        self._file.seek(number * BLOCK_SIZE)
        return self._file.read(BLOCK_SIZE).ljust(BLOCK_SIZE, b"\0")

    def write_block(self, number: int, data: bytes) -> None:
        """Replace block `number` with `data` (zero-padded to BLOCK_SIZE)."""
        self._check_powered()
        self._check_number(number)
        if len(data) > BLOCK_SIZE:
            raise ValueError(f"{len(data)} bytes do not fit in one {BLOCK_SIZE}-byte block")
        data = bytes(data).ljust(BLOCK_SIZE, b"\0")
        self.writes += 1
        self._count_down_to_power_cut(number, data)
        if self._lose_unflushed_on_cut and number not in self._before_flush:
            self._before_flush[number] = self.read_block(number)
        self._raw_write(number, data)

    def flush(self) -> None:
        """Make every write so far durable (a write barrier), as a disk cache flush.
        (With nothing written since the last one, there is nothing to wait for: no fsync.)"""
        self._check_powered()
        self.flushes += 1
        self._count_down_to_power_cut(None, b"")
        if self._written_since_flush:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._written_since_flush = False
        self._before_flush.clear()

    @property
    def operations(self) -> int:
        """Writes plus flushes since attach: the points where a power cut can strike."""
        return self.writes + self.flushes

    def power_cut_after(self, operations: int | None, *, torn: bool = False, lose_unflushed: bool = False) -> None:
        """Let `operations` more writes or flushes succeed; the next one raises PowerCut instead.

        The failing write is not done (torn: only its first half lands).
        lose_unflushed: the writes made after arming and since the last
        flush are lost too, as from a volatile disk cache. None cancels the cut.
        """
        if operations is not None and operations < 0:
            raise ValueError("the number of operations before a power cut cannot be negative")
        self._operations_left = operations
        self._tear_on_cut = torn
        self._lose_unflushed_on_cut = lose_unflushed and operations is not None
        self._before_flush.clear()

    @property
    def powered(self) -> bool:
        """False once a power cut has happened: the device then refuses all work."""
        return not self._dead

    def close(self) -> None:
        """Flush and detach the image (releases the host lock)."""
        if self._dead or self._file.closed:
            return
        self.flush()
        self._file.close()

    def __enter__(self) -> "BlockDevice":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _count_down_to_power_cut(self, number: int | None, data: bytes) -> None:
        """Cut the power now if the armed count of operations has run out, else count this one."""
        if self._operations_left == 0:
            self._cut_power(number, data)
        if self._operations_left is not None:
            self._operations_left -= 1

    def _cut_power(self, number: int | None, data: bytes) -> None:
        """Simulate the power failure during a write to block `number` (None: during a flush); raise PowerCut."""
        if self._tear_on_cut and number is not None:
            old = self.read_block(number)
            half = BLOCK_SIZE // 2
            self._raw_write(number, data[:half] + old[half:])
        for lost_number, old in self._before_flush.items():
            self._raw_write(lost_number, old)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._dead = True
        during = f"writing block {number}" if number is not None else "flushing"
        raise PowerCut(f"power cut while {during} {self.path}")

    def _raw_write(self, number: int, data: bytes) -> None:
        """Put `data` at block `number` in the host file, with no fault injection."""
        self._file.seek(number * BLOCK_SIZE)
        self._file.write(data)
        self._written_since_flush = True

    def _check_number(self, number: int) -> None:
        """Refuse block numbers outside the disk."""
        if not 0 <= number < self.block_count:
            raise IndexError(f"block {number} is outside the disk (0..{self.block_count - 1})")

    def _check_powered(self) -> None:
        """Refuse work after a power cut or close."""
        if self._dead:
            raise PowerCut(f"the disk {self.path} has lost power")
        if self._file.closed:
            raise ValueError(f"the disk {self.path} is closed")


def _lock(file, path: Path) -> None:
    """Take an exclusive host lock on the image, so two processes never share a disk."""
    if fcntl is None:
        return
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        file.close()
        raise DiskBusy(f"disk image {path} is in use by another simpleos process") from None
