"""Real gdb asks SimpleOS's stub what GEF and pwndbg ask QEMU: monitor commands and the qemu.sstep packets.

`simpleos debug --gdb 0` runs as a separate process, as a student runs it; real gdb
attaches in batch mode, continues into the CF291 fault and asks `monitor info mem`
(the sensor's pages with their rights, in QEMU's `start-end size urw` format),
`monitor info registers`, `monitor xp` (physical memory, checked against the page
walk), `monitor info tlb`, an unknown monitor command, and the packets GEF and pwndbg
use to recognise QEMU's system stub. Without gdb these are skipped (CI installs it);
GEF and pwndbg themselves are never downloaded by the tests.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from simpleos.debug.gdb.monitor import QemuState, info_mem
from paths import BAD

GDB = shutil.which("gdb")
needs_gdb = pytest.mark.skipif(GDB is None, reason="gdb is not installed (CI installs it)")
TIMEOUT = 120
MONITOR_COMMANDS = ["monitor info mem", "monitor info registers", "monitor xp /2xg {physical:#x}",
                    "monitor info tlb", "monitor frobnicate", "maintenance packet Qqemu.sstepbits",
                    "maintenance packet qqemu.sstep", "maintenance packet qOffsets"]


@pytest.fixture(scope="module")
def gdb_at_the_fault(tmp_path_factory, request):
    """(gdb's output, the DebugTarget of the same machine held at the same fault)."""
    held = request.getfixturevalue("held_fault")
    walk = held.cpu.address_space().walk(held.lookup("ipc_context"))
    home = tmp_path_factory.mktemp("gdbmon") / "machine"
    stub = subprocess.Popen([sys.executable, "-m", "simpleos", "debug", "--machine", str(home), "--fresh",
                             "--channel", BAD, "--break-on-fault", "--gdb", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = symbols = None
        for line in stub.stdout:
            found = re.search(r"symbol-file (\S+)' -ex 'target remote 127\.0\.0\.1:(\d+)'", line)
            if found:
                symbols, port = found.group(1), found.group(2)
                break
        assert port, "the stub printed its attach recipe"
        args = [GDB, "-batch", "-nx", "-ex", "set architecture i386:x86-64", "-ex", f"symbol-file {symbols}",
                "-ex", f"target remote 127.0.0.1:{port}", "-ex", "continue"]
        for command in MONITOR_COMMANDS:
            args += ["-ex", command.format(physical=walk.physical)]
        result = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    finally:
        stub.kill()
        stub.wait(timeout=30)
    return result.stdout + result.stderr, held


@needs_gdb
def test_monitor_info_mem_lists_the_sensors_pages_in_qemus_format(gdb_at_the_fault):
    out, held = gdb_at_the_fault
    lines = re.findall(r"^[0-9a-f]{16}-[0-9a-f]{16} [0-9a-f]{16} [u-]r[w-]$", out, re.M)
    assert lines == info_mem(held.cpu.address_space()), "gdb shows exactly the stub's ranges"
    sensor = next(m.image for m in held.kernel.modules if m.name == "sensor.sys")
    text_end = sensor.base + sensor.data_offset
    assert f"{sensor.base:016x}-{text_end:016x} {sensor.data_offset:016x} -r-" in lines
    assert any(line.startswith(f"{text_end:016x}-") and line.endswith(" -rw") for line in lines)
    assert "ffff800000000000-ffff800004000000 0000000004000000 -rw" in lines


@needs_gdb
def test_monitor_info_registers_shows_the_fault_in_qemus_layout(gdb_at_the_fault):
    out, held = gdb_at_the_fault
    registers = held.registers()
    assert re.search(rf"^RAX={registers['rax']:016x} RBX={registers['rbx']:016x} RCX=", out, re.M)
    assert re.search(rf"^RIP={registers['rip']:016x} RFL={registers['rflags']:08x} \[[-DOSZAPC]{{7}}\] CPL=0 ", out,
                     re.M)
    assert re.search(r"^CS =0008 0000000000000000 [0-9a-f]{8} [0-9a-f]{8} DPL=0 CS64 \[", out, re.M)
    assert re.search(rf"^CR0={registers['cr0']:08x} CR2=[0-9a-f]{{16}} CR3={registers['cr3']:016x} ", out, re.M)


@needs_gdb
def test_monitor_xp_reads_physical_memory(gdb_at_the_fault):
    out, held = gdb_at_the_fault
    physical = held.cpu.address_space().walk(held.lookup("ipc_context")).physical
    words = [int.from_bytes(held.read_memory(held.lookup("ipc_context") + 8 * i, 8), "little") for i in range(2)]
    assert f"{physical:016x}: 0x{words[0]:016x} 0x{words[1]:016x}" in out


@needs_gdb
def test_monitor_info_tlb_and_an_unknown_command(gdb_at_the_fault):
    out, _ = gdb_at_the_fault
    assert re.search(r"^ffffffff80004000: [0-9a-f]{16} -[-G][-P][-D][-A]--[-U]-$", out, re.M), "sensor text: no NX, no W"
    assert "unknown command: 'frobnicate' (this stub's monitor knows: info mem, info tlb, info registers, xp, help)" \
        in out


@needs_gdb
def test_the_stub_answers_the_packets_that_tell_qemus_system_stub(gdb_at_the_fault):
    out, _ = gdb_at_the_fault
    assert 'received: "ENABLE=1,NOIRQ=2,NOTIMER=4"' in out
    assert 'received: "0x7"' in out
    assert 'sending: qOffsets\nreceived: ""' in out, "empty, as QEMU's system stub: GEF and pwndbg test this"
    assert "Target does not support this command" not in out and "Remote failure reply" not in out


@pytest.mark.parametrize("packet, reply", [
    (b"qqemu.sstepbits", b"ENABLE=1,NOIRQ=2,NOTIMER=4"), (b"Qqemu.sstepbits", b"ENABLE=1,NOIRQ=2,NOTIMER=4"),
    (b"qqemu.sstep", b"0x7"), (b"Qqemu.sstep=1", b"OK"), (b"Qqemu.sstep=8", b"E22"), (b"Qqemu.sstep=zz", b"E22"),
    (b"qqemu.Supported", b"sstepbits;sstep"), (b"qqemu.PhyMemMode", None),
])
def test_qemu_packets_answer_as_qemu(packet, reply):
    assert QemuState().answer(packet) == reply


def test_the_sstep_flags_stick_for_the_connection():
    state = QemuState()
    assert state.answer(b"Qqemu.sstep=3") == b"OK" and state.answer(b"qqemu.sstep") == b"0x3"


def test_qrcmd_sends_its_output_as_o_packets_then_ok(held_fault):
    from simpleos.debug.gdb.packets import Packets
    packets = Packets(held_fault)
    assert packets.dispatch(b"qRcmd," + b"info mem".hex().encode()) == b"OK"
    text = b"".join(bytes.fromhex(line[1:].decode()) for line in packets.console).decode()
    assert packets.console and all(line.startswith(b"O") for line in packets.console)
    assert text.splitlines() == info_mem(held_fault.cpu.address_space())
    assert packets.dispatch(b"qRcmd,6") == b"E01", "odd-length hex is malformed"
