"""Channel file format: exact round trips, every malformed class rejected with its reason, fuzzing."""
from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channel_strategies import channel_files, refresh_header, sample_file, with_body
from simpleos.channel import ChannelFile, ChannelFormatError, Criterion, Instance, parse, serialize
from simpleos.channel.format import CRITERION_HEAD, HEADER_SIZE, INSTANCE_HEAD
from simpleos.errors import BadInput


@given(channel_files)
def test_serialize_then_parse_gives_the_same_file(cf):
    data = serialize(cf)
    assert parse(data) == cf
    assert serialize(parse(data)) == data


def test_serialize_is_deterministic_and_computes_size_and_crc():
    data = sample_file()
    assert data == sample_file()
    magic, version, channel, ttype, fields, count, content, body_size, crc = struct.unpack_from("<IHHHHIIII", data)
    assert (magic, version, channel, ttype, fields, count, content) == (0xAAAAAAAA, 1, 291, 2, 21, 2, 31)
    assert body_size == len(data) - HEADER_SIZE
    assert data[28:40] == bytes(12)


def test_criterion_layout_matches_the_spec():
    cf = ChannelFile(1, 1, 1, 1, (Instance(7, 1, (Criterion.integer(0x1122),)),))
    body = serialize(cf)[HEADER_SIZE:]
    assert body[:INSTANCE_HEAD.size] == struct.pack("<IBBH", 7, 1, 0, 1)
    assert body[INSTANCE_HEAD.size:INSTANCE_HEAD.size + CRITERION_HEAD.size] == struct.pack("<BBH", 3, 0, 8)
    assert body[-8:] == (0x1122).to_bytes(8, "little")


def test_format_error_is_bad_input():
    assert issubclass(ChannelFormatError, BadInput)


def criterion_bytes(kind: int, value: bytes, length: int | None = None, reserved: int = 0) -> bytes:
    """One raw criterion."""
    return struct.pack("<BBH", kind, reserved, len(value) if length is None else length) + value


def instance_bytes(criteria: list[bytes], count: int | None = None, action: int = 0, reserved: int = 0) -> bytes:
    """One raw instance with id 291003."""
    return struct.pack("<IBBH", 291003, action, reserved, len(criteria) if count is None else count) + b"".join(criteria)


GOOD_CRITERION = criterion_bytes(0, b"")

MALFORMED = {
    "empty": (b"", "file is empty"),
    "zeros": (bytes(4096), "file is all zero bytes (like the zero-filled C-00000291 files seen in 2024)"),
    "a few zeros": (bytes(7), "all zero bytes"),
    "short header": (b"\xaa\xaa\xaa\xaa\x01\x00", "shorter than the 40-byte header"),
    "bad magic": (b"MZ\x90\x00" + bytes(36), "bad magic 0x00905a4d"),
    "version 2": (with_body({"version": 2}, b""), "unsupported format version 2"),
    "reserved header": (with_body({"reserved": b"\x01" + bytes(11)}, b""), "reserved bytes"),
    "body_size too big": (with_body({"body_size": 99}, b""), "header body_size is 99 but the file has 0 bytes"),
    "body_size too small": (with_body({"body_size": 1, "instance_count": 0}, b"xy"), "body_size is 1"),
    "bad crc": (with_body({"crc": 0x1234}, b""), "bad body CRC32: header says 0x00001234"),
    "instance_count too big": (with_body({"instance_count": 2}, instance_bytes([])),
                               "instance_count is 2 but instance #2"),
    "criteria_count too big": (with_body({}, instance_bytes([GOOD_CRITERION], count=2)),
                               "criteria_count is 2 but criterion at index 1 runs past the end"),
    "value past the end": (with_body({}, instance_bytes([criterion_bytes(1, b"abc", length=10)])),
                           "value of 10 bytes runs past the end of the body"),
    "trailing garbage": (with_body({}, instance_bytes([GOOD_CRITERION]) + b"junk"), "4 bytes of trailing garbage"),
    "unknown kind": (with_body({}, instance_bytes([criterion_bytes(9, b"")])), "has unknown kind 9"),
    "short integer": (with_body({}, instance_bytes([criterion_bytes(3, b"\x01\x02\x03")])),
                      "integer criterion with length 3 (must be 8)"),
    "long integer": (with_body({}, instance_bytes([criterion_bytes(3, bytes(9))])), "with length 9 (must be 8)"),
    "wildcard with a value": (with_body({}, instance_bytes([criterion_bytes(0, b"x")])), "wildcard with length 1"),
    "NUL in a string": (with_body({}, instance_bytes([criterion_bytes(1, b"a\0b")])), "contains a NUL byte"),
    "unknown action": (with_body({}, instance_bytes([], action=5)), "unknown action 5"),
    "reserved instance byte": (with_body({}, instance_bytes([], reserved=1)), "reserved byte is 1"),
    "reserved criterion byte": (with_body({}, instance_bytes([criterion_bytes(0, b"", reserved=2)])),
                                "reserved byte is 2"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_each_malformed_class_is_rejected_with_its_reason(case):
    data, reason = MALFORMED[case]
    with pytest.raises(ChannelFormatError) as error:
        parse(data)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)


def test_the_hand_built_body_is_valid_when_not_broken():
    cf = parse(with_body({}, instance_bytes([criterion_bytes(1, b"abc"), criterion_bytes(3, bytes(8))])))
    assert cf.instances[0].criteria == (Criterion.equals("abc"), Criterion.integer(0))


def test_values_that_do_not_fit_are_refused_on_serialize():
    with pytest.raises(ChannelFormatError, match="channel 70000 does not fit"):
        serialize(ChannelFile(70000, 2, 21, 1))


def parse_or_reject(data: bytes) -> None:
    """parse must return a ChannelFile or raise ChannelFormatError; an accepted file must round-trip."""
    try:
        cf = parse(data)
    except ChannelFormatError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert serialize(cf) == data


@settings(max_examples=500)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise_anything_else(data):
    parse_or_reject(data)


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_random_bodies_behind_a_valid_header_never_raise_anything_else(body):
    parse_or_reject(with_body({"instance_count": body[0] if body else 0}, body))


mutations = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(mutations, st.booleans(), st.integers(0, 100))
def test_mutated_valid_files_never_raise_anything_else(changes, fix_crc, cut):
    data = bytearray(sample_file())
    for position, byte in changes:
        data[position % len(data)] = byte
    data = bytes(data[:len(data) - cut])
    parse_or_reject(refresh_header(data) if fix_crc and len(data) >= HEADER_SIZE else data)
