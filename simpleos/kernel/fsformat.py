"""The SimpleOS file system's on-disk format: superblocks, the metadata tree, path names.

    block 0, 1   superblock slots (magic, generation, metadata blocks, CRCs)
    block 2 ..   file data and metadata, allocated from the free blocks

Two superblock slots take turns; each holds a generation number and a
CRC32, and points at the blocks of the metadata: the whole directory tree
as compact JSON. Mount takes the valid slot with the highest generation
whose metadata checks out; free blocks are not stored but derived from the
tree. Each file node records the CRC32 of its contents. This module
encodes and decodes (and checks every field it decodes); the operations on
a mounted file system are in fs.py. It must not touch the host's files.
"""
from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Iterator, Union

from ..errors import BadInput
from ..machine.blockdev import BLOCK_SIZE, BlockDevice
from ..record import dataclass, field

MAGIC = b"SIMPLEFS"
FORMAT_VERSION = 1
SUPERBLOCK_SLOTS = (0, 1)
FIRST_FREE_BLOCK = len(SUPERBLOCK_SLOTS)
MIN_BLOCK_COUNT = 8
MAX_NAME_LENGTH = 64
MAX_PATH_DEPTH = 32
NAME_PATTERN = re.compile(r"[A-Za-z0-9._+@-]{1,%d}" % MAX_NAME_LENGTH)

# magic, version, block size, block count, generation, metadata length, metadata CRC, metadata block count
_SUPERBLOCK_HEADER = struct.Struct("<8sIIIQIII")
_BLOCK_NUMBER = struct.Struct("<I")
_CRC = struct.Struct("<I")
MAX_METADATA_BLOCKS = (BLOCK_SIZE - _SUPERBLOCK_HEADER.size - _CRC.size) // _BLOCK_NUMBER.size


class FsError(BadInput):
    """A file-system operation that cannot be done: the reason is one line."""


class DiskFull(FsError):
    """Not enough free blocks for the update; the disk is left as it was."""


class FsCorrupt(FsError):
    """The disk holds something the file system did not write: a checksum does not match."""


@dataclass(frozen=True)
class FileNode:
    """A file: its size, the CRC32 of its contents, and the runs of blocks holding them."""

    size: int
    crc: int
    extents: tuple[tuple[int, int], ...]  # (first block, block count)

    def blocks(self) -> Iterator[int]:
        """The file's data blocks, in order."""
        for first, count in self.extents:
            yield from range(first, first + count)


@dataclass(frozen=True, eq=False)
class DirNode:
    """A directory: names to nodes. Never changed in place: updates copy the path."""

    entries: dict = field(default_factory=dict)


Node = Union[FileNode, DirNode]


@dataclass(frozen=True)
class Entry:
    """What stat and listing report about one name."""

    name: str
    is_dir: bool
    size: int  # bytes for a file; 0 for a directory


@dataclass(frozen=True)
class Superblock:
    """One decoded superblock slot."""

    generation: int
    metadata_length: int
    metadata_crc: int
    metadata_blocks: tuple[int, ...]


def split_path(path: str) -> tuple[str, ...]:
    """The names along an absolute path ("/a//b/" gives ("a", "b")); FsError if it is not valid."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise FsError(f"not an absolute path: {path!r}")
    parts = tuple(name for name in path.split("/") if name)
    for name in parts:
        if name in (".", ".."):
            raise FsError(f"'.' and '..' are not allowed in paths: {path!r}")
        if not NAME_PATTERN.fullmatch(name):
            raise FsError(f"bad name {name!r} in {path!r}: use 1-{MAX_NAME_LENGTH} of A-Z a-z 0-9 . _ + @ -")
    if len(parts) > MAX_PATH_DEPTH:
        raise FsError(f"path too deep (more than {MAX_PATH_DEPTH} levels): {path!r}")
    return parts


def join_path(parts: tuple[str, ...]) -> str:
    """The absolute path for a tuple of names."""
    return "/" + "/".join(parts)


def encode_metadata(root: DirNode) -> bytes:
    """The directory tree as compact, deterministic JSON."""
    document = {"simplefs": FORMAT_VERSION, "root": _encode_node(root)}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def decode_metadata(raw: bytes, block_count: int) -> DirNode:
    """The directory tree from its JSON; ValueError if anything is malformed."""
    try:
        document = json.loads(raw)
    except (RecursionError, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from None
    if not isinstance(document, dict) or document.get("simplefs") != FORMAT_VERSION:
        raise ValueError("unknown metadata format")
    root = _decode_node(document.get("root"), block_count, depth=0)
    if not isinstance(root, DirNode):
        raise ValueError("the root is not a directory")
    return root


def encode_superblock(superblock: Superblock, block_count: int) -> bytes:
    """One superblock slot's bytes, ending with a CRC32 of all before it."""
    header = _SUPERBLOCK_HEADER.pack(
        MAGIC, FORMAT_VERSION, BLOCK_SIZE, block_count, superblock.generation,
        superblock.metadata_length, superblock.metadata_crc, len(superblock.metadata_blocks),
    )
    body = header + b"".join(_BLOCK_NUMBER.pack(number) for number in superblock.metadata_blocks)
    return body + _CRC.pack(zlib.crc32(body))


