"""The two validators: CF291's bad file passes the template check and fails the ABI check."""
from __future__ import annotations


import pytest

from simpleos.channel import (IPC, ChannelFile, Criterion, Instance, abi_validate, load_channel_file,
                              template_validate)
from paths import CHANNEL_FILES


def ipc_file(*instances: Instance, field_count: int = 21) -> ChannelFile:
    """An IPC file around these instances."""
    return ChannelFile(291, IPC.number, field_count, 1, instances)


def criteria(**by_index) -> tuple[Criterion, ...]:
    """21 IPC criteria: wildcards except those given as i<index>=Criterion."""
    return tuple(by_index.get(f"i{i}", Criterion.wildcard()) for i in range(21))


def test_good_file_passes_both():
    cf = load_channel_file(CHANNEL_FILES / "C-00000291-good.sys")
    assert template_validate(cf) == [] and abi_validate(cf) == []


def test_process_file_passes_both():
    cf = load_channel_file(CHANNEL_FILES / "C-00000292-process.sys")
    assert template_validate(cf) == [] and abi_validate(cf) == []


def test_bad_file_passes_template_and_fails_abi():
    cf = load_channel_file(CHANNEL_FILES / "C-00000291-bad.sys")
    assert template_validate(cf) == []
    assert abi_validate(cf) == ["instance 291003: criterion on field 21 (index 20) reads input #21 "
                                "but the sensor supplies 20 inputs"]


def test_a_wildcard_on_field_21_is_harmless():
    assert abi_validate(ipc_file(Instance(1, 0, criteria(i0=Criterion.equals("x"))))) == []


def test_integer_criterion_on_field_21_fails_abi_too():
    cf = ipc_file(Instance(9, 0, criteria(i20=Criterion.integer(1))))
    assert any("reads input #21" in p for p in abi_validate(cf))


@pytest.mark.parametrize("cf, reason", [
    (ChannelFile(291, 7, 21, 1), "unknown template type 7 (known: 1 PROCESS, 2 IPC)"),
    (ipc_file(field_count=20), "header field_count is 20 but template type IPC declares 21 fields"),
    (ipc_file(Instance(1, 0, criteria()[:20])), "instance 1: criteria_count is 20 but the header's field_count is 21"),
    (ipc_file(Instance(1, 0, criteria()), Instance(1, 0, criteria())), "instance id 1 appears more than once"),
    (ipc_file(Instance(1, 4, criteria())), "instance 1: unknown action 4"),
    # lab-answer 8: begin (a student tree's validators lack this check until Lab 8 adds one)
    (ipc_file(Instance(1, 0, criteria(i2=Criterion.equals("42")))),
     "instance 1: criterion on field 3 (index 2, creator_pid) is a string equals criterion but creator_pid is an "
     "integer field"),
    (ipc_file(Instance(1, 0, criteria(i0=Criterion.integer(1)))),
     "criterion on field 1 (index 0, pipe_name) is an int criterion but pipe_name is a string field"),
    # lab-answer 8: end
    (ipc_file(Instance(1, 0, criteria(i0=Criterion(9)))), "has unknown kind 9"),
    (ipc_file(Instance(1, 0, criteria(i0=Criterion(0, b"x")))), "is a wildcard with a 1-byte value"),
    (ipc_file(Instance(1, 0, criteria(i2=Criterion(3, b"x")))), "integer criterion with length 1"),
    (ipc_file(Instance(1, 0, criteria(i0=Criterion(1, b"a\0")))), "NUL byte"),
    (ChannelFile(291, 2, 21, 1, format_version=3), "format version 3"),
])
def test_template_problems(cf, reason):
    problems = template_validate(cf)
    assert any(reason in p for p in problems), problems
    assert any(reason in p for p in abi_validate(cf))


def test_unknown_type_is_not_checked_against_an_abi():
    cf = ChannelFile(1, 7, 30, 1, (Instance(1, 0, (Criterion.equals("x"),) * 30),))
    assert abi_validate(cf) == template_validate(cf) == ["unknown template type 7 (known: 1 PROCESS, 2 IPC)"]
