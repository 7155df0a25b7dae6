"""Where each instance and criterion of a channel file sits in its bytes.

The mutators edit files in place -- replace one criterion's bytes, insert an
instance, bump a count -- rather than parse, change and serialize the whole
file for every execution (about ten times faster). For that they need the
file's spans: where every instance starts and ends, and where each of its
criteria starts. spans_of() walks the body as the sensor's interpreter does
(instance head, then each criterion's head and value) and gives up (None)
when the walk does not end exactly at the end of the body. Unlike parse() it
does not judge kinds, actions or values, so a file with an unknown kind
still has spans. Describes bytes; must NOT change them.
"""
from __future__ import annotations

from typing import NamedTuple

from ..channel.format import CRITERION_HEAD, HEADER_SIZE, INSTANCE_HEAD

MAX_INSTANCES = 4096
_TEMPLATE_AT, _INSTANCE_COUNT_AT = 8, 12


class InstanceSpan(NamedTuple):
    """One instance: where it starts and ends, its id, and where each of its criteria starts."""
    start: int
    end: int
    instance_id: int
    criteria: tuple[int, ...]


class Spans(NamedTuple):
    """The header's template type and every instance of a file."""
    template_type: int
    instances: tuple[InstanceSpan, ...]

    def criteria(self) -> list[tuple[int, int]]:
        """(instance position, criterion position) of every criterion."""
        return [(i, j) for i, instance in enumerate(self.instances) for j in range(len(instance.criteria))]


def criterion_kind(data: bytes, start: int) -> int:
    """The kind byte of the criterion at `start`."""
    return data[start]


def criterion_end(data: bytes, start: int) -> int:
    """Where the criterion at `start` ends (its head, then `length` value bytes)."""
    return start + CRITERION_HEAD.size + (data[start + 2] | data[start + 3] << 8)


def spans_of(data: bytes) -> Spans | None:
    """The spans of a structurally sound file, or None."""
    end = len(data)
    if end < HEADER_SIZE:
        return None
    count = int.from_bytes(data[_INSTANCE_COUNT_AT:_INSTANCE_COUNT_AT + 4], "little")
    if count > MAX_INSTANCES:
        return None
    instances = []
    offset = HEADER_SIZE
    head = INSTANCE_HEAD.size
    for _ in range(count):
        start = offset
        if offset + head > end:
            return None
        instance_id = int.from_bytes(data[offset:offset + 4], "little")
        criteria_count = data[offset + 6] | data[offset + 7] << 8
        offset += head
        criteria = []
        for _ in range(criteria_count):
            if offset + CRITERION_HEAD.size > end:
                return None
            criteria.append(offset)
            offset += CRITERION_HEAD.size + (data[offset + 2] | data[offset + 3] << 8)
        if offset > end:
            return None
        instances.append(InstanceSpan(start, offset, instance_id, tuple(criteria)))
    if offset != end:
        return None
    return Spans(int.from_bytes(data[_TEMPLATE_AT:_TEMPLATE_AT + 2], "little"), tuple(instances))
