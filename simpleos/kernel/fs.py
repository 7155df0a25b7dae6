"""The SimpleOS file system: directories and files on the machine's disk, updated atomically.

Copy-on-write (shadow paging). An update never overwrites a block that the
live file system uses: new file data and a new copy of the whole metadata
(the directory tree) go to free blocks; after a flush, ONE superblock write
switches the disk to them. So a power cut at any moment leaves either the
old tree or the new one (docs/disk.md). The format itself -- superblocks,
the metadata encoding, path rules -- is in fsformat.py.

This module sees only a BlockDevice (machine/blockdev.py): it must not touch
the host's files or print, and it keeps no policy about WHICH files matter
(channel files, crash dumps): that belongs to its callers.
"""
from __future__ import annotations

import zlib
from contextlib import contextmanager
from typing import Iterator

from ..machine.blockdev import BLOCK_SIZE, BlockDevice
from .fsformat import (FIRST_FREE_BLOCK, MAX_METADATA_BLOCKS, MAX_NAME_LENGTH, MIN_BLOCK_COUNT, SUPERBLOCK_SLOTS,
                       DirNode, DiskFull, Entry, FileNode, FsCorrupt, FsError, Node, Superblock, encode_metadata,
                       encode_superblock, join_path, mount, split_path, used_blocks)

__all__ = ["FileSystem", "format_disk", "FsError", "DiskFull", "FsCorrupt", "Entry", "FileNode", "DirNode",
           "MAX_NAME_LENGTH", "split_path", "join_path"]


