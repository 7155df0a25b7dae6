"""Helpers of tests/debug_source: a CF291 DebugTarget, sdb in-process, and real gdb on the stub.

cf291(tmp_path) is the lab machine under the debugger (fresh, the bad channel
file, --break-on-fault); sdb(target, commands) runs sdb commands on it and
returns their output; gdb(target, tmp_path, commands) serves the target on a
free loopback port, runs real gdb in batch mode with the symbol file, and
returns gdb's stdout. line_of(text) finds a line of sensor.asm by its text,
so tests do not hard-code line numbers. Helpers only: no tests here.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import threading

from paths import BAD, REPO
from simpleos.debug.commands import Debugger
from simpleos.debug.gdb import serve, write_symbols
from simpleos.debug.output import Output
from simpleos.debug.target import DebugTarget
from simpleos.system import BootOptions

GDB = shutil.which("gdb")
GDB_TIMEOUT = 180
SENSOR_SOURCE = REPO / "drivers" / "sensor" / "sensor.asm"
CR2_AT_CF291 = 0xFFFF840500000374        # the event handle that inputs[20] reads


def cf291(tmp_path, break_on_fault: bool = True, **options) -> DebugTarget:
    """The CF291 machine under the debugger, at position 0."""
    return DebugTarget(BootOptions(machine=str(tmp_path / "machine"), fresh=True, channels=[BAD], **options),
                       break_on_fault=break_on_fault)


def sensor_image(target):
    """The sensor's image: a kernel module at ring 0, the sensor process's image at ring 3."""
    module = next((m for m in target.kernel.modules if m.name == "sensor.sys"), None)
    return module.image if module is not None else target.kernel.sensor.process.image


def sdb(target, commands: list[str], debugger: Debugger | None = None) -> str:
    """The plain-text output of sdb `commands` on `target` (a fresh Debugger unless given)."""
    stream = io.StringIO()
    if debugger is None:
        debugger = Debugger(target, Output(stream, colour=False))
    debugger.out = Output(stream, colour=False)
    for command in commands:
        debugger.execute(command)
    return stream.getvalue()


def line_of(text: str, after: int = 0) -> int:
    """The number of the first line of sensor.asm (after line `after`) that contains `text`."""
    for number, line in enumerate(SENSOR_SOURCE.read_text().splitlines(), 1):
        if number > after and text in line:
            return number
    raise AssertionError(f"no line of sensor.asm contains {text!r}")


def gdb(target, tmp_path, commands: list[str]) -> subprocess.CompletedProcess:
    """Real gdb, batch mode, with the symbol file, attached to `target` through the stub."""
    ready, ports, failures = threading.Event(), [], []

    def run() -> None:
        try:
            serve(target, 0, on_ready=lambda port: (ports.append(port), ready.set()), accept_timeout=30, linger=0)
        except BaseException as error:   # recorded: the test fails on it
            failures.append(error)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30) and not failures, failures
    symbols = write_symbols(target, tmp_path)
    args = [GDB, "-batch", "-nx", "-ex", "set architecture i386:x86-64", "-ex", f"symbol-file {symbols}",
            "-ex", f"target remote 127.0.0.1:{ports[0]}"]
    for command in commands:
        args += ["-ex", command]
    result = subprocess.run(args, capture_output=True, text=True, timeout=GDB_TIMEOUT, stdin=subprocess.DEVNULL)
    thread.join(30)
    assert not thread.is_alive() and not failures, failures
    said = (result.stdout + result.stderr).lower()
    for problem in ("remote failure reply", "protocol error", "truncated register", "dwarf error",
                    "during symbol reading", "cfi"):
        assert problem not in said, result.stdout + result.stderr
    return result
