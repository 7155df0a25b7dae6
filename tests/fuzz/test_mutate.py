"""The mutators: format-aware edits keep files well-formed, every output's checksum is right,
and the same random seed gives the same mutations."""
from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simpleos.channel import ChannelFormatError, parse, template_validate
from simpleos.fuzz.mutate import MAX_SIZE, Mutator, fix_up
from simpleos.fuzz.spans import spans_of
from simpleos.fuzz.workload import boot_workload, dictionary_of

from pathlib import Path

import paths

GOOD = Path(paths.GOOD)
PROCESS = Path(paths.PROCESS)

SEEDS = [GOOD.read_bytes(), PROCESS.read_bytes()]


def mutator(seed: int) -> Mutator:
    return Mutator(random.Random(seed), dictionary_of(boot_workload()))


def test_the_dictionary_holds_what_the_sensor_sees():
    dictionary = dictionary_of(boot_workload())
    assert rb"\\.\pipe\spoolss" in dictionary.strings and rb"\\.\pipe\MSSE-5645-server" in dictionary.strings
    assert b"/bin/beacon" in dictionary.strings and 16384 in dictionary.integers


@pytest.mark.parametrize("operation", ["flip_wildcard", "change_kind", "change_value", "change_field_count",
                                       "change_template_type", "change_instances"])
def test_each_format_aware_mutation_keeps_the_structure_walkable(operation):
    for seed in range(40):
        m = mutator(seed)
        for data in SEEDS:
            out = fix_up(getattr(m, operation)(data, spans_of(data)))
            assert spans_of(out) is not None, (operation, seed)
            try:
                parse(out)
            except ChannelFormatError as reason:           # kinds and counts may be wrong, never the CRC
                assert "CRC" not in str(reason) and "body_size" not in str(reason), reason


def test_wildcard_to_literal_and_back():
    data = GOOD.read_bytes()
    seen_literal = seen_wildcard = False
    for seed in range(60):
        before = parse(data)
        after = parse(fix_up(mutator(seed).flip_wildcard(data, spans_of(data))))
        for old, new in zip(before.instances, after.instances):
            for a, b in zip(old.criteria, new.criteria):
                seen_literal |= a.is_wildcard and not b.is_wildcard
                seen_wildcard |= not a.is_wildcard and b.is_wildcard
    assert seen_literal and seen_wildcard


def test_type_aware_literals_usually_pass_template_validation():
    data = GOOD.read_bytes()
    valid = sum(not template_validate(parse(fix_up(mutator(seed).flip_wildcard(data, spans_of(data)))))
                for seed in range(100))
    assert valid >= 70            # a kind that suits the field, most of the time (15 % any kind)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(SEEDS))
def test_every_mutant_has_a_correct_checksum_and_a_bounded_size(seed, data):
    out = mutator(seed).mutate(data, spans_of(data))
    assert len(out) <= MAX_SIZE and out[:6] == data[:6]
    try:
        parse(out)
    except ChannelFormatError as reason:
        assert "CRC" not in str(reason) and "body_size" not in str(reason), reason


def test_havoc_and_lying_counts_break_the_content_not_the_checksum():
    data = GOOD.read_bytes()
    for seed in range(50):
        m = mutator(seed)
        for out in (fix_up(m.havoc(data)), fix_up(m.lying_count(data, spans_of(data)))):
            body = out[40:]
            assert int.from_bytes(out[20:24], "little") == len(body)
            assert int.from_bytes(out[24:28], "little") == zlib.crc32(body)


def test_the_same_seed_gives_the_same_mutants():
    data = GOOD.read_bytes()
    a, b, c = mutator(7), mutator(7), mutator(8)
    series = [a.mutate(data, spans_of(data)) for _ in range(50)]
    assert series == [b.mutate(data, spans_of(data)) for _ in range(50)]
    assert series != [c.mutate(data, spans_of(data)) for _ in range(50)]
