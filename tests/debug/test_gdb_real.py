"""Real gdb (/usr/bin/gdb) attached to the stub: batch sessions, checked line by line.

The headline test is the lab: boot with the bad channel file under the
debugger, break in match_instance, read registers and the stack, step, then
continue into the fault -- which must stop with SIGSEGV at the same RIP the
crash dump of a normal boot names. The others drive a FakeTarget through real
gdb to prove what the protocol layer promises (the target description is
accepted, Ctrl-C, hardware breakpoints, reverse execution, exit). Skipped
only where gdb is missing; CI installs it.
"""
from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
import time

import pytest

from simpleos.debug.gdb import write_symbols
from simpleos.debug.gdb.target_description import REGISTERS
from simpleos.resources import channel_files_dir
from simpleos.system import BootOptions

from test_gdb_protocol import CODE, DATA, END, FAULT_AT, SPIN_AT, FakeTarget, Server

GDB = shutil.which("gdb")
pytestmark = pytest.mark.skipif(GDB is None, reason="gdb is not installed (CI installs it)")
BAD = str(channel_files_dir() / "C-00000291-bad.sys")
GDB_TIMEOUT = 120


def gdb_command(port: int, commands: list[str], symbol_file=None) -> list[str]:
    args = [GDB, "-batch", "-nx", "-ex", "set architecture i386:x86-64"]
    if symbol_file is not None:
        args += ["-ex", f"symbol-file {symbol_file}"]
    args += ["-ex", f"target remote 127.0.0.1:{port}"]
    for command in commands:
        args += ["-ex", command]
    return args


def run_gdb(port: int, commands: list[str], symbol_file=None) -> subprocess.CompletedProcess:
    return subprocess.run(gdb_command(port, commands, symbol_file), capture_output=True, text=True,
                          timeout=GDB_TIMEOUT, stdin=subprocess.DEVNULL)


def register_values(out: str, name: str) -> list[int]:
    """Every `info registers NAME` value printed, in order."""
    return [int(v, 16) for v in re.findall(rf"^{name}\s+(0x[0-9a-f]+)", out, re.M)]


def assert_protocol_clean(result: subprocess.CompletedProcess) -> None:
    for problem in ("Architecture rejected", "Remote failure reply", "Remote 'g' packet reply",
                    "Truncated register", "Protocol error"):
        assert problem not in result.stdout + result.stderr, result.stdout + result.stderr


def symbol_after(symbols: dict[str, int], address: int) -> int:
    return min(a for a in symbols.values() if a > address)


@pytest.fixture
def crash_reference(tmp_path, boot_machine):
    """A normal boot with the bad channel file: the bugcheck gdb must reproduce."""
    session = boot_machine(tmp_path / "reference", fresh=True, channels=[BAD], max_boots=1)
    bugcheck = session.boots[-1].bugcheck
    assert bugcheck is not None and bugcheck.module == "sensor.sys"
    return bugcheck


def debug_target(tmp_path):
    from simpleos.debug.target import DebugTarget
    options = BootOptions(machine=str(tmp_path / "debug"), fresh=True, channels=[BAD])
    target = DebugTarget(options, break_on_fault=True)
    sensor = next(m.image for m in target.kernel.modules if m.name == "sensor.sys")
    return target, sensor


def test_real_gdb_breaks_in_match_instance_then_faults_where_the_crash_dump_says(tmp_path, crash_reference):
    target, sensor = debug_target(tmp_path)
    match_instance = sensor.symbols["match_instance"]
    compare_string = sensor.symbols["compare_string"]
    first_byte = target.read_memory(match_instance, 1)
    symbols = write_symbols(target, tmp_path)
    server = Server(target)
    result = run_gdb(server.port, [
        "break match_instance", "continue", "info registers rip", "info registers rsp", "x/4gx $rsp",
        "stepi", "info registers rip", "delete", "continue", "info registers rip"],
        symbol_file=symbols)
    outcome = server.finish()
    out = result.stdout
    assert_protocol_clean(result)
    assert outcome in ("detached", "killed", "disconnected")

    # the breakpoint, at match_instance's address (gdb knows the source line: sensor.asm)
    assert re.search(r"Breakpoint 1, match_instance \(\) at sensor\.asm:\d+", out), out
    rips = register_values(out, "rip")
    assert len(rips) == 3, out
    assert rips[0] == match_instance

    # registers and memory are readable: the stack holds the return address into interpret
    rsp = register_values(out, "rsp")[0]
    rows = re.findall(r"^(0x[0-9a-f]+):\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)$", out, re.M)
    assert len(rows) == 2 and int(rows[0][0], 16) == rsp, out
    return_address = int(rows[0][1], 16)
    assert sensor.symbols["interpret"] < return_address < symbol_after(sensor.symbols, sensor.symbols["interpret"])

    # stepi advances by one instruction (push rbp is one byte)
    assert rips[1] == match_instance + 1

    # the fault: SIGSEGV in compare_string, at the RIP of the normal boot's bugcheck
    assert "Program received signal SIGSEGV" in out
    assert rips[2] == crash_reference.rip
    assert compare_string <= rips[2] < symbol_after(sensor.symbols, compare_string)
    assert re.search(r"compare_string \(\) at sensor\.asm:\d+", out)

    # breakpoints never touched guest memory
    assert target.read_memory(match_instance, 1) == first_byte == sensor.code[match_instance - sensor.base:][:1]


