"""Mutations of channel files: format-aware edits of the structure, and byte havoc.

The format-aware mutations edit a file's bytes at the places its spans
(spans.py) name, keep every count consistent, and so give a well-formed
file that the sensor reads all the way to its rules:

  wildcard <-> literal   a wildcard becomes a literal test of a dictionary value, or back
  kind                   a criterion's kind changes (equals, prefix, int, wildcard)
  value                  a literal gets another dictionary value, a prefix of one, a changed byte
  field count            a criterion is added or removed in one instance, or in all and the header
  template type          the header names PROCESS, IPC or an unknown template type
  instances              an instance is duplicated (under a new id), removed, or its action flipped

Two more say what a well-formed file cannot:

  lying counts           the header's instance or field count, an instance's criteria count or
                         a criterion's length is set to something the body does not hold
  havoc                  AFL-style bit flips, random and interesting bytes, inserted and deleted bytes

Criteria are edited five times as often as the rest, up to three at once;
one input in twelve gets a lying count or havoc instead of a format-aware
mutation. Every mutated file has body_size and the body CRC fixed up last,
so a file is wrong in its content, never just in its checksum. Every choice comes from the
caller's random.Random: the same seed gives the same mutations. This module
must NOT run anything.
"""
from __future__ import annotations

import random
import struct
import zlib

from ..channel.format import (ACTION_DENY, CRITERION_HEAD, HEADER_SIZE, KIND_INT_EQUALS,
                              KIND_STRING_EQUALS, KIND_STRING_PREFIX, KIND_WILDCARD)
from ..channel.templates import TEMPLATE_TYPES, template_type
from .spans import InstanceSpan, Spans, criterion_end, criterion_kind
from .workload import Dictionary

MAX_SIZE = 4 * 1024             # inputs grow no larger than this (or twice the largest seed)
HAVOC, LYING_COUNT = 0.03, 0.05  # how often a well-formed parent gets havoc, or a lying count, instead
KINDS = (KIND_WILDCARD, KIND_STRING_EQUALS, KIND_STRING_PREFIX, KIND_INT_EQUALS)
INTERESTING_BYTES = (0, 1, 0x7F, 0x80, 0xFF)
INTERESTING_WORDS = (0, 1, 2, 8, 19, 20, 21, 22, 0x7FFF, 0x8000, 0xFFFF)
TEMPLATE_TYPE_AT, FIELD_COUNT_AT, INSTANCE_COUNT_AT = 8, 10, 12       # header offsets
BODY_SIZE_AT, BODY_CRC_AT = 20, 24
ACTION_AT, CRITERIA_COUNT_AT, LENGTH_AT = 4, 6, 2                    # offsets in an instance / criterion
WILDCARD = CRITERION_HEAD.pack(KIND_WILDCARD, 0, 0)
U16, U32 = struct.Struct("<H"), struct.Struct("<I")


def fix_up(data: bytes) -> bytes:
    """Make body_size and the body CRC32 in the header agree with the body."""
    if len(data) < HEADER_SIZE:
        return data
    body = memoryview(data)[HEADER_SIZE:]
    return data[:BODY_SIZE_AT] + struct.pack("<II", len(body), zlib.crc32(body)) + data[BODY_CRC_AT + 4:]


def _splice(data: bytes, start: int, end: int, new: bytes) -> bytes:
    """data with [start, end) replaced by `new`."""
    return data[:start] + new + data[end:]


def _add_to_u16(data: bytes, offset: int, delta: int) -> bytes | None:
    """data with the u16 at `offset` changed by delta, or None if it would not fit."""
    value = U16.unpack_from(data, offset)[0] + delta
    return _splice(data, offset, offset + 2, U16.pack(value)) if 0 <= value < 1 << 16 else None


def _add_to_u32(data: bytes, offset: int, delta: int) -> bytes:
    """data with the u32 at `offset` changed by delta (mod 2**32)."""
    value = (U32.unpack_from(data, offset)[0] + delta) % (1 << 32)
    return _splice(data, offset, offset + 4, U32.pack(value))


