"""The gdb stub over a whole debugging session, as QEMU's stub behaves: gdb may detach and
attach again, a client that says nothing does not end the stub, a second gdb is told at once
that the target is busy; non-canonical addresses are never mapped; the temporary symbol
folder is removed when the stub ends."""
from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from simpleos.debug.gdb import serve
from simpleos.debug.gdb.server import BUSY_MESSAGE
from test_gdb_protocol import Client, FakeTarget, Server

REATTACH = 10          # seconds the stub keeps listening after a gdb leaves, in these tests


def attach(port: int) -> Client:
    """A gdb-like client that has said hello (qSupported) and asked where the target stopped."""
    client = Client(port)
    assert client.ask(b"qSupported:swbreak+").startswith(b"PacketSize=")
    return client


def test_gdb_can_detach_and_attach_again_and_finds_the_machine_where_it_stopped():
    target = FakeTarget()
    server = Server(target, linger=REATTACH)
    first = attach(server.port)
    assert first.ask(b"s").startswith(b"T05")
    assert first.ask(b"s").startswith(b"T05")
    where = first.ask(b"?")
    assert first.ask(b"D") == b"OK"
    first.close()
    second = attach(server.port)
    assert second.ask(b"?") == where, "the second gdb finds the machine where the first left it"
    assert second.ask(b"s").startswith(b"T05") and target.position == 3
    second.send(b"k")
    second.close()
    assert server.finish() == "killed"


def test_a_client_that_connects_and_closes_without_a_word_does_not_end_the_stub():
    server = Server(FakeTarget(), linger=REATTACH)
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    silent.close()
    time.sleep(0.3)
    client = attach(server.port)                       # no "Connection refused"
    assert client.ask(b"?").startswith(b"T05")
    client.send(b"k")
    client.close()
    assert server.finish() == "killed"


def test_a_second_gdb_while_one_is_attached_is_told_at_once_that_the_target_is_busy():
    server = Server(FakeTarget(), linger=REATTACH)
    first = attach(server.port)
    started = time.monotonic()
    second = Client(server.port)
    notice = second.reply(ack=False)
    assert notice is not None and notice.startswith(b"O")
    assert bytes.fromhex(notice[1:].decode()).decode() == BUSY_MESSAGE
    assert second.reply(ack=False) == b"E01" and second.reply(ack=False) is None, "then the stub hangs up"
    assert time.monotonic() - started < 5, "at once, not after a timeout"
    second.close()
    assert first.ask(b"?").startswith(b"T05"), "the first gdb is undisturbed"
    first.send(b"k")
    first.close()
    assert server.finish() == "killed"


def test_the_temporary_symbol_folder_is_removed_when_the_stub_ends():
    lines: list[str] = []
    assert serve(FakeTarget(), 0, echo=lines.append, accept_timeout=0.05) == "timeout"
    path = Path(re.search(r"symbol-file (\S+)'", lines[0]).group(1))
    assert path.name == "simpleos-symbols.elf" and not path.parent.exists()


# --- non-canonical addresses: on the real DebugTarget ------------------------------------------------

@pytest.fixture(scope="module")
def debug_target(tmp_path_factory):
    from simpleos.debug.target import DebugTarget
    from simpleos.system import BootOptions
    return DebugTarget(BootOptions(machine=str(tmp_path_factory.mktemp("m")), fresh=True))


def test_non_canonical_addresses_are_refused_and_change_nothing(debug_target):
    from simpleos.debug.gdb import GdbSession
    from simpleos.debug.gdb.target_description import NUMBER
    session = GdbSession(debug_target, connection=None)
    physical_zero = debug_target.cpu.memory.read(0, 16)
    rip = debug_target.registers()["rip"]
    for packet in (b"M800000000000,4:deadbeef", b"X800000000000,4:abcd", b"m800000000000,4",
                   b"m7fffffffffff0000,4", b"Z0,800000000000,1"):
        assert session.dispatch(packet).startswith(b"E"), packet
    non_canonical_rip = (0x0000800000000000).to_bytes(8, "little").hex().encode()
    assert session.dispatch(b"P%x=%s" % (NUMBER["rip"], non_canonical_rip)).startswith(b"E")
    assert debug_target.cpu.memory.read(0, 16) == physical_zero, "physical 0 was not written through an alias"
    assert debug_target.registers()["rip"] == rip and debug_target.breakpoints == set()
    # the canonical twin of the alias still reads as before
    assert session.dispatch(b"mffff800000000000,4") == physical_zero[:4].hex().encode()