def decode_superblock(raw: bytes, block_count: int) -> Superblock | None:
    """The superblock in a slot, or None if the slot is empty, torn or foreign."""
    fields = _SUPERBLOCK_HEADER.unpack_from(raw)
    magic, version, block_size, disk_blocks, generation, length, crc, count = fields
    if (magic, version, block_size, disk_blocks) != (MAGIC, FORMAT_VERSION, BLOCK_SIZE, block_count):
        return None
    if not 1 <= count <= MAX_METADATA_BLOCKS or length > count * BLOCK_SIZE:
        return None
    end = _SUPERBLOCK_HEADER.size + count * _BLOCK_NUMBER.size
    (stored_crc,) = _CRC.unpack_from(raw, end)
    if zlib.crc32(raw[:end]) != stored_crc:
        return None
    blocks = tuple(_BLOCK_NUMBER.unpack_from(raw, _SUPERBLOCK_HEADER.size + i * _BLOCK_NUMBER.size)[0] for i in range(count))
    if any(not FIRST_FREE_BLOCK <= number < block_count for number in blocks):
        return None
    return Superblock(generation, length, crc, blocks)


def mount(device: BlockDevice) -> tuple[DirNode, int, int, tuple[int, ...]]:
    """Root, generation, slot and metadata blocks of the newest slot whose metadata checks out."""
    candidates = []
    for slot, number in enumerate(SUPERBLOCK_SLOTS):
        superblock = decode_superblock(device.read_block(number), device.block_count)
        if superblock is not None:
            candidates.append((superblock.generation, slot, superblock))
    for generation, slot, superblock in sorted(candidates, key=lambda c: c[:2], reverse=True):
        root = _load_metadata(device, superblock)
        if root is not None:
            return root, generation, slot, superblock.metadata_blocks
    raise FsError(f"{device.path} holds no SimpleOS file system (no valid superblock)")


def _load_metadata(device: BlockDevice, superblock: Superblock) -> DirNode | None:
    """The tree a superblock points to, or None if its CRC or contents are wrong."""
    raw = b"".join(device.read_block(number) for number in superblock.metadata_blocks)
    raw = raw[: superblock.metadata_length]
    if zlib.crc32(raw) != superblock.metadata_crc:
        return None
    try:
        root = decode_metadata(raw, device.block_count)
        used_blocks(device.block_count, root, superblock.metadata_blocks)
    except ValueError:
        return None
    return root


def used_blocks(block_count: int, root: DirNode, metadata_blocks: tuple[int, ...]) -> bytearray:
    """A map of the blocks the tree uses (1) and the free ones (0); ValueError if two uses overlap."""
    used = bytearray(block_count)
    for number in (*SUPERBLOCK_SLOTS, *metadata_blocks, *_data_blocks(root)):
        if used[number]:
            raise ValueError(f"block {number} is used twice")
        used[number] = 1
    return used


def _data_blocks(node: Node) -> Iterator[int]:
    """Every data block of every file below `node`."""
    if isinstance(node, FileNode):
        yield from node.blocks()
        return
    for child in node.entries.values():
        yield from _data_blocks(child)


def _encode_node(node: Node):
    """A node as JSON-ready data: {"d": {...}} for a directory, {"f": [size, crc, extents]} for a file."""
    if isinstance(node, FileNode):
        return {"f": [node.size, node.crc, [list(extent) for extent in node.extents]]}
    return {"d": {name: _encode_node(child) for name, child in node.entries.items()}}


def _decode_node(data, block_count: int, depth: int) -> Node:
    """A node from its JSON form, checking every field; ValueError if malformed."""
    if depth > MAX_PATH_DEPTH or not isinstance(data, dict) or len(data) != 1:
        raise ValueError("malformed node")
    if "d" in data and isinstance(data["d"], dict):
        entries = {}
        for name, child in data["d"].items():
            if not NAME_PATTERN.fullmatch(name) or name in (".", ".."):
                raise ValueError(f"bad name {name!r}")
            entries[name] = _decode_node(child, block_count, depth + 1)
        return DirNode(entries)
    if "f" in data and isinstance(data["f"], list) and len(data["f"]) == 3:
        size, crc, extents = data["f"]
        if not (_is_count(size) and _is_count(crc) and isinstance(extents, list)):
            raise ValueError("malformed file")
        runs = []
        for extent in extents:
            if not (isinstance(extent, list) and len(extent) == 2 and all(_is_count(x) for x in extent)):
                raise ValueError("malformed extent")
            first, count = extent
            if count < 1 or first < FIRST_FREE_BLOCK or first + count > block_count:
                raise ValueError("extent outside the disk")
            runs.append((first, count))
        if sum(count for _, count in runs) != -(-size // BLOCK_SIZE):
            raise ValueError("file size does not match its blocks")
        return FileNode(size, crc, tuple(runs))
    raise ValueError("malformed node")


def _is_count(value) -> bool:
    """Whether `value` is a non-negative JSON integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
