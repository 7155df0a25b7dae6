"""A scripted `simpleos debug` session on the Channel File 291 bootloop machine.

The script (golden/cf291_session.sdb) stops at the fault with
--break-on-fault, reads the inputs array, goes back in time to the load of
inputs[20], and lets the kernel bugcheck. The transcript is deterministic,
so it is kept as a golden file. When the boot or the debugger's output
legitimately changes, look at the new transcript and regenerate it with
    SIMPLEOS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/debug/test_debug_session.py
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from sourcegolden import assert_matches_golden

from simpleos.cli import main
from simpleos.resources import channel_files_dir

GOLDEN_DIR = Path(__file__).parent / "golden"
SCRIPT = GOLDEN_DIR / "cf291_session.sdb"
GOLDEN = GOLDEN_DIR / "cf291_session.txt"
BAD_FILE = channel_files_dir() / "C-00000291-bad.sys"


def debug_transcript(machine: Path, capsys, *extra: str) -> str:
    """Run the golden script under `simpleos debug` on a fresh CF291 machine; the stdout."""
    capsys.readouterr()
    code = main(["debug", "--machine", str(machine), "--fresh", "--channel", str(BAD_FILE),
                 "--break-on-fault", "--script", str(SCRIPT), *extra])
    assert code == 0
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def transcript(tmp_path_factory) -> str:
    """The transcript, made once for the tests that only read it."""
    machine = tmp_path_factory.mktemp("cf291") / "machine"
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        code = main(["debug", "--machine", str(machine), "--fresh", "--channel", str(BAD_FILE),
                     "--break-on-fault", "--script", str(SCRIPT)])
    assert code == 0
    return stream.getvalue()


def section(transcript: str, command: str) -> str:
    """The output of one command of the script (up to the next prompt)."""
    start = transcript.index(f"(sdb) {command}\n") + len(f"(sdb) {command}\n")
    end = transcript.find("(sdb) ", start)
    return transcript[start:end if end >= 0 else None]


def test_break_on_fault_stops_in_the_sensor_at_compare_string(transcript):
    stop = section(transcript, "continue")
    assert "fault held before the kernel sees it (signal 11)" in stop
    assert "#PF (page fault) rip 0xffffffff800042d2 addr 0xffff840500000374" in stop
    assert "<sensor.sys!compare_string+0xa>:\tmovzx eax, byte ptr [rdi + rcx]" in stop
    assert "STOP" not in stop, "held: the kernel has not bugchecked yet"


def test_bt_shows_the_interpreters_call_chain(transcript):
    frames = [line.split(" in ")[1].split()[0] for line in section(transcript, "bt").splitlines()]
    names = [frame.split("!")[1].split("+")[0] for frame in frames]
    assert names == ["compare_string", "match_instance", "interpret", "sensor_event_loop"]


def test_the_inputs_array_holds_20_inputs_and_the_slot_past_it_is_the_event_handle(transcript):
    lines = section(transcript, "x/21gx ipc_context").splitlines()
    words = [word for line in lines for word in line.split("\t")[1:]]
    assert len(words) == 21
    assert lines[0].startswith("0xffffffff80005230 <sensor.sys!ipc_context>:")
    assert lines[-1].startswith("0xffffffff800052d0 <sensor.sys!ipc_event_handle>:")
    assert words[20] == "0xffff840500000374", "inputs[20] is the handle the fault reads"
    assert section(transcript, "x/1gx current_criterion").strip().endswith("0x0000000000000014")


def test_explain_says_where_the_pointer_came_from(transcript):
    text = section(transcript, "explain")
    assert "kernel read of 1 byte at 0xffff840500000374 by sensor.sys!compare_string+0xa" in text
    assert "page not present" in text
    assert "inputs[20], one past the 20-entry array at 0xffffffff80005230 (ipc_context)" in text
    assert "event handle stored after the array" in text


def test_reverse_stepi_reaches_the_load_of_inputs_20(transcript):
    back = section(transcript, "reverse-stepi 12")
    assert "[position 2744]" in back
    assert "sensor.sys!match_instance+0x3c>:\tmov r9, qword ptr [r14 + rcx*8]" in back
    assert section(transcript, "p $rcx").startswith("0x14  20")
    assert "<sensor.sys!ipc_event_handle>" in section(transcript, "p $r14+$rcx*8")
    before, after = transcript.split("(sdb) stepi\n")
    assert "0xffff840500000374" not in section(before + "(sdb) ", "info registers r9")
    assert "r9       0xffff840500000374" in section("(sdb) stepi\n" + after, "info registers r9")


def test_reverse_continue_goes_back_to_the_last_match_instance(transcript):
    text = section(transcript, "reverse-continue")
    assert text.startswith("[position 2485] breakpoint 1, 0xffffffff80004256 <sensor.sys!match_instance>")


def test_continuing_delivers_the_fault_and_the_kernel_bugchecks(transcript):
    tail = transcript.split("(sdb) context\n")[1]
    assert "the machine bugchecked" in tail
    assert "PAGE_FAULT_IN_NONPAGED_AREA" in tail and "(sensor.sys!compare_string+0xa)" in tail


def test_the_transcript_matches_the_golden_file(transcript):
    assert_matches_golden(transcript, GOLDEN,
                          "the debugger transcript changed; if intended, regenerate it (see this file's docstring)")


def test_the_transcript_is_deterministic(tmp_path, capsys, transcript):
    assert debug_transcript(tmp_path / "again", capsys) == transcript


def test_debugging_does_not_change_the_machines_disk(tmp_path, capsys):
    machine = tmp_path / "machine"
    debug_transcript(machine, capsys)
    before = (machine / "disk.img").read_bytes()
    capsys.readouterr()
    assert main(["debug", "--machine", str(machine), "--script", str(SCRIPT)]) == 0
    assert (machine / "disk.img").read_bytes() == before
    assert not (machine / "dumps").exists()