class Mutator:
    """Makes new inputs from corpus entries, drawing every choice from `rng`."""

    def __init__(self, rng: random.Random, dictionary: Dictionary, max_size: int = MAX_SIZE) -> None:
        self.rng = rng
        self.dictionary = dictionary
        self.max_size = max_size
        # Criteria are edited five times as often as the rest (there are many more of them).
        self._structured = [self.edit_criteria] * 5 + [self.change_field_count, self.change_template_type,
                                                       self.change_instances]
        self._criterion_edits = [self._flipped, self._flipped, self._rekinded, self._revalued, self._revalued]

    def mutate(self, data: bytes, spans: Spans | None) -> bytes:
        """A new input: a format-aware mutation (up to three criteria edited at once), or
        sometimes a lying count or havoc instead."""
        rng = self.rng
        roll = rng.random()
        if spans is None or roll < HAVOC:
            out = self.havoc(data)
        elif roll < HAVOC + LYING_COUNT:
            out = self.lying_count(data, spans)
        else:
            operation = rng.choice(self._structured)
            if operation is self.edit_criteria:
                out = self.edit_criteria(data, spans, 1 + (rng.random() < 0.25) + (rng.random() < 0.1))
            else:
                out = operation(data, spans)
        out = fix_up(out)
        return out if len(out) <= self.max_size else data

    # --- values -----------------------------------------------------------------------

    def string_value(self) -> bytes:
        """A dictionary string, sometimes only a prefix of one, sometimes with a byte changed."""
        rng = self.rng
        value = rng.choice(self.dictionary.strings)
        roll = rng.random()
        if roll < 0.25 and len(value) > 1:
            value = value[:1 + rng.randrange(len(value) - 1)]
        elif roll < 0.35:
            position = rng.randrange(len(value))
            value = value[:position] + bytes([rng.randrange(1, 256)]) + value[position + 1:]
        return value

    def integer_value(self) -> int:
        """A dictionary integer, sometimes off by one."""
        value = self.rng.choice(self.dictionary.integers) + self.rng.choice((0, 0, 0, 1, -1))
        return value % (1 << 64)

    def literal(self, kind: int) -> bytes:
        """The bytes of a criterion of `kind` with a value from the dictionary."""
        if kind == KIND_WILDCARD:
            return WILDCARD
        if kind == KIND_INT_EQUALS:
            return CRITERION_HEAD.pack(kind, 0, 8) + struct.pack("<Q", self.integer_value())
        value = self.string_value()
        return CRITERION_HEAD.pack(kind, 0, len(value)) + value

    def kind_for(self, template: int, index: int) -> int:
        """A literal kind for field `index`: usually one its declared type allows, sometimes any."""
        ttype = template_type(template)
        field = ttype.field(index) if ttype else None
        if field is None or self.rng.random() < 0.15:
            return self.rng.choice(KINDS[1:])
        if field.is_string:
            return self.rng.choice((KIND_STRING_EQUALS, KIND_STRING_PREFIX))
        return KIND_INT_EQUALS

    # --- format-aware mutations (bytes, spans -> bytes) -------------------------------------

    def edit_criteria(self, data: bytes, spans: Spans, count: int = 1) -> bytes:
        """Up to `count` different criteria each get a wildcard <-> literal flip, a new kind or a
        new value; the edits are made back to front, so the spans stay right for the ones before."""
        starts = {}
        for _ in range(count):
            picked = self._pick_criterion(data, spans)
            if picked is not None:
                starts[picked[1]] = picked
        for index, start, end, kind in sorted(starts.values(), key=lambda pick: pick[1], reverse=True):
            edit = self.rng.choice(self._criterion_edits)
            data = _splice(data, start, end, edit(spans.template_type, index, kind))
        return data

    def flip_wildcard(self, data: bytes, spans: Spans) -> bytes:
        """One criterion: a wildcard becomes a literal of a suitable kind, or a literal a wildcard."""
        return self._edit_one(data, spans, self._flipped)

    def change_kind(self, data: bytes, spans: Spans) -> bytes:
        """One criterion gets another kind (and a value that suits that kind)."""
        return self._edit_one(data, spans, self._rekinded)

    def change_value(self, data: bytes, spans: Spans) -> bytes:
        """One literal gets another value (a wildcard becomes a suitable literal)."""
        return self._edit_one(data, spans, self._revalued)

    def _edit_one(self, data: bytes, spans: Spans, edit) -> bytes:
        """Apply one criterion edit to a criterion picked at random."""
        picked = self._pick_criterion(data, spans)
        if picked is None:
            return data
        index, start, end, kind = picked
        return _splice(data, start, end, edit(spans.template_type, index, kind))

    def _pick_criterion(self, data: bytes, spans: Spans) -> tuple[int, int, int, int] | None:
        """A criterion at random: (its position in its instance, start, end, kind), or None if there is none."""
        instances = [instance for instance in spans.instances if instance.criteria]
        if not instances:
            return None
        criteria = self.rng.choice(instances).criteria
        index = self.rng.randrange(len(criteria))
        start = criteria[index]
        return index, start, criterion_end(data, start), criterion_kind(data, start)

    def _flipped(self, template: int, index: int, kind: int) -> bytes:
        """The bytes of the criterion flipped between wildcard and literal."""
        return self.literal(self.kind_for(template, index)) if kind == KIND_WILDCARD else WILDCARD

    def _rekinded(self, template: int, index: int, kind: int) -> bytes:
        """The bytes of a criterion of another kind."""
        return self.literal(self.rng.choice([k for k in KINDS if k != kind]))

    def _revalued(self, template: int, index: int, kind: int) -> bytes:
        """The bytes of the criterion with a new value (of a suitable kind, for a wildcard)."""
        return self.literal(kind if kind in KINDS[1:] else self.kind_for(template, index))

    def change_field_count(self, data: bytes, spans: Spans) -> bytes:
        """Add or remove a criterion: in one instance, or in every instance and the header."""
        rng = self.rng
        if not spans.instances:
            return data
        grow = rng.random() < 0.5
        everywhere = rng.random() < 0.5
        chosen = spans.instances if everywhere else (rng.choice(spans.instances),)
        out = data
        for instance in sorted(chosen, key=lambda s: s.start, reverse=True):   # back to front: offsets hold
            changed = self._grow(out, instance, spans.template_type) if grow else self._shrink(out, instance)
            if changed is None:
                return data
            out = changed
        if everywhere:
            out = _add_to_u16(out, FIELD_COUNT_AT, 1 if grow else -1) or data
        return out

    def _grow(self, data: bytes, instance: InstanceSpan, template: int) -> bytes | None:
        """One more criterion at the end of `instance` (a wildcard or a literal)."""
        new = WILDCARD if self.rng.random() < 0.5 else self.literal(self.kind_for(template, len(instance.criteria)))
        counted = _add_to_u16(data, instance.start + CRITERIA_COUNT_AT, 1)
        return None if counted is None else _splice(counted, instance.end, instance.end, new)

    def _shrink(self, data: bytes, instance: InstanceSpan) -> bytes | None:
        """One criterion of `instance` fewer."""
        if not instance.criteria:
            return None
        start = self.rng.choice(instance.criteria)
        counted = _add_to_u16(data, instance.start + CRITERIA_COUNT_AT, -1)
        return None if counted is None else _splice(counted, start, criterion_end(data, start), b"")

    def change_template_type(self, data: bytes, spans: Spans) -> bytes:
        """The header names another template type (known ones mostly, sometimes an unknown one)."""
        choices = [number for number in TEMPLATE_TYPES if number != spans.template_type] + [0, 3]
        return _splice(data, TEMPLATE_TYPE_AT, TEMPLATE_TYPE_AT + 2, U16.pack(self.rng.choice(choices)))

    def change_instances(self, data: bytes, spans: Spans) -> bytes:
        """Duplicate an instance under a new id, remove one, or flip one's action."""
        rng = self.rng
        if not spans.instances:
            return data
        instance = rng.choice(spans.instances)
        roll = rng.random()
        if roll < 0.4:
            new_id = (max(s.instance_id for s in spans.instances) + 1) % (1 << 32)
            copy = U32.pack(new_id) + data[instance.start + 4:instance.end]
            at = rng.choice([s.start for s in spans.instances] + [len(data)])
            return _add_to_u32(_splice(data, at, at, copy), INSTANCE_COUNT_AT, 1)
        if roll < 0.7 and len(spans.instances) > 1:
            return _add_to_u32(_splice(data, instance.start, instance.end, b""), INSTANCE_COUNT_AT, -1)
        action = 0 if data[instance.start + ACTION_AT] == ACTION_DENY else ACTION_DENY
        at = instance.start + ACTION_AT
        return _splice(data, at, at + 1, bytes([action]))

    # --- byte-level mutations ---------------------------------------------------------------

    def lying_count(self, data: bytes, spans: Spans | None) -> bytes:
        """One count or length says something the body does not hold."""
        rng = self.rng
        if len(data) < HEADER_SIZE:
            return data
        targets = [(FIELD_COUNT_AT, 2), (INSTANCE_COUNT_AT, 4)]
        for instance in (spans.instances if spans else ()):
            targets.append((instance.start + CRITERIA_COUNT_AT, 2))
            targets += [(start + LENGTH_AT, 2) for start in instance.criteria]
        offset, width = rng.choice(targets)
        value = rng.choice(INTERESTING_WORDS) if rng.random() < 0.7 else rng.randrange(1 << (8 * width))
        return _splice(data, offset, offset + width, value.to_bytes(width, "little"))

    def havoc(self, data: bytes) -> bytes:
        """2-16 random byte edits anywhere past the magic and format version."""
        rng = self.rng
        out = bytearray(data)
        for _ in range(1 << rng.randrange(1, 5)):
            if len(out) <= 8:
                out += bytes(rng.randrange(256) for _ in range(8))
            position = rng.randrange(6, len(out))   # a broken magic is only ever refused: keep it
            operation = rng.randrange(6)
            if operation == 0:
                out[position] ^= 1 << rng.randrange(8)
            elif operation == 1:
                out[position] = rng.randrange(256)
            elif operation == 2:
                out[position] = rng.choice(INTERESTING_BYTES)
            elif operation == 3 and position + 2 <= len(out):
                out[position:position + 2] = U16.pack(rng.choice(INTERESTING_WORDS))
            elif operation == 4:
                out[position:position] = bytes(rng.randrange(256) for _ in range(1 + rng.randrange(8)))
            elif len(out) > HEADER_SIZE + 1:
                del out[position:position + 1 + rng.randrange(8)]
        return bytes(out)
