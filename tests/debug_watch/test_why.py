"""`why` at a held fault: the chain for CF291 and for a second crash from another rule and field.

Both are golden transcripts of scripted `simpleos debug` sessions (golden/*.sdb -> *.txt). When
the boot or the debugger's output legitimately changes, look at the new transcripts and
regenerate them with
    SIMPLEOS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/debug_watch/test_why.py
The other tests check the facts in the chains against the machine, and the refusals.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from sourcegolden import assert_matches_golden
from watchfixtures import crash_dump
from paths import BAD
from simpleos.cli import main
from simpleos.debug.why import why_lines
from sourcegdb import line_of, sdb

GOLDEN_DIR = Path(__file__).parent / "golden"


def transcript(machine: Path, script: str, channel: str) -> str:
    """The stdout of `simpleos debug --break-on-fault --script golden/SCRIPT` on a fresh machine."""
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        code = main(["debug", "--machine", str(machine), "--fresh", "--channel", channel, "--break-on-fault",
                     "--script", str(GOLDEN_DIR / script)])
    assert code == 0
    return stream.getvalue()


def check_golden(text: str, name: str) -> None:
    assert_matches_golden(text, GOLDEN_DIR / name,
                          f"the `why` transcript changed; if intended, regenerate {name} (see above)")


def chain(text: str) -> list[str]:
    """The lines of the first `why` that ran at a fault."""
    start = text.index("why: walking back")
    return text[start:text.index("(sdb) ", start)].splitlines()


@pytest.fixture(scope="module")
def cf291(tmp_path_factory) -> str:
    return transcript(tmp_path_factory.mktemp("cf291") / "machine", "cf291_why.sdb", BAD)


@pytest.fixture(scope="module")
def pid(tmp_path_factory, pid_channel) -> str:
    return transcript(tmp_path_factory.mktemp("pid") / "machine", "pid_why.sdb", pid_channel)


def test_cf291_transcript_matches_the_golden(cf291):
    check_golden(cf291, "cf291_why.txt")


def test_second_crash_transcript_matches_the_golden(pid):
    check_golden(pid, "pid_why.txt")


def test_cf291_chain_runs_from_the_fault_to_the_store_to_the_rule(cf291):
    lines = chain(cf291)
    steps = [line for line in lines if line[:2] in ("1.", "2.", "3.", "4.")]
    assert [step[:2] for step in steps] == ["1.", "2.", "3.", "4."]
    assert steps[0].startswith("1. [position 2756] the faulting access: kernel read of 1 byte at "
                               "0xffff840500000374 (CR2 0xffff840500000374)")
    assert steps[1] == ("2. [position 2744] the pointer was loaded into r9 from ipc_context[20] = "
                        "0xffffffff800052d0 <sensor.sys!ipc_event_handle>")
    assert steps[2].startswith("3. [position 1808] that memory was written with 0xffff840500000374")
    assert steps[2].endswith("by sensor.sys!build_ipc_inputs")
    assert f"sensor.asm:{line_of('mov [rip + ipc_event_handle], rax')}\t" in "\n".join(lines)
    assert "rule 291003, criterion 21" in steps[3]
    assert lines[-1] == "   criterion 21 of rule 291003 asked for input 21; the sensor supplies 20"


def test_the_second_crash_has_its_own_chain(cf291, pid):
    lines = chain(pid)
    text = "\n".join(lines)
    assert "kernel read of 1 byte at 0x3 (CR2 0x3)" in text
    assert "from ipc_context[2] = 0xffffffff80005240 <sensor.sys!ipc_context+0x10>" in text
    assert "by sensor.sys!build_inputs\n" in text, "the generic store, not build_ipc_inputs's own"
    assert f"sensor.asm:{line_of('inputs[rcx] = the input')}\t" in text
    assert "rule 291077, criterion 3 (kind 'equals' on field 3: creator_pid, integer)" in text
    assert lines[-1] == ("   criterion 3 of rule 291077 asked for input 3 (creator_pid, an integer) with a string "
                         "test ('equals'): the number 0x3 was used as a pointer")
    assert set(lines[1:]) != set(chain(cf291)[1:])


def test_why_leaves_the_machine_where_it_was(cf291):
    after = cf291.split("(sdb) info registers rip\n")[1]
    assert after.startswith("rip      0xffffffff800042d2  sensor.sys!compare_string+0xa")
    assert "0xffffffff800052d0 <sensor.sys!ipc_event_handle>:\t0xffff840500000374" in after
    assert "the machine bugchecked" in after, "the fault is still held, and delivering it bugchecks"


def test_why_keeps_the_users_edits(cf291_fault):
    cf291_fault.write_memory(cf291_fault.lookup("verdict"), (7).to_bytes(8, "little"))
    edits = list(cf291_fault.edits)
    first = why_lines(cf291_fault)
    assert cf291_fault.edits == edits
    assert int.from_bytes(cf291_fault.read_memory(cf291_fault.lookup("verdict"), 8), "little") == 7
    assert why_lines(cf291_fault) == first


def test_why_without_a_held_fault_is_a_one_line_refusal(cf291):
    refusals = [line for line in cf291.splitlines() if line.startswith("error: why")]
    assert len(refusals) == 2, "before the fault, and after it was delivered"
    assert all("none is held here" in line for line in refusals)


def test_why_on_a_crash_dump_is_a_one_line_refusal(tmp_path):
    from simpleos.debug.dumptarget import DumpTarget
    from simpleos.debug.analyze import load_dump
    path = crash_dump(tmp_path / "machine", BAD)
    out = sdb(DumpTarget(load_dump(path), str(path)), ["why"])
    assert out.count("\n") == 1
    assert out.startswith("error: why runs the machine backwards, and a crash dump keeps no history")
