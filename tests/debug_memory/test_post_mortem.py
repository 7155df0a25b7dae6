"""`simpleos debug --dump DUMP`: yesterday's crash, opened read-only, agrees with the live machine at the fault.

The dump of a normal boot with the bad channel file is opened with a script: its trap
frame, `bt`, `x` and `telescope` must give the values a live session shows at the held
fault (same registers, same stack, same inputs), an address it did not capture is one
line, running is refused in one line, and the transcript is kept as a golden file
(regenerate: SIMPLEOS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/debug_memory/test_post_mortem.py).
Damaged memory chunks are one-line errors; the dump stays kilobytes.
"""
from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simpleos.debug.analyze import load_dump
from simpleos.debug.backtrace import backtrace
from simpleos.debug.commands import Debugger
from simpleos.debug.dumptarget import CANNOT_RUN, DumpTarget
from simpleos.debug.output import Output
from simpleos.errors import BadInput
from cliutil import run_cli

GOLDEN = Path(__file__).parent / "golden"
SCRIPT = GOLDEN / "cf291_dump.sdb"
MAX_DUMP_BYTES = 16 * 1024            # kilobytes, not the 64 MiB of RAM


def session_output(target, *commands: str) -> str:
    stream = io.StringIO()
    debugger = Debugger(target, Output(stream, colour=False))
    for command in commands:
        debugger.execute(command)
    return stream.getvalue()


@pytest.fixture(scope="module")
def dump_target(cf291_dump) -> DumpTarget:
    return DumpTarget(load_dump(cf291_dump), str(cf291_dump))


def test_the_dump_stays_in_kilobytes_and_keeps_what_a_post_mortem_needs(cf291_dump, dump_target):
    assert cf291_dump.stat().st_size < MAX_DUMP_BYTES
    for symbol in ("compare_string", "ipc_context", "ipc_event_handle", "content_area"):
        dump_target.read_memory(dump_target.lookup(symbol), 8)       # text, data, inputs, content: captured
    dump_target.read_memory(dump_target.registers()["rsp"], 8)


def test_bt_is_the_live_backtrace_at_the_held_fault(held_fault, dump_target):
    live = [(f.address, f.slot, f.symbol) for f in backtrace(held_fault)]
    dead = [(f.address, f.slot, f.symbol) for f in backtrace(dump_target)]
    assert dead == live and len(live) >= 4
    # A dump keeps no images, so no line tables and no unwind rules: its frames name no
    # file:line and are found by scanning the stack; otherwise bt reads the same.
    live_bt = re.sub(r" at [\w./-]+:\d+", "", session_output(held_fault, "bt"))
    assert session_output(dump_target, "bt").replace("  [found by scanning the stack]", "") == live_bt


@pytest.mark.parametrize("command", ["x/21gx ipc_context", "x/8gx $rsp", "x/3i $rip", "x/s $rsi",
                                     "x/1gx current_criterion", "info registers rip rsp rdi r14 r15",
                                     "info symbol $rip", "telescope ipc_context+8*18 3", "p $r14+$r15*8"])
def test_x_and_friends_give_the_live_values(held_fault, dump_target, command):
    assert session_output(dump_target, command) == session_output(held_fault, command)


def test_cr2_in_the_dump_is_the_fault_address(dump_target, held_fault):
    assert dump_target.registers()["cr2"] == held_fault.last_stop.trap.address


def test_memory_the_dump_did_not_capture_is_one_line(dump_target):
    out = session_output(dump_target, "x/gx 0x1000", "x/gx $rdi")
    lines = out.splitlines()
    assert lines == [
        "error: cannot access memory at 0x1000: not in the crash dump (the dump keeps the faulting module, "
        "the stack around RSP, the sensor's inputs and content)",
        "error: cannot access memory at 0xffff840500000374: not in the crash dump (the dump keeps the faulting "
        "module, the stack around RSP, the sensor's inputs and content)"]


