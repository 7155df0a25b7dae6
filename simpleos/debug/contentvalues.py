"""Where the sensor's loaded channel files keep their criterion values: so `x/s` knows a length-prefixed string.

A criterion's value is not NUL-terminated: it is `kind (1) | 0 (1) |
length (2) | value (length bytes)` and the next criterion follows at once
(docs/channel-files.md). `x/s` on such a value would run on into the next
criterion's bytes. The rule sdb uses: an address is a length-prefixed
value when it is where a string criterion's value starts in a channel file
the sensor has loaded. The files are found as the sensor itself finds them
-- `content_files[0 .. content_count)` in its data holds where each one
starts in `content_area` -- read from guest memory (so it works on a live
machine and on a crash dump alike) and parsed with the channel-file parser;
a file that does not parse is left out. Reads memory only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..channel.format import (CRITERION_HEAD, HEADER, HEADER_SIZE, INSTANCE_HEAD, STRING_KINDS, ChannelFormatError,
                              parse)

MAX_FILES = 32                  # the sensor's MAX_CONTENT_FILES
MAX_FILE_BYTES = 1 << 16        # the sensor's CONTENT_AREA_SIZE


@dataclass(frozen=True)
class Value:
    """One criterion value in a loaded channel file."""
    address: int
    length: int
    kind: int
    data: bytes
    file_address: int           # where the file starts in the sensor's memory
    instance: int               # the rule's id
    field: int                  # 1-based field number (criterion index + 1)


def loaded_files(target) -> list[tuple[int, object]]:
    """(start address, parsed ChannelFile) of each channel file the sensor has loaded and that
    parses ([] when there is no sensor or its tables cannot be read)."""
    try:
        count = _word(target, target.lookup("content_count"))
        table = target.lookup("content_files")
    except (LookupError, MemoryError):
        return []
    files = []
    for index in range(min(count, MAX_FILES)):
        try:
            start = _word(target, table + 8 * index)
            body_size = HEADER.unpack(target.read_memory(start, HEADER_SIZE))[7]
            files.append((start, parse(target.read_memory(start, HEADER_SIZE + min(body_size, MAX_FILE_BYTES)))))
        except (MemoryError, ChannelFormatError, ValueError):
            continue
    return files


def loaded_values(target) -> dict[int, Value]:
    """Every string criterion value of every channel file the sensor has loaded, by address."""
    return {value.address: value for start, parsed in loaded_files(target) for value in _values_of(parsed, start)}


def _values_of(parsed, start: int):
    """The string values of a parsed file that starts at `start`, with their addresses."""
    offset = start + HEADER_SIZE
    for instance in parsed.instances:
        offset += INSTANCE_HEAD.size
        for index, criterion in enumerate(instance.criteria):
            offset += CRITERION_HEAD.size
            if criterion.kind in STRING_KINDS:
                yield Value(offset, len(criterion.value), criterion.kind, criterion.value, start,
                            instance.instance_id, index + 1)
            offset += len(criterion.value)


def _word(target, address: int) -> int:
    return int.from_bytes(target.read_memory(address, 8), "little")
