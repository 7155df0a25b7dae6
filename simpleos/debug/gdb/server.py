"""The gdb remote stub's front door: listen on loopback, hand each connection to a session.

serve() listens on the loopback interface only, for the whole debugging
session, as QEMU's stub does: one gdb at a time drives the DebugTarget
through a GdbSession (session.py), may detach and attach again, and a second
gdb is told the target is busy. It also writes the ELF symbol file (elf.py)
and prints the gdb command line that attaches. Breakpoints are the
target's (no int3 is ever written into guest memory).
"""
from __future__ import annotations

import ipaddress
import shlex
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from . import rsp
from .elf import write_symbol_file
from .session import GdbSession

SYMBOL_FILE_NAME = "simpleos-symbols.elf"
POLL_SECONDS = 0.1               # how often the stub looks up from accept() to check on the session
LEAVING_SECONDS = 1.0            # how long a gdb that has just detached may take to hang up
BUSY_MESSAGE = "simpleos: the target is busy: another gdb is attached (one at a time)\n"


def serve(target, port: int, host: str = "127.0.0.1", on_ready: Callable[[int], None] | None = None, *,
          echo: Callable[[str], None] | None = None, symbol_dir: str | Path | None = None,
          accept_timeout: float | None = None, linger: float | None = None) -> str:
    """Serve gdb on host:port (port 0: any free port), as QEMU's stub does: one gdb at a
    time, for the whole debugging session. gdb may detach (or just go away) and attach
    again, finding the machine where it stopped; a second gdb while one is attached is
    told at once that the target is busy. Returns why serving ended: "killed" (gdb's
    kill), "timeout" (no gdb came within `accept_timeout` seconds), or -- when `linger`
    is a number -- "detached"/"disconnected" once no new gdb came within `linger`
    seconds of the last one leaving (None: keep listening until killed).
    on_ready(port) is called once the port listens. With `echo` or `symbol_dir`, the
    symbol file is written (into symbol_dir, else a temporary directory removed at
    the end), offered to gdb as the executable (qXfer:exec-file), and with `echo` the
    gdb command line is echoed. Only loopback addresses are accepted: ValueError otherwise."""
    family, address = _loopback(host)
    temporary = None
    if symbol_dir is None and echo is not None:
        symbol_dir = temporary = tempfile.mkdtemp(prefix="simpleos-gdb-")
    try:
        with socket.socket(family, socket.SOCK_STREAM) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((address, port))
            listener.listen(4)
            actual_port = listener.getsockname()[1]
            path = write_symbols(target, symbol_dir) if symbol_dir is not None else None
            if echo is not None:
                echo(recipe(actual_port, path, address))
            if on_ready is not None:
                on_ready(actual_port)
            return _serve_sessions(target, listener, echo, path, accept_timeout, linger)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


class _Attached:
    """The gdb connection being served, in a thread of its own."""

    def __init__(self, target, connection: socket.socket, log, symbol_path) -> None:
        self.connection = connection
        self.outcome = "disconnected"
        self.session = GdbSession(target, connection, log=log, symbol_path=symbol_path)
        self.thread = threading.Thread(target=self._serve, name="gdbstub-session", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.outcome = self.session.run()
        finally:
            self.connection.close()

    def hang_up(self) -> None:
        """End the session from outside (the stub is shutting down)."""
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=10)


def _serve_sessions(target, listener, log, symbol_path, accept_timeout, linger) -> str:
    """Accept gdb connections one at a time until killed (see serve)."""
    listener.settimeout(POLL_SECONDS)
    attached: _Attached | None = None
    started = idle_since = time.monotonic()
    last, served = "timeout", False
    try:
        while True:
            if attached is not None and not attached.thread.is_alive():
                last, attached, idle_since = attached.outcome, None, time.monotonic()
                if last == "killed":
                    return last
            now = time.monotonic()
            if attached is None:
                if not served and accept_timeout is not None and now - started > accept_timeout:
                    return "timeout"
                if served and linger is not None and now - idle_since > linger:
                    return last
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            if attached is not None:
                attached.thread.join(timeout=LEAVING_SECONDS)    # a gdb that just detached may still be leaving
                if attached.thread.is_alive():
                    _refuse_busy(connection)
                    continue
                last, attached = attached.outcome, None
                if last == "killed":
                    connection.close()
                    return last
            connection.settimeout(None)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            attached, served = _Attached(target, connection, log, symbol_path), True
    finally:
        if attached is not None:
            attached.hang_up()


def _refuse_busy(connection: socket.socket) -> None:
    """A second gdb while one is attached: say so at once (a console-output packet gdb
    prints) and hang up."""
    with connection:
        try:
            connection.sendall(rsp.frame(b"O" + rsp.encode_hex(BUSY_MESSAGE.encode())) + rsp.frame(b"E01"))
        except OSError:
            pass


def _loopback(host: str) -> tuple[int, str]:
    """(address family, address) for a loopback host; ValueError for anything else."""
    if host == "localhost":
        return socket.AF_INET, "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the gdb stub listens on loopback only; {host!r} is not a loopback address") from None
    if not ip.is_loopback:
        raise ValueError(f"the gdb stub listens on loopback only; {host} is reachable from other machines")
    return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET), str(ip)


def write_symbols(target, directory: str | Path | None = None) -> Path:
    """Write the ELF symbol file of the target's kernel (and of `debug PROG`'s program, once it
    has started); returns its path."""
    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="simpleos-gdb-"))
    path = folder / SYMBOL_FILE_NAME
    program = getattr(target, "program", None)
    write_symbol_file(path, target.kernel, program.process if program is not None else None)
    return path


def recipe(port: int, symbol_path: str | Path, host: str = "127.0.0.1") -> str:
    """How to attach: the gdb command line for this port and symbol file. (`set sysroot`
    with no value makes gdb read the symbol file from the local disk without asking
    the stub for it, which it cannot serve.)"""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return (f"gdb stub listening on {where}; attach with:\n"
            f"  gdb -ex 'set sysroot' -ex 'set architecture i386:x86-64' "
            f"-ex {shlex.quote('symbol-file ' + str(symbol_path))} -ex 'target remote {where}'")