@pytest.mark.parametrize("command", ["stepi", "si 3", "nexti", "continue", "c", "finish", "reverse-stepi",
                                     "reverse-continue", "break match_instance", "delete"])
def test_running_is_refused_in_one_line(dump_target, command):
    assert session_output(dump_target, command) == f"error: {CANNOT_RUN}\n"


def test_changing_it_and_what_it_lacks_are_refused_in_one_line(dump_target):
    out = session_output(dump_target, "set $rax = 1", "page $rdi", "info gdt").splitlines()
    assert out == ["error: a crash dump is read-only: it is a picture of one moment",
                   "error: a crash dump has no page tables (vmmap lists the ranges it recorded)",
                   "error: a crash dump has no GDT"]


def test_the_transcript_matches_the_golden_file(cf291_dump, capsys):
    code, out, err = run_cli(capsys, "debug", "--dump", str(cf291_dump), "--script", str(SCRIPT))
    assert (code, err) == (0, "")
    out = out.replace(str(cf291_dump), "DUMP")
    golden = GOLDEN / "cf291_dump.txt"
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        golden.write_text(out)
    assert out == golden.read_text()


def test_commands_come_from_stdin_too(cf291_dump):
    result = subprocess.run([sys.executable, "-m", "simpleos", "debug", "--dump", str(cf291_dump)],
                            input="bt\nanalyze\nstepi\n", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    assert "(sdb) bt\n#0  0x" in result.stdout and "Bugcheck Analysis" in result.stdout
    assert f"(sdb) stepi\nerror: {CANNOT_RUN}" in result.stdout


def test_dump_and_gdb_do_not_mix(cf291_dump, capsys):
    code, _, err = run_cli(capsys, "debug", "--dump", str(cf291_dump), "--gdb", "0")
    assert code == 2 and err.count("\n") == 1


def test_analyze_in_a_live_session_says_where_dumps_come_from(held_fault):
    assert session_output(held_fault, "analyze").startswith("error: analyze reads a crash dump: simpleos debug --dump")


@pytest.mark.parametrize("damage, expected", [
    (lambda d: d["memory"][0].update(zlib="AAAA"), "memory[0]: its zlib data does not decompress"),
    (lambda d: d["memory"][0].update(size=d["memory"][0]["size"] + 1), "memory[0]: it says"),
    (lambda d: d["memory"].append(dict(d["memory"][0])), "overlap"),
    (lambda d: d["memory"][0].update(zlib="not base64!"), "memory[0].zlib: a base64 string, not a string"),
    (lambda d: d["regions"][0].update(rights="rwx"), "regions[0]: start"),
    (lambda d: d["regions"][0].update(end=0), "regions[0]: start"),
])
def test_damaged_memory_in_a_dump_is_a_one_line_error(tmp_path, cf291_dump, capsys, damage, expected):
    document = json.loads(cf291_dump.read_text())
    damage(document)
    path = tmp_path / "CRASH-0001.dmp"
    path.write_text(json.dumps(document))
    for argv in (["debug", "--dump", str(path)], ["analyze", str(path)]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 1 and out == "" and err.count("\n") == 1 and expected in err, err


def test_an_old_dump_without_memory_still_opens(tmp_path, cf291_dump):
    document = json.loads(cf291_dump.read_text())
    for key in ("memory", "regions"):
        document.pop(key)
    path = tmp_path / "old.dmp"
    path.write_text(json.dumps(document))
    target = DumpTarget(load_dump(path), str(path))
    assert session_output(target, "x/gx ipc_context").startswith("error: cannot access memory at ")
    assert "Bugcheck Analysis" in session_output(target, "analyze")


def test_a_hostile_chunk_cannot_inflate_past_its_size(tmp_path, cf291_dump):
    import base64
    import zlib
    document = copy.deepcopy(json.loads(cf291_dump.read_text()))
    document["memory"][0].update(size=4096, zlib=base64.b64encode(zlib.compress(bytes(64 << 20))).decode())
    with pytest.raises(BadInput, match="it says 4096 bytes but holds"):
        DumpTarget(document, "bomb.dmp")
