"""Crash dumps: what the kernel saves when it bugchecks, for post-mortem analysis.

Like a Windows kernel minidump: the stop code and parameters, the CPU
registers at the fault, the stack, the bytes of the faulting instruction,
the loaded modules with their symbols, the faulting thread, the last lines
of the log -- and, since the culprit here is content, the channel file and
rule the sensor was interpreting. Written as JSON (readable in an editor,
easy for `simpleos analyze`) to /dumps/ on the machine's disk, and copied
to <machine>/dumps/ on the host. Capture must happen before the CPU runs
anything else.
"""
from __future__ import annotations

import json
from pathlib import Path

from .bugcheck import Bugcheck

DUMP_DIR = "/dumps"
DUMP_FORMAT = "simpleos-crashdump-1"
STACK_WORDS = 32


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
    return dump


def write(fs, home: Path | None, dump: dict) -> str:
    """Save the dump on the machine's disk (and a host copy); returns the host path
    if there is a machine directory, else the disk path."""
    number = len(fs.listdir(DUMP_DIR)) + 1 if fs.exists(DUMP_DIR) else 1
    name = f"CRASH-{number:04d}.dmp"
    data = json.dumps(dump, indent=1).encode()
    fs.write_file(f"{DUMP_DIR}/{name}", data, parents=True)
    if home is None:
        return f"{DUMP_DIR}/{name}"
    host = Path(home) / "dumps" / name
    host.parent.mkdir(parents=True, exist_ok=True)
    host.write_bytes(data)
    return str(host)
