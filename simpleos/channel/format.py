"""Channel file format v1: bytes <-> ChannelFile (docs/channel-files.md).

`parse` turns bytes into a ChannelFile and rejects every malformed input with
a ChannelFormatError carrying a one-line reason; it must never raise anything
else, whatever the bytes. `serialize` is its exact inverse. This module only
checks the *format*; it must NOT judge content against a template type or the
sensor's ABI (that is validate.py) and must NOT know about the emulated machine.
"""
from __future__ import annotations

import struct
import zlib

from ..errors import BadInput
from ..record import dataclass

MAGIC = 0xAAAAAAAA
FORMAT_VERSION = 1

HEADER = struct.Struct("<IHHHHIIII12s")  # magic .. body_crc32, reserved
INSTANCE_HEAD = struct.Struct("<IBBH")  # instance_id, action, reserved, criteria_count
CRITERION_HEAD = struct.Struct("<BBH")  # kind, reserved, length
HEADER_SIZE = HEADER.size  # 40
INTEGER_LENGTH = 8

KIND_WILDCARD, KIND_STRING_EQUALS, KIND_STRING_PREFIX, KIND_INT_EQUALS = 0, 1, 2, 3
KIND_NAMES = {KIND_WILDCARD: "wildcard", KIND_STRING_EQUALS: "equals", KIND_STRING_PREFIX: "prefix", KIND_INT_EQUALS: "int"}
STRING_KINDS = (KIND_STRING_EQUALS, KIND_STRING_PREFIX)

ACTION_NOTIFY, ACTION_DENY = 0, 1
ACTION_NAMES = {ACTION_NOTIFY: "notify", ACTION_DENY: "deny"}

ZERO_FILE_REASON = "file is all zero bytes (like the zero-filled C-00000291 files seen in 2024)"


class ChannelFormatError(BadInput):
    """A byte string is not a well-formed channel file (one-line reason)."""


@dataclass(frozen=True)
class Criterion:
    """One criterion of an instance: a kind and its raw value bytes."""

    kind: int
    value: bytes = b""

    @classmethod
    def wildcard(cls) -> "Criterion":
        """Matches anything; the interpreter must not read the input."""
        return cls(KIND_WILDCARD)

    @classmethod
    def equals(cls, text: str | bytes) -> "Criterion":
        """The input string equals text."""
        return cls(KIND_STRING_EQUALS, _as_bytes(text))

    @classmethod
    def prefix(cls, text: str | bytes) -> "Criterion":
        """The input string starts with text."""
        return cls(KIND_STRING_PREFIX, _as_bytes(text))

    @classmethod
    def integer(cls, number: int) -> "Criterion":
        """The integer input equals number (a u64)."""
        return cls(KIND_INT_EQUALS, struct.pack("<Q", number))

    @property
    def is_wildcard(self) -> bool:
        """True for a wildcard: this criterion never reads its input."""
        return self.kind == KIND_WILDCARD

    @property
    def kind_name(self) -> str:
        """"wildcard", "equals", "prefix", "int", or "kind N" if unknown."""
        return KIND_NAMES.get(self.kind, f"kind {self.kind}")

    @property
    def int_value(self) -> int:
        """The u64 of an integer criterion (little-endian value bytes)."""
        return int.from_bytes(self.value, "little")


@dataclass(frozen=True)
class Instance:
    """A template instance (one detection rule): id, action and one criterion per field."""

    instance_id: int
    action: int
    criteria: tuple[Criterion, ...]

    @property
    def criteria_count(self) -> int:
        """How many criteria the instance carries (should equal the header's field_count)."""
        return len(self.criteria)

    @property
    def action_name(self) -> str:
        """"notify", "deny", or "action N" if unknown."""
        return ACTION_NAMES.get(self.action, f"action {self.action}")


