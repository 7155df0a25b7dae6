"""Hypothesis strategies and byte-level helpers shared by the channel-file tests.

Test support only: it must NOT contain tests or reimplement the parser.
"""
from __future__ import annotations

import struct
import zlib

from hypothesis import strategies as st

from simpleos.channel import Criterion, ChannelFile, Instance, serialize
from simpleos.channel.format import HEADER_SIZE

U16, U32 = (1 << 16) - 1, (1 << 32) - 1
string_values = st.binary(max_size=40).filter(lambda b: 0 not in b)

criteria = st.one_of(
    st.just(Criterion.wildcard()),
    string_values.map(Criterion.equals),
    string_values.map(Criterion.prefix),
    st.integers(0, (1 << 64) - 1).map(Criterion.integer),
)

instances = st.builds(
    Instance,
    instance_id=st.integers(0, U32),
    action=st.sampled_from([0, 1]),
    criteria=st.lists(criteria, max_size=25).map(tuple),
)

channel_files = st.builds(
    ChannelFile,
    channel=st.integers(0, U16),
    template_type=st.integers(0, U16),
    field_count=st.integers(0, U16),
    content_version=st.integers(0, U32),
    instances=st.lists(instances, max_size=5).map(tuple),
)


def with_body(header_fields: dict, body: bytes) -> bytes:
    """A file with this body and a header whose body_size and CRC are right (other fields overridable)."""
    fields = dict(magic=0xAAAAAAAA, version=1, channel=291, template_type=2, field_count=21, instance_count=1,
                  content_version=1, body_size=len(body), crc=zlib.crc32(body), reserved=bytes(12))
    fields.update(header_fields)
    return struct.pack("<IHHHHIIII12s", *fields.values()) + body


def refresh_header(data: bytes) -> bytes:
    """Recompute body_size and CRC so a mutated body gets past the integrity checks."""
    body = data[HEADER_SIZE:]
    return data[:20] + struct.pack("<II", len(body), zlib.crc32(body)) + data[28:HEADER_SIZE] + body


def sample_file() -> bytes:
    """A small valid IPC file with every criterion kind."""
    criteria_ = [Criterion.wildcard()] * 21
    criteria_[0] = Criterion.prefix("\\\\.\\pipe\\MSSE-")
    criteria_[1] = Criterion.equals("C:\\beacon.exe")
    criteria_[2] = Criterion.integer(4242)
    return serialize(ChannelFile(291, 2, 21, 31, (Instance(291001, 1, tuple(criteria_)),
                                                  Instance(291002, 0, (Criterion.wildcard(),) * 21))))
