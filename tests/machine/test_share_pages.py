"""machine/_pages.c: RAM as pages, sharing the previous copy's equal pages (checkpoints' RAM copies)."""
from __future__ import annotations

import ctypes

import pytest

from simpleos.machine._pages import share_pages

PAGE = 4096
ZERO = bytes(PAGE)


def _ram(*fills: int):
    """A ctypes buffer (what ramstate reads RAM into) of one page per fill byte."""
    return ctypes.create_string_buffer(b"".join(bytes([fill]) * PAGE for fill in fills), len(fills) * PAGE)


def test_pages_of_zeros_are_all_the_one_zero_object():
    pages, changed = share_pages(_ram(0, 7, 0), 3 * PAGE, (), PAGE, ZERO)
    assert pages[0] is ZERO and pages[2] is ZERO and pages[1] == b"\x07" * PAGE
    assert changed == [0, 1, 2]


def test_a_zero_page_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="zero must be page_size"):
        share_pages(_ram(1), PAGE, (), PAGE, bytes(16))


def test_with_nothing_before_every_page_is_new_and_changed():
    pages, changed = share_pages(_ram(1, 2, 3), 3 * PAGE, (), PAGE, ZERO)
    assert pages == (b"\x01" * PAGE, b"\x02" * PAGE, b"\x03" * PAGE)
    assert changed == [0, 1, 2]


def test_equal_pages_are_the_previous_objects_and_only_the_others_are_listed():
    old, _ = share_pages(_ram(1, 2, 3), 3 * PAGE, (), PAGE, ZERO)
    pages, changed = share_pages(_ram(1, 9, 3), 3 * PAGE, old, PAGE, ZERO)
    assert pages[0] is old[0] and pages[2] is old[2]
    assert pages[1] == b"\x09" * PAGE and pages[1] is not old[1]
    assert changed == [1]


def test_one_byte_differing_at_the_end_of_a_page_counts():
    old, _ = share_pages(_ram(0, 0), 2 * PAGE, (), PAGE, ZERO)
    ram = _ram(0, 0)
    ram[PAGE - 1] = b"\x01"
    pages, changed = share_pages(ram, 2 * PAGE, old, PAGE, ZERO)
    assert changed == [0] and pages[1] is old[1] and pages[0][-1] == 1


def test_ram_longer_than_the_previous_copy_gets_new_pages_for_the_rest():
    old, _ = share_pages(_ram(5), PAGE, (), PAGE, ZERO)
    pages, changed = share_pages(_ram(5, 5, 5), 3 * PAGE, old, PAGE, ZERO)
    assert pages[0] is old[0] and changed == [1, 2]


def test_only_length_bytes_are_covered():
    pages, _ = share_pages(_ram(1, 2, 3), 2 * PAGE, (), PAGE, ZERO)
    assert len(pages) == 2


@pytest.mark.parametrize("length", [PAGE + 1, 4 * PAGE, -PAGE])
def test_a_length_that_is_not_whole_pages_inside_the_buffer_is_refused(length):
    with pytest.raises(ValueError, match="multiple of page_size"):
        share_pages(_ram(1, 2, 3), length, (), PAGE, ZERO)