@dataclass(frozen=True)
class ChannelFile:
    """A whole channel file; instance_count, body_size and crc32 are derived on serialize."""

    channel: int
    template_type: int
    field_count: int
    content_version: int
    instances: tuple[Instance, ...] = ()
    format_version: int = FORMAT_VERSION

    @property
    def instance_count(self) -> int:
        """Number of instances in the body."""
        return len(self.instances)


def _as_bytes(text: str | bytes) -> bytes:
    """UTF-8 encode a str; pass bytes through."""
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


# ---------------------------------------------------------------- serialize


def serialize_instance(instance: Instance) -> bytes:
    """The bytes of one instance: its head, then each criterion's head and value."""
    _check_fits(instance.instance_id, 32, f"instance id {instance.instance_id}")
    _check_fits(instance.action, 8, f"instance {instance.instance_id}: action {instance.action}")
    _check_fits(instance.criteria_count, 16, f"instance {instance.instance_id}: {instance.criteria_count} criteria")
    parts = [INSTANCE_HEAD.pack(instance.instance_id, instance.action, 0, instance.criteria_count)]
    for index, criterion in enumerate(instance.criteria):
        if not (isinstance(criterion.kind, int) and 0 <= criterion.kind < 1 << 8 and len(criterion.value) < 1 << 16):
            where = f"instance {instance.instance_id}: criterion at index {index}"
            _check_fits(criterion.kind, 8, f"{where}: kind {criterion.kind}")
            _check_fits(len(criterion.value), 16, f"{where}: value of {len(criterion.value)} bytes")
        parts.append(CRITERION_HEAD.pack(criterion.kind, 0, len(criterion.value)))
        parts.append(criterion.value)
    return b"".join(parts)


def serialize_body(instances: tuple[Instance, ...] | list[Instance]) -> bytes:
    """The body bytes: every instance and its criteria, back to back."""
    return b"".join(serialize_instance(instance) for instance in instances)


def serialize(cf: ChannelFile) -> bytes:
    """The file bytes of cf, with instance_count, body_size and body_crc32 computed."""
    return serialize_with_body(cf, serialize_body(cf.instances))


def serialize_with_body(cf: ChannelFile, body: bytes) -> bytes:
    """cf's header (counts, size and CRC computed for `body`) followed by `body`, which must be
    serialize_body(cf.instances) -- a caller that caches instance bytes passes them joined."""
    for name, bits in (("format_version", 16), ("channel", 16), ("template_type", 16), ("field_count", 16),
                       ("content_version", 32)):
        _check_fits(getattr(cf, name), bits, f"{name} {getattr(cf, name)}")
    _check_fits(cf.instance_count, 32, f"{cf.instance_count} instances")
    _check_fits(len(body), 32, f"a body of {len(body)} bytes")
    header = HEADER.pack(MAGIC, cf.format_version, cf.channel, cf.template_type, cf.field_count,
                         cf.instance_count, cf.content_version, len(body), zlib.crc32(body), bytes(12))
    return header + body


def _check_fits(value: int, bits: int, what: str) -> None:
    """Refuse a value that does not fit an unsigned field of this many bits."""
    if not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise ChannelFormatError(f"{what} does not fit in an unsigned {bits}-bit field")


# -------------------------------------------------------------------- parse


def parse(data: bytes) -> ChannelFile:
    """Parse a channel file; any malformed input raises ChannelFormatError with the reason."""
    data = bytes(data)
    header = _parse_header(data)
    magic, version, channel, ttype, field_count, instance_count, content_version, body_size, crc, reserved = header
    body = data[HEADER_SIZE:]
    if body_size != len(body):
        raise ChannelFormatError(f"header body_size is {body_size} but the file has {len(body)} bytes after "
                                 f"the {HEADER_SIZE}-byte header")
    actual_crc = zlib.crc32(body)
    if actual_crc != crc:
        raise ChannelFormatError(f"bad body CRC32: header says 0x{crc:08x}, body has 0x{actual_crc:08x}")
    instances = _parse_body(body, instance_count)
    return ChannelFile(channel=channel, template_type=ttype, field_count=field_count,
                       content_version=content_version, instances=instances, format_version=version)


