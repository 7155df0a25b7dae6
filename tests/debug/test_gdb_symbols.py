"""The ELF symbol file of a real booted kernel, as readelf and real gdb read it."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from simpleos.debug.gdb.elf import write_symbol_file
from simpleos.kernel.placement import KAPI_USER_BASE
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.resources import channel_files_dir
from simpleos.system import boot

from test_gdb_protocol import elf_symbol_list, read_elf_symbols

GDB = shutil.which("gdb")
READELF = shutil.which("readelf")
BAD = str(channel_files_dir() / "C-00000291-bad.sys")


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """A monolithic machine that bugchecked on the bad channel file, and its symbol file."""
    session = boot(tmp_path_factory.mktemp("machine"), fresh=True, channels=[BAD], max_boots=1)
    path = write_symbol_file(tmp_path_factory.mktemp("symbols") / "simpleos-symbols.elf", session.kernel)
    yield session, path
    session.close()


def sensor_image(kernel):
    return next(m.image for m in kernel.modules if m.name == "sensor.sys")


def test_every_module_symbol_is_in_the_file_at_its_address(crashed):
    session, path = crashed
    symbols = read_elf_symbols(path.read_bytes())
    for module in session.kernel.modules:
        for name, address in module.image.symbols.items():
            assert symbols[name][0] == address, name
    sensor = sensor_image(session.kernel)
    assert symbols["compare_string"][2:] == (2, ".text.sensor.sys")        # STT_FUNC
    assert symbols["ipc_context"][2:] == (1, ".data.sensor.sys")           # STT_OBJECT
    assert symbols["match_instance"][1] == sensor.symbols["compare_string"] - sensor.symbols["match_instance"]
    assert symbols["ipc_context"][1] == sensor.symbols["ipc_event_handle"] - sensor.symbols["ipc_context"]
    assert "user_entry" in symbols and "kapi_log" in symbols
    # the last function ends where the code ends, not at the int3 padding of its page
    end = symbols["compare_string"][0] + symbols["compare_string"][1]
    assert sensor.code[end - 1 - sensor.base] == 0xC3  # ret


@pytest.mark.skipif(READELF is None, reason="readelf is not installed")
def test_readelf_accepts_the_file(crashed):
    _, path = crashed
    result = subprocess.run([READELF, "-W", "-h", "-S", "-s", str(path)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0 and "Warning" not in result.stderr + result.stdout
    assert "Advanced Micro Devices X86-64" in result.stdout
    assert re.search(r"FUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+compare_string", result.stdout)
    assert re.search(r"OBJECT\s+GLOBAL\s+DEFAULT\s+\d+\s+ipc_context", result.stdout)


@pytest.mark.skipif(GDB is None, reason="gdb is not installed")
def test_gdb_reads_the_symbols_and_names_the_crash_site(crashed):
    session, path = crashed
    bugcheck = session.boots[-1].bugcheck
    sensor = sensor_image(session.kernel)
    result = subprocess.run([GDB, "-batch", "-nx", "-ex", f"symbol-file {path}",
                             "-ex", "info address compare_string", "-ex", "info address ipc_context",
                             "-ex", f"info symbol {bugcheck.rip:#x}"],
                            capture_output=True, text=True, timeout=60)
    out = result.stdout
    # a routine of the DWARF compile unit (gdb/dwarf.py), a data label of the ELF symbol table
    assert f'Symbol "compare_string" is a function at address {sensor.symbols["compare_string"]:#x}' in out
    assert f'Symbol "ipc_context" is at {sensor.symbols["ipc_context"]:#x}' in out
    offset = bugcheck.rip - sensor.symbols["compare_string"]
    assert f"compare_string + {offset} in section .text.sensor.sys" in out


def test_a_ring3_sensor_is_described_with_its_kapi_stubs(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="microkernel", max_boots=1)
    kernel = session.kernel
    listed = elf_symbol_list(write_symbol_file(tmp_path / "s.elf", kernel).read_bytes())
    image = kernel.sensor.process.image
    assert image.base == USER_TEXT_BASE
    assert ("compare_string", image.symbols["compare_string"]) in [(s[0], s[1]) for s in listed]
    kapi_log = sorted(s[1] for s in listed if s[0] == "kapi_log")
    assert kapi_log == sorted([kernel.kapi_kernel.symbols["kapi_log"], kernel.kapi_user.symbols["kapi_log"]])
    assert kernel.kapi_user.symbols["kapi_log"] >= KAPI_USER_BASE