def test_real_gdb_steps_backwards_on_the_real_machine(tmp_path):
    target, sensor = debug_target(tmp_path)
    match_instance = sensor.symbols["match_instance"]
    server = Server(target)
    result = run_gdb(server.port, [
        "break match_instance", "continue", "stepi", "stepi", "info registers rip", "reverse-stepi",
        "info registers rip", "reverse-continue", "info registers rip", "reverse-continue", "info registers rip"],
        symbol_file=write_symbols(target, tmp_path))
    server.finish()
    assert_protocol_clean(result)
    rips = register_values(result.stdout, "rip")
    assert rips[:3] == [match_instance + 4, match_instance + 1, match_instance]   # push rbp; mov rbp, rsp
    assert "No more reverse-execution history" in result.stdout
    assert rips[3] == target.registers()["rip"]


def test_real_gdb_finds_the_symbols_by_itself_through_exec_file(tmp_path):
    target, sensor = debug_target(tmp_path)
    (tmp_path / "symbols").mkdir()
    server = Server(target, symbol_dir=tmp_path / "symbols")
    result = run_gdb(server.port, ["break match_instance", "continue", "info symbol $pc"])
    server.finish()
    assert_protocol_clean(result)
    assert "Reading symbols from" in result.stdout + result.stderr
    assert "Breakpoint 1, match_instance () at sensor.asm:" in result.stdout


def test_the_printed_recipe_attaches_without_a_warning(tmp_path):
    target, sensor = debug_target(tmp_path)
    lines: list[str] = []
    server = Server(target, echo=lines.append, symbol_dir=tmp_path)
    recipe = shlex.split(lines[0].splitlines()[1])
    assert recipe[0] == "gdb"
    result = subprocess.run([GDB, "-batch", "-nx", *recipe[1:], "-ex", "break compare_string", "-ex", "continue"],
                            capture_output=True, text=True, timeout=GDB_TIMEOUT, stdin=subprocess.DEVNULL)
    server.finish()
    assert "warning" not in result.stderr.lower(), result.stderr
    assert "Breakpoint 1, compare_string () at sensor.asm:" in result.stdout


# --- the protocol layer through real gdb (FakeTarget) ------------------------------------------

def test_real_gdb_accepts_the_description_and_reads_every_register():
    target = FakeTarget()
    server = Server(target)
    result = run_gdb(server.port, ["info registers", "info registers cr3", "p/x $fs_base", "p $st0"])
    server.finish()
    assert_protocol_clean(result)
    out = result.stdout
    for register in REGISTERS:
        if register.modelled and register.group != "float":
            assert re.search(rf"^{register.name}\s+0x", out, re.M), register.name
    assert re.search(r"^rax\s+0x1122334455667788", out, re.M)
    assert re.search(r"^rip\s+0x401000", out, re.M)
    assert re.search(r"^eflags\s+0x246\s+\[ PF ZF IF \]", out, re.M)
    assert re.search(r"^cr3\s+0x100000", out, re.M)


def test_real_gdb_writes_memory_and_registers_and_uses_target_breakpoints():
    target = FakeTarget()
    code_before = bytes(target.pages[CODE])
    server = Server(target)
    result = run_gdb(server.port, [
        f"set {{char}}{DATA:#x} = 0x41", f"set {{long}}{DATA + 8:#x} = -1", f"x/2gx {DATA:#x}", "set $rbx = 7",
        f"break *{CODE + 5:#x}", f"hbreak *{CODE + 8:#x}", "continue", "continue", "info registers rip",
        "delete", "continue", "info registers rip", f"set $rip = {END - 1:#x}", "continue"])
    server.finish()
    assert_protocol_clean(result)
    out = result.stdout
    assert target.pages[DATA][0] == 0x41 and target.pages[DATA][8:16] == b"\xff" * 8
    assert target.regs["rbx"] == 7
    assert f"{DATA:#x}:\t0x0706050403020141\t0xffffffffffffffff" in out
    assert f"Breakpoint 1, {CODE + 5:#018x}" in out and f"Breakpoint 2, {CODE + 8:#018x}" in out
    assert "Program received signal SIGSEGV" in out and register_values(out, "rip")[1] == FAULT_AT
    assert "exited normally" in out
    assert bytes(target.pages[CODE]) == code_before            # no int3 was ever written
    assert {c[1] for c in target.calls if c[0] == "add_breakpoint"} == {CODE + 5, CODE + 8}


def test_real_gdb_ctrl_c_interrupts_a_continue():
    target = FakeTarget(spin=True)
    server = Server(target)
    process = subprocess.Popen(gdb_command(server.port, [f"set $rip = {SPIN_AT:#x}", "continue",
                                                         "info registers rip"]),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert target.running.wait(GDB_TIMEOUT)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)       # gdb turns it into a 0x03 on the wire
        out, err = process.communicate(timeout=GDB_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    server.finish()
    assert "Program received signal SIGINT" in out, out + err
    assert register_values(out, "rip") == [SPIN_AT]


def test_real_gdb_reads_each_general_register_with_its_own_value(tmp_path):
    """Every register in its own slot of the `g` packet: distinct values set in the machine come
    back from real gdb's `info registers NAME` under the right name (a swap of rbx and rcx fails)."""
    target, _ = debug_target(tmp_path)
    names = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
             "r14", "r15"]
    values = {name: 0x1111_0000_0000_0000 * (index + 1) + index for index, name in enumerate(names)}
    for name, value in values.items():
        target.write_register(name, value)
    server = Server(target)
    result = run_gdb(server.port, [f"info registers {name}" for name in names])
    server.finish()
    assert_protocol_clean(result)
    for name, value in values.items():
        assert register_values(result.stdout, name) == [value & ((1 << 64) - 1)], (name, result.stdout)
