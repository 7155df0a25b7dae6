"""Crash dumps: what the kernel saves when it bugchecks, for post-mortem analysis.

Like a Windows kernel minidump: the stop code and parameters, the CPU
registers at the fault, the stack, the bytes of the faulting instruction,
the loaded modules with their symbols, the faulting thread, the last lines
of the log -- and, since the culprit here is content, the channel file and
rule the sensor was interpreting -- and the memory a post-mortem debugger
needs, compressed (dumpmemory.py: the faulting module, the stack, the
inputs and the content; kilobytes), with the address space's ranges. Written as JSON (readable in an editor,
easy for `simpleos analyze`) to /dumps/ on the machine's disk, and copied
to <machine>/dumps/ on the host; only the newest KEEP_DUMPS are kept in
each place, so a bootloop of any length never fills the disk. Capture must
happen before the CPU runs anything else.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .bugcheck import Bugcheck
from .dumpmemory import capture_memory, capture_ranges
from .fs import DiskFull

DUMP_DIR = "/dumps"
DUMP_FORMAT = "simpleos-crashdump-1"
DUMP_NAME = "CRASH-{number:04d}.dmp"
KEEP_DUMPS = 16                     # the newest dumps kept, on the disk and on the host
STACK_WORDS = 32
_DUMP_PATTERN = re.compile(r"CRASH-(\d+)\.dmp")


def capture(kernel, bugcheck: Bugcheck, boot_index: int) -> dict:
    """Everything worth keeping about this bugcheck, as plain data."""
    cpu = kernel.cpu
    registers = cpu.read_all()
    for name in ("cs", "ss", "cr0", "cr2", "cr3", "cr4"):
        registers[name] = cpu.read(name)
    if bugcheck.trap is not None and bugcheck.trap.address is not None:
        registers["cr2"] = bugcheck.trap.address  # as read in the fault hook; later reads are stale
    space = cpu.address_space()

    def read(address: int, length: int) -> bytes | None:
        physical = space.translate(address)
        if physical is None or (address & 0xFFF) + length > 0x1000:
            return None
        return kernel.machine.memory.read(physical, length)

    stack = []
    for i in range(STACK_WORDS):
        address = registers["rsp"] + 8 * i
        raw = read(address, 8)
        stack.append({"address": address, "value": int.from_bytes(raw, "little") if raw else None})
    code = read(bugcheck.rip, 16) or read(bugcheck.rip, 0x1000 - (bugcheck.rip & 0xFFF)) or b""
    process = kernel.current_at_crash
    dump = {
        "format": DUMP_FORMAT,
        "boot": boot_index,
        "model": kernel.model.name,
        "seed": kernel.seed,
        "virtual_time_cycles": kernel.clock.cycles,
        "bugcheck": {"code": bugcheck.code, "name": bugcheck.name, "parameters": list(bugcheck.parameters),
                     "module": bugcheck.module, "offset": bugcheck.offset, "rip": bugcheck.rip,
                     "address": bugcheck.address,
                     "trap": None if bugcheck.trap is None else {
                         "vector": bugcheck.trap.vector, "name": bugcheck.trap.name,
                         "error_code": bugcheck.trap.error_code, "cpl": bugcheck.trap.cpl}},
        "registers": registers,
        "instruction_bytes": code.hex(),
        "stack": stack,
        "process": None if process is None else {"pid": process.pid, "name": process.name, "ring": process.ring},
        "modules": [{"name": m.name, "base": m.image.base, "size": len(m.image.code),
                     "symbols": m.image.symbols} for m in kernel.modules],
        "sensor": kernel.sensor.crash_context(read) if kernel.sensor is not None else None,
        "log_tail": kernel.console.lines[-20:],
    }
    dump["memory"] = capture_memory(kernel, space, bugcheck.rip, registers["rsp"], dump["sensor"])
    dump["regions"] = capture_ranges(space)
    return dump


def write(fs, home: Path | None, dump: dict) -> str | None:
    """Save the dump on the machine's disk and a copy in <home>/dumps/ on the host (which
    mirrors the disk's dumps: numbers follow the disk), keeping only the newest KEEP_DUMPS in each (as Windows keeps a bounded set of
    minidumps). Returns the host path if there is a machine home, else the disk path.
    A bugcheck never fails for lack of room: old dumps go first, and if even then the
    dump does not fit, it is not written (None)."""
    if fs is None:
        return None
    number = 1 + max(map(_number_of, _disk_dumps(fs)), default=0)
    name = DUMP_NAME.format(number=number)
    data = json.dumps(dump, indent=1).encode()
    if not _write_on_disk(fs, name, data):
        return None
    if home is None:
        return f"{DUMP_DIR}/{name}"
    host = Path(home) / "dumps"
    try:
        host.mkdir(parents=True, exist_ok=True)
        (host / name).write_bytes(data)
        for old in sorted(host.glob("CRASH-*.dmp"), key=_number_of)[:-KEEP_DUMPS]:
            old.unlink()
    except OSError:
        return f"{DUMP_DIR}/{name}"          # the host copy could not be made; the disk has it
    return str(host / name)


def _write_on_disk(fs, name: str, data: bytes) -> bool:
    """Write dump `name`, removing the oldest so that KEEP_DUMPS remain, in one commit."""
    try:
        with fs.transaction():
            existing = _disk_dumps(fs)
            for old in existing[:max(0, len(existing) - KEEP_DUMPS + 1)]:
                fs.remove(f"{DUMP_DIR}/{old}")
            fs.write_file(f"{DUMP_DIR}/{name}", data, parents=True)
        return True
    except DiskFull:
        return False


def _disk_dumps(fs) -> list[str]:
    """The dump names in /dumps on the disk, oldest first."""
    if not fs.is_dir(DUMP_DIR):
        return []
    return sorted((entry.name for entry in fs.listdir(DUMP_DIR) if _number_of(entry.name) is not None),
                  key=_number_of)


def _number_of(name) -> int | None:
    """1234 for 'CRASH-1234.dmp' (or its Path), None for other names."""
    match = _DUMP_PATTERN.fullmatch(getattr(name, "name", name))
    return int(match.group(1)) if match else None
