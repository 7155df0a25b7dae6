"""`analyze` derives its words from the dump: two crashes from different rules and fields read differently.

CF291 asks for input 21 of 20 (rule 291003, field 21: out of bounds). The second crash
(conftest.PID_RULE, rule 291077) puts a string test on field 3, creator_pid, an integer
the sensor does supply: the index is inside the array, so its report must not say "the
sensor supplies only 20 inputs" nor propose the bounds check, and must name the field, its
type and the template type. STACK_TEXT's RetAddr is the address each frame returns to.
"""
from __future__ import annotations

import re

import pytest

from simpleos.debug.analyze import analyze, load_dump


def report(path) -> str:
    return "\n".join(analyze(load_dump(path)))


def block(text: str, name: str) -> str:
    start = text.index(f"{name}:") + len(name) + 1
    end = text.find("\n\n", start)
    return text[start:end if end >= 0 else None]


def test_cf291_is_explained_as_input_21_of_20(cf291_dump):
    text = report(cf291_dump)
    explanation, fixes = block(text, "EXPLANATION"), block(text, "FIXES")
    assert "C-00000291-bad.sys is channel 291, template type IPC: 21 fields declared; the sensor supplies 20" \
        in explanation
    assert "rule 291003 tests field 21 (field_21, string) with a criterion of kind 'equals'" in explanation
    assert "the sensor supplies only 20 inputs" in explanation
    assert "test i < 20 (the inputs supplied) before reading inputs[i]" in fixes
    assert "rule 291003's criterion" in fixes and "needs 21 inputs; the IPC sensor supplies 20" in fixes
    assert 'rm /drivers/sensor/C-00000291-bad.sys' in fixes


def test_the_second_crash_names_its_own_rule_field_and_type(pid_dump):
    text = report(pid_dump)
    explanation, fixes = block(text, "EXPLANATION"), block(text, "FIXES")
    assert "kernel read of 1 byte at 0x3 by sensor.sys!compare_string+0xa" in explanation
    assert "rule 291077 tests field 3 (creator_pid, integer) with a criterion of kind 'equals'" in explanation
    assert "inside the array" in explanation
    assert "supplies only" not in text and "bounds check" not in fixes, "the index is inside the array"
    assert "a string test must read a string input" in fixes
    assert "field 3 (creator_pid) of IPC is" in fixes and "rule 291077 tests it with 'equals'" in fixes
    assert "C-00000291-pid.sys" in fixes and "C-00000291-bad.sys" not in text


@pytest.mark.parametrize("dump", ["cf291_dump", "pid_dump"])
def test_retaddr_is_where_each_frame_returns(request, dump):
    rows = block(report(request.getfixturevalue(dump)), "STACK_TEXT").splitlines()[2:]
    frames = [re.match(r"^(\S+)  (\S+|\(none found\)) +(\S+)$", row).groups() for row in rows]
    assert len(frames) >= 4 and frames[0][2].startswith("sensor.sys!compare_string")
    symbols = load_dump(request.getfixturevalue(dump))["modules"]
    sensor = next(m for m in symbols if m["name"] == "sensor.sys")["symbols"]
    for (_, returns_to, _), (_, _, caller) in zip(frames, frames[1:]):
        address = int(returns_to.replace("`", ""), 16)
        function, _, offset = caller.partition("!")[2].partition("+")
        assert address == sensor[function] + int(offset, 16), "RetAddr of a frame is its caller's call site"
    assert frames[-1][1] == "(none found)"