class FileSystem:
    """A mounted file system: the live tree is cached here; every update commits atomically."""

    def __init__(self, device: BlockDevice):
        """Mount the file system on `device`: pick the newest valid superblock slot."""
        if device.block_count < MIN_BLOCK_COUNT:
            raise FsError(f"disk too small: {device.block_count} blocks, need {MIN_BLOCK_COUNT}")
        self.device = device
        self._root, self.generation, self._slot, self._metadata_blocks = mount(device)
        self._used = used_blocks(device.block_count, self._root, self._metadata_blocks)
        self._staged_root: DirNode | None = None  # the tree being built by an open transaction
        self._taken = self._used  # blocks live or already handed out in the open transaction
        self._protected = self._used  # blocks no update may overwrite (see transaction)
        # After a commit that was not flushed (durable=False), the generation before it is
        # the one a power cut would leave: its blocks stay untouched until the next flush.
        self._durable_used: bytearray | None = None

    # --- reading -----------------------------------------------------------

    def read_file(self, path: str) -> bytes:
        """The whole contents of the file at `path`, checked against its CRC."""
        node = self._lookup(path)
        if isinstance(node, DirNode):
            raise FsError(f"is a directory: {path}")
        data = b"".join(self.device.read_block(number) for number in node.blocks())[: node.size]
        if zlib.crc32(data) != node.crc:
            raise FsCorrupt(f"corrupted file: {path} (checksum mismatch)")
        return data

    def stat(self, path: str) -> Entry:
        """Name, kind and size of `path`."""
        parts = split_path(path)
        return _entry(parts[-1] if parts else "/", self._lookup(path))

    def listdir(self, path: str = "/") -> list[Entry]:
        """The entries of directory `path`, sorted by name."""
        node = self._lookup(path)
        if isinstance(node, FileNode):
            raise FsError(f"not a directory: {path}")
        return [_entry(name, node.entries[name]) for name in sorted(node.entries)]

    def exists(self, path: str) -> bool:
        """Whether `path` names a file or directory."""
        return self._find(split_path(path)) is not None

    def is_dir(self, path: str) -> bool:
        """Whether `path` names a directory."""
        return isinstance(self._find(split_path(path)), DirNode)

    def is_file(self, path: str) -> bool:
        """Whether `path` names a file."""
        return isinstance(self._find(split_path(path)), FileNode)

    @property
    def free_bytes(self) -> int:
        """Bytes of free blocks (some of them will hold the next metadata copy)."""
        return self._taken.count(0) * BLOCK_SIZE

    # --- updating ------------------------------------------------------------

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator["FileSystem"]:
        """Group updates into one atomic commit: all of them reach the disk, or none.
        durable=False (group commit): the commit is just as atomic, but the flush that makes
        it durable is left to the next flush -- the next commit's first one, or close()."""
        if self._staged_root is not None:
            yield self  # nested: the outermost transaction commits
            return
        self._staged_root = self._root
        self._protected = self._used if self._durable_used is None else _union(self._used, self._durable_used)
        self._taken = bytearray(self._protected)
        try:
            yield self
            if self._staged_root is not self._root:
                self._commit(self._staged_root, durable)
        finally:
            self._staged_root = None
            self._taken = self._protected = self._used

    def write_file(self, path: str, data: bytes, *, parents: bool = False, durable: bool = True) -> None:
        """Create or wholly replace the file at `path`; `parents` creates missing directories.
        durable=False: see transaction()."""
        parts = split_path(path)
        data = bytes(data)
        with self.transaction(durable=durable):
            old = self._find(parts) if parts else self._staged_root
            if isinstance(old, DirNode):
                raise FsError(f"is a directory: {path}")
            self._check_parent(parts, create=parents)
            blocks = self._allocate(-(-len(data) // BLOCK_SIZE), path)
            for index, number in enumerate(blocks):
                self.device.write_block(number, data[index * BLOCK_SIZE:(index + 1) * BLOCK_SIZE])
            node = FileNode(len(data), zlib.crc32(data), _extents(blocks))
            self._replace(parts, node, create_parents=parents)
            self._release(old)

    def mkdir(self, path: str, *, parents: bool = False, exist_ok: bool = False) -> None:
        """Create directory `path`; `parents` also creates missing ones above it (and implies exist_ok)."""
        parts = split_path(path)
        with self.transaction():
            existing = self._find(parts) if parts else self._staged_root
            if existing is not None:
                if isinstance(existing, DirNode) and (exist_ok or parents):
                    return
                raise FsError(f"file exists: {path}")
            self._check_parent(parts, create=parents)
            self._replace(parts, DirNode(), create_parents=parents)

    def remove(self, path: str) -> None:
        """Delete a file or an empty directory."""
        parts = split_path(path)
        if not parts:
            raise FsError("cannot remove the root directory")
        with self.transaction():
            node = self._lookup(path)
            if isinstance(node, DirNode) and node.entries:
                raise FsError(f"directory not empty: {path}")
            self._replace(parts, None)
            self._release(node)

    def rename(self, source: str, target: str) -> None:
        """Move `source` to `target`, replacing a file already there, in one atomic step."""
        source_parts, target_parts = split_path(source), split_path(target)
        if not source_parts or not target_parts:
            raise FsError("cannot move the root directory")
        with self.transaction():
            node = self._lookup(source)
            if source_parts == target_parts:
                return
            if isinstance(node, DirNode) and target_parts[: len(source_parts)] == source_parts:
                raise FsError(f"cannot move a directory into itself: {source} -> {target}")
            self._check_parent(target_parts, create=False)
            existing = self._find(target_parts)
            if isinstance(existing, DirNode):
                raise FsError(f"is a directory: {target}")
            self._replace(source_parts, None)
            self._replace(target_parts, node)
            self._release(existing)

    def wipe(self) -> None:
        """Atomically replace everything with an empty root directory."""
        with self.transaction():
            self._staged_root = DirNode()

    def close(self) -> None:
        """Unmount: detach the block device."""
        self.device.close()

    def __enter__(self) -> "FileSystem":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- inside ------------------------------------------------------------------

    def _tree(self) -> DirNode:
        """The tree operations see: the open transaction's, else the live one."""
        return self._staged_root if self._staged_root is not None else self._root

    def _find(self, parts: tuple[str, ...]) -> Node | None:
        """The node at `parts`, or None if there is none."""
        node: Node = self._tree()
        for name in parts:
            if not isinstance(node, DirNode) or name not in node.entries:
                return None
            node = node.entries[name]
        return node

    def _lookup(self, path: str) -> Node:
        """The node at `path`; a one-line FsError if it is not there."""
        parts = split_path(path)
        self._check_parent(parts, create=False)
        node = self._find(parts)
        if node is None:
            raise FsError(f"no such file or directory: {path}")
        return node

    def _check_parent(self, parts: tuple[str, ...], *, create: bool) -> None:
        """Refuse `parts` if a directory above it is missing (unless `create`) or is a file."""
        node: Node = self._tree()
        for depth, name in enumerate(parts[:-1], start=1):
            node = node.entries.get(name)
            if node is None:
                if create:
                    return
                raise FsError(f"no such directory: {join_path(parts[:depth])}")
            if isinstance(node, FileNode):
                raise FsError(f"not a directory: {join_path(parts[:depth])}")

    def _replace(self, parts: tuple[str, ...], node: Node | None, *, create_parents: bool = False) -> None:
        """Put `node` at `parts` (None deletes) in the staged tree, copying only the path to it."""
        self._staged_root = _with_node(self._staged_root, parts, node, create_parents)

    def _allocate(self, count: int, purpose: str) -> list[int]:
        """Hand out `count` free blocks, lowest first, for `purpose`; DiskFull if there are fewer."""
        blocks, position = [], FIRST_FREE_BLOCK
        while len(blocks) < count:
            position = self._taken.find(0, position)
            if position < 0:
                raise DiskFull(f"disk full: {purpose} needs {count} blocks, {len(blocks)} free")
            blocks.append(position)
            position += 1
        for number in blocks:
            self._taken[number] = 1
        return blocks

    def _release(self, node: Node | None) -> None:
        """Give back the blocks of a file written earlier in this transaction and now dropped.

        Blocks of the live tree stay taken until the commit: a power cut
        before it must find them intact.
        """
        if not isinstance(node, FileNode):
            return
        for number in node.blocks():
            if not self._protected[number]:
                self._taken[number] = 0

    def _commit(self, root: DirNode, durable: bool = True) -> None:
        """Write `root` as the next generation: metadata to free blocks, flush, superblock, flush
        (the last one only if `durable`; else the next flush makes this generation durable)."""
        metadata = encode_metadata(root)
        count = max(1, -(-len(metadata) // BLOCK_SIZE))
        if count > MAX_METADATA_BLOCKS:
            raise DiskFull(f"disk full: the directory tree needs {count} metadata blocks, at most {MAX_METADATA_BLOCKS}")
        blocks = self._allocate(count, "the directory tree")
        for index, number in enumerate(blocks):
            self.device.write_block(number, metadata[index * BLOCK_SIZE:(index + 1) * BLOCK_SIZE])
        self.device.flush()  # everything the new superblock points to is durable before it
        generation, slot = self.generation + 1, 1 - self._slot
        superblock = Superblock(generation, len(metadata), zlib.crc32(metadata), tuple(blocks))
        self.device.write_block(SUPERBLOCK_SLOTS[slot], encode_superblock(superblock, self.device.block_count))
        if durable:
            self.device.flush()  # the commit point is now durable
        self._durable_used = None if durable else self._used   # the generation a power cut leaves
        self._root, self.generation, self._slot, self._metadata_blocks = root, generation, slot, tuple(blocks)
        self._used = used_blocks(self.device.block_count, root, self._metadata_blocks)


def _union(first: bytearray, second: bytearray) -> bytearray:
    """Blocks used in either of two block maps (each byte 0 or 1)."""
    size = len(first)
    return bytearray((int.from_bytes(first, "little") | int.from_bytes(second, "little")).to_bytes(size, "little"))


def format_disk(device: BlockDevice) -> FileSystem:
    """Make an empty file system on `device` (erasing what was there) and mount it."""
    if device.block_count < MIN_BLOCK_COUNT:
        raise FsError(f"disk too small: {device.block_count} blocks, need {MIN_BLOCK_COUNT}")
    metadata = encode_metadata(DirNode())
    device.write_block(FIRST_FREE_BLOCK, metadata)
    device.write_block(SUPERBLOCK_SLOTS[0], b"")
    device.flush()
    superblock = Superblock(1, len(metadata), zlib.crc32(metadata), (FIRST_FREE_BLOCK,))
    device.write_block(SUPERBLOCK_SLOTS[1], encode_superblock(superblock, device.block_count))
    device.flush()
    return FileSystem(device)


def _with_node(directory: DirNode, parts: tuple[str, ...], node: Node | None, create_parents: bool) -> DirNode:
    """A copy of `directory` with `node` at `parts` (None removes it); the rest is shared."""
    entries = dict(directory.entries)
    name = parts[0]
    if len(parts) == 1:
        if node is None:
            entries.pop(name, None)
        else:
            entries[name] = node
    else:
        child = entries.get(name)
        if child is None and create_parents:
            child = DirNode()
        entries[name] = _with_node(child, parts[1:], node, create_parents)
    return DirNode(entries)


def _extents(blocks: list[int]) -> tuple[tuple[int, int], ...]:
    """Runs of consecutive block numbers, as (first, count) pairs."""
    runs: list[list[int]] = []
    for number in blocks:
        if runs and runs[-1][0] + runs[-1][1] == number:
            runs[-1][1] += 1
        else:
            runs.append([number, 1])
    return tuple((first, count) for first, count in runs)


def _entry(name: str, node: Node) -> Entry:
    """The Entry describing `node` under `name`."""
    if isinstance(node, DirNode):
        return Entry(name, True, 0)
    return Entry(name, False, node.size)
