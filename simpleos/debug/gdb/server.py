"""The gdb remote stub's front door: listen on loopback, hand the connection to a session.

serve() listens on the loopback interface only, accepts one gdb connection
and lets a GdbSession (session.py) drive the DebugTarget. It also writes the
ELF symbol file (elf.py) and prints the gdb command line that attaches.
Breakpoints are the target's (no int3 is ever written into guest memory).
"""
from __future__ import annotations

import ipaddress
import shlex
import socket
import tempfile
from pathlib import Path
from typing import Callable

from .elf import write_symbol_file
from .session import GdbSession

SYMBOL_FILE_NAME = "simpleos-symbols.elf"


def serve(target, port: int, host: str = "127.0.0.1", on_ready: Callable[[int], None] | None = None, *,
          echo: Callable[[str], None] | None = None, symbol_dir: str | Path | None = None,
          accept_timeout: float | None = None) -> str:
    """Serve one gdb connection on host:port (port 0: any free port) and return why it
    ended: "killed", "detached", "disconnected" or "timeout" (no gdb within accept_timeout).
    on_ready(port) is called once the port listens. With `echo` or `symbol_dir`, the
    symbol file is written (into symbol_dir, else a new temporary directory), offered
    to gdb as the executable (qXfer:exec-file), and with `echo` the gdb command line
    is echoed. Only loopback addresses are accepted: ValueError otherwise."""
    family, address = _loopback(host)
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(1)
        actual_port = listener.getsockname()[1]
        path = write_symbols(target, symbol_dir) if echo is not None or symbol_dir is not None else None
        if echo is not None:
            echo(recipe(actual_port, path, address))
        if on_ready is not None:
            on_ready(actual_port)
        listener.settimeout(accept_timeout)
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            return "timeout"
    with connection:
        connection.settimeout(None)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return GdbSession(target, connection, log=echo, symbol_path=path).run()


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
    """Write the ELF symbol file of the target's kernel; returns its path."""
    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="simpleos-gdb-"))
    path = folder / SYMBOL_FILE_NAME
    write_symbol_file(path, target.kernel)
    return path


def recipe(port: int, symbol_path: str | Path, host: str = "127.0.0.1") -> str:
    """How to attach: the gdb command line for this port and symbol file. (`set sysroot`
    with no value makes gdb read the symbol file from the local disk without asking
    the stub for it, which it cannot serve.)"""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return (f"gdb stub listening on {where}; attach with:\n"
            f"  gdb -ex 'set sysroot' -ex 'set architecture i386:x86-64' "
            f"-ex {shlex.quote('symbol-file ' + str(symbol_path))} -ex 'target remote {where}'")
