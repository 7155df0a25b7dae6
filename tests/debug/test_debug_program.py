"""`simpleos debug PROG`: a student's own program under the debugger (sdb and real gdb).

PROG starts as `simpleos run` starts it -- when the boot has gone idle, as a
ring-3 process -- and the session begins before its first instruction, with
its symbols: `break peek` means the program's peek and stops only the
program (every ring-3 program shares the same addresses). The scripted
session on a Lab 1 program is a golden transcript (regenerate it with
SIMPLEOS_UPDATE_GOLDEN=1 after looking at the change).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cliutil import run_cli

from simpleos.kernel.loader import load_user_program
from simpleos.system import BootOptions

HERE = Path(__file__).parent
PEEK = HERE / "programs" / "peek.asm"
SCRIPT = HERE / "golden" / "own_program.sdb"
GOLDEN = HERE / "golden" / "own_program.txt"


def debug(capsys, tmp_path, *arguments: str):
    """`simpleos debug ...` on a fresh machine: (exit code, stdout, stderr)."""
    return run_cli(capsys, "debug", *arguments, "--machine", str(tmp_path / "machine"), "--fresh")


def test_a_scripted_session_on_a_lab1_program_matches_its_golden_transcript(capsys, tmp_path):
    code, out, err = debug(capsys, tmp_path, str(PEEK), "--break-on-fault", "--script", str(SCRIPT))
    assert (code, err) == (0, "")
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        GOLDEN.write_text(out)
    assert out == GOLDEN.read_text()


def test_the_session_begins_before_the_programs_first_instruction_and_shows_only_its_part(capsys, tmp_path):
    empty = tmp_path / "empty.sdb"
    empty.write_text("")
    code, out, _ = debug(capsys, tmp_path, str(PEEK), "--script", str(empty))
    assert code == 0
    first = out.splitlines()[0]
    assert re.fullmatch(r"\[position \d+\] peek started as pid 8 \(ring 3\): stopped before its first "
                        r"instruction; the boot before it took \d+ instructions", first), first
    assert out.splitlines()[1].startswith("=> 0x400000 <peek!_start>:\t")
    assert "SimpleOS 0.1.0" not in out, "the boot log is hidden, as `run` hides it"
    _, verbose, _ = debug(capsys, tmp_path, str(PEEK), "--verbose", "--script", str(empty))
    assert "SimpleOS 0.1.0" in verbose and "run: started peek as pid 8 (ring 3)" in verbose


def test_names_mean_the_programs_symbols_and_its_breakpoints_stop_only_it(tmp_path):
    from simpleos.debug.program import run_to_program_start
    from simpleos.debug.target import DebugTarget
    image = load_user_program(PEEK)
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True), program=image)
    run_to_program_start(target)
    assert target.lookup("_start") == image.entry, "not sensor.sys!_start: the program comes first"
    assert target.lookup("sensor.sys!_start") != image.entry
    assert target.program_breakpoint_owner(target.lookup("peek")) == "peek"
    target.add_breakpoint(target.lookup("peek"), process="peek")
    assert target.cont().reason == "breakpoint" and target.current_process.name == "peek"
    back = target.reverse_cont()
    assert back.reason == "start" and back.position == 0, "no other process's code at that address stopped it"


def test_reverse_execution_crosses_the_programs_start_and_comes_back_to_the_same_machine(tmp_path):
    from simpleos.debug.program import run_to_program_start
    from simpleos.debug.target import DebugTarget
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True), program=load_user_program(PEEK),
                         break_on_fault=True)
    start = run_to_program_start(target).position
    fault = target.cont()
    assert fault.reason == "fault" and fault.trap.address == 0xffff800000001000
    registers = target.registers()
    target.replay_to(start - 5)                       # back into the boot, before peek existed
    assert all(p.name != "peek" for p in target.kernel.processes.values())
    assert target.cont().reason == "fault" and target.position == fault.position
    assert {k: v for k, v in target.registers().items() if k != "cr2"} == \
        {k: v for k, v in registers.items() if k != "cr2"}


def test_a_program_that_is_bad_input_fails_before_the_boot_in_one_line(capsys, tmp_path):
    code, out, err = debug(capsys, tmp_path, str(tmp_path / "missing.asm"))
    assert code == 1 and out == "" and len(err.splitlines()) == 1 and "missing.asm" in err
    broken = tmp_path / "broken.asm"
    broken.write_text("_start:\n    movzx eax, byte [rdi]\n")
    code, out, err = debug(capsys, tmp_path, str(broken))
    assert code == 1 and out == ""
    assert err == "simpleos: broken.asm:2: byte [...] needs ptr: write byte ptr [...]: movzx eax, byte [rdi]\n"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc on this machine (CI has it)")
def test_a_c_program_built_with_cc_is_debugged_by_its_symbols(capsys, tmp_path):
    from simpleos.resources import userland_dir
    binary = tmp_path / "kread"
    assert run_cli(capsys, "cc", str(userland_dir() / "kread.c"), "-o", str(binary))[0] == 0
    script = tmp_path / "kread.sdb"
    script.write_text("break main\ncontinue\ncontinue\nbt\nquit\n")
    code, out, err = debug(capsys, tmp_path, str(binary), "--break-on-fault", "--script", str(script))
    assert (code, err) == (0, "")
    assert re.search(r"breakpoint 1 at 0x[0-9a-f]+ <kread!main> \(only in kread\)", out), out
    assert re.search(r"\] breakpoint 1, 0x[0-9a-f]+ <kread!main>", out), out
    assert "reading the kernel's memory at 0xffff800000001000 ..." in out
    assert re.search(r"kread\[8\]: trap 14 #PF \(page fault\) rip 0x[0-9a-f]+ addr 0xffff800000001000 err 0x5", out)
    assert re.search(r"#0  0x[0-9a-f]+ in kread!main\+0x", out), out


GDB = shutil.which("gdb")


@pytest.mark.skipif(GDB is None, reason="gdb is not installed (CI installs it)")
def test_real_gdb_debugs_the_program_by_its_symbols_and_runs_it_backwards(tmp_path):
    from test_gdb_real import run_gdb
    from test_gdb_protocol import Server
    from simpleos.debug.gdb import write_symbols
    from simpleos.debug.program import run_to_program_start
    from simpleos.debug.target import DebugTarget
    target = DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True), program=load_user_program(PEEK),
                         break_on_fault=True)
    run_to_program_start(target)
    symbols = write_symbols(target, tmp_path)
    server = Server(target)
    result = run_gdb(server.port, ["break peek", "continue", "bt", "continue", "p/x $pc", "reverse-stepi",
                                   "p/x $pc", "info symbol $pc", "kill"], symbol_file=symbols)
    out = result.stdout
    assert re.search(r"Breakpoint 1, peek \(\) at peek.asm:13\n13\t    movzx eax, byte ptr \[rdi\]", out), out + result.stderr
    assert re.search(r"#1\s+0x0*40000f in _start \(\)", out), out
    assert "Program received signal SIGSEGV" in out, out
    assert re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M) == ["0x400017", "0x400017"], out
    assert "peek in section .text.peek.asm" in out, out
    server.finish()