def _parse_header(data: bytes) -> tuple:
    """Unpack and sanity-check the 40-byte header (magic, version, reserved)."""
    if not data:
        raise ChannelFormatError("file is empty (0 bytes)")
    if data.count(0) == len(data):
        raise ChannelFormatError(ZERO_FILE_REASON)
    if len(data) < HEADER_SIZE:
        raise ChannelFormatError(f"file is {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header")
    fields = HEADER.unpack_from(data)
    magic, version, reserved = fields[0], fields[1], fields[9]
    if magic != MAGIC:
        raise ChannelFormatError(f"bad magic 0x{magic:08x} (bytes {data[:4].hex(' ')}), expected 0x{MAGIC:08X}: "
                                 f"not a channel file")
    if version != FORMAT_VERSION:
        raise ChannelFormatError(f"unsupported format version {version} (this tool reads version {FORMAT_VERSION})")
    if reserved != bytes(12):
        raise ChannelFormatError("header reserved bytes 28..39 are not zero")
    return fields


def _parse_body(body: bytes, instance_count: int) -> tuple[Instance, ...]:
    """Walk instance_count instances through the body; nothing may run past it or trail it."""
    instances = []
    offset = 0
    for number in range(instance_count):
        if offset + INSTANCE_HEAD.size > len(body):
            raise ChannelFormatError(f"instance_count is {instance_count} but instance #{number + 1} would start "
                                     f"at body offset {offset}, past the end of the {len(body)}-byte body")
        instance_id, action, reserved, criteria_count = INSTANCE_HEAD.unpack_from(body, offset)
        if action not in ACTION_NAMES:
            raise ChannelFormatError(f"instance {instance_id}: unknown action {action} (0 notify, 1 deny)")
        if reserved:
            raise ChannelFormatError(f"instance {instance_id}: reserved byte is {reserved}, not 0")
        offset += INSTANCE_HEAD.size
        criteria = []
        for index in range(criteria_count):
            criterion, offset = _parse_criterion(body, offset, instance_id, index, criteria_count)
            criteria.append(criterion)
        instances.append(Instance(instance_id, action, tuple(criteria)))
    if offset != len(body):
        raise ChannelFormatError(f"{len(body) - offset} bytes of trailing garbage after the last instance "
                                 f"(body offset {offset})")
    return tuple(instances)


def _parse_criterion(body: bytes, offset: int, instance_id: int, index: int, count: int) -> tuple[Criterion, int]:
    """Parse one criterion at offset; return it and the offset just past it."""
    where = f"instance {instance_id}: criterion at index {index}"
    if offset + CRITERION_HEAD.size > len(body):
        raise ChannelFormatError(f"instance {instance_id}: criteria_count is {count} but criterion at index "
                                 f"{index} runs past the end of the body")
    kind, reserved, length = CRITERION_HEAD.unpack_from(body, offset)
    offset += CRITERION_HEAD.size
    if kind not in KIND_NAMES:
        raise ChannelFormatError(f"{where} has unknown kind {kind} (0 wildcard, 1 equals, 2 prefix, 3 int)")
    if reserved:
        raise ChannelFormatError(f"{where}: reserved byte is {reserved}, not 0")
    if offset + length > len(body):
        raise ChannelFormatError(f"{where}: value of {length} bytes runs past the end of the body")
    value = body[offset:offset + length]
    if kind == KIND_WILDCARD and length != 0:
        raise ChannelFormatError(f"{where} is a wildcard with length {length} (must be 0)")
    if kind == KIND_INT_EQUALS and length != INTEGER_LENGTH:
        raise ChannelFormatError(f"{where} is an integer criterion with length {length} (must be {INTEGER_LENGTH})")
    if kind in STRING_KINDS and 0 in value:
        raise ChannelFormatError(f"{where}: string value contains a NUL byte")
    return Criterion(kind, value), offset + length
