"""`simpleos run`: the program's own output and its fate by default, the boot log with
--verbose, JSON unchanged -- and a runaway program is told it ran past the end of its code."""
from __future__ import annotations

import json

from cliutil import run_cli

from simpleos.resources import channel_files_dir, userland_dir

HELLO = str(userland_dir() / "hello.asm")
BAD = str(channel_files_dir() / "C-00000291-bad.sys")


def test_run_hello_prints_the_hello_line_once_and_its_fate(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", HELLO, "--machine", str(tmp_path / "m"), "--fresh")
    assert (code, err) == (0, "")
    assert out == "hello, world from ring 3\nhello exited with code 0; kernel up\n"


def test_verbose_shows_the_boot_log_and_still_one_hello(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "run", HELLO, "--machine", str(tmp_path / "m"), "--fresh", "--verbose")
    assert code == 0
    assert out.startswith("[    0.000000] SimpleOS 0.1.0 (x86-64 on unicorn), seed 0\n")
    assert "boot complete" in out and "beacon: could not open its C2 pipe (blocked)" in out
    assert "run: started hello as pid 8 (ring 3)" in out
    assert out.count("hello, world from ring 3") == 1
    assert out.endswith("hello, world from ring 3\nhello exited with code 0; kernel up\n")


def test_json_is_unchanged(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "run", HELLO, "--machine", str(tmp_path / "m"), "--fresh", "--json")
    assert code == 0
    assert json.loads(out) == {"program": "hello", "fate": "exited", "exit_code": 0, "trap": None, "kernel": "up"}


def test_the_kernels_lines_about_the_program_are_shown(tmp_path, capsys):
    program = tmp_path / "kread.asm"
    program.write_text("_start:\n    mov rax, 0xffff800000001000\n    mov rbx, [rax]\n"
                       "    xor rdi, rdi\n    call exit\n.include \"lib.asm\"\n")
    code, out, _ = run_cli(capsys, "run", str(program), "--machine", str(tmp_path / "m"), "--fresh")
    assert code == 0
    assert out == ("[   10.001376] pid 8 kread: trap 14 #PF (page fault) rip 0x40000a <_start+0xa> (kread.asm:3) addr 0xffff800000001000 "
                   "err 0x5 [user read, protection violation] -- killed\n"
                   "kread was killed by #PF (page fault) at rip 0x40000a (kread.asm:3); kernel up\n")


def test_a_boot_that_does_not_come_up_says_the_program_did_not_start(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "run", HELLO, "--machine", str(tmp_path / "m"), "--fresh", "--channel", BAD)
    assert code == 3
    assert out == ("hello did not start: the boot ended in a bugcheck, PAGE_FAULT_IN_NONPAGED_AREA in sensor.sys+0x2d2 "
                   "(--verbose shows the boot log); kernel bugcheck\n")


RUNAWAY = "; runaway.asm -- forgets to exit\n_start:\n    mov rax, 1\n    nop\n"
RUNAWAY_WITH_DATA = "_start:\n    mov rax, 1\n.data\ncounter: .quad 0\n"
DELIBERATE_INT3 = "_start:\n    mov rax, 1\n    int3\n"


def _run(tmp_path, capsys, name, source):
    program = tmp_path / f"{name}.asm"
    program.write_text(source)
    return run_cli(capsys, "run", str(program), "--machine", str(tmp_path / "m"))


def test_falling_off_the_end_of_start_is_named(tmp_path, capsys):
    code, out, _ = _run(tmp_path, capsys, "runaway", RUNAWAY)
    assert code == 0
    assert out == ("[   10.001376] pid 8 runaway: trap 3 #BP (breakpoint) rip 0x400009 -- ran past the end of its code "
                   "at 0x400008 (into the int3 padding) -- killed\n"
                   "runaway was killed by #BP (breakpoint) at rip 0x400009: it ran past the end of its code; kernel up\n")


def test_falling_off_into_the_padding_before_data_is_named_too(tmp_path, capsys):
    _, out, _ = _run(tmp_path, capsys, "runaway2", RUNAWAY_WITH_DATA)
    assert "-- ran past the end of its code at 0x400007 (into the int3 padding) -- killed" in out


def test_a_deliberate_int3_is_a_plain_breakpoint(tmp_path, capsys):
    _, out, _ = _run(tmp_path, capsys, "bp", DELIBERATE_INT3)
    assert "pid 8 bp: trap 3 #BP (breakpoint) rip 0x400008 -- killed" in out     # rip: after the int3
    assert "ran past" not in out


def test_an_elf_program_that_falls_off_its_start_is_named(tmp_path, capsys):
    import shutil
    import subprocess

    import pytest
    if shutil.which("gcc") is None:
        pytest.skip("no gcc on this machine (CI has it)")
    (tmp_path / "off.S").write_text(".globl _start\n_start:\n    nop\n    .section .note.GNU-stack,\"\",@progbits\n")
    subprocess.run(["gcc", "-static", "-nostdlib", "-no-pie", "-o", str(tmp_path / "off"), str(tmp_path / "off.S")],
                   check=True)
    code, out, _ = run_cli(capsys, "run", str(tmp_path / "off"), "--machine", str(tmp_path / "m"))
    assert code == 0
    assert "trap 3 #BP (breakpoint) rip 0x401002 <_start+0x2> -- ran past the end of its code at 0x401001" in out
    assert out.endswith("off was killed by #BP (breakpoint) at rip 0x401002: it ran past the end of its code; "
                        "kernel up\n")
