"""Helpers of the checkpoint tests: a guest program, the state compared, a reverse-stepi through the gdb stub.

Imported by name (`from checkpointing import SPIN_THEN_FAULT, state_of, ...`).
The stub (simpleos.debug.gdb.serve) runs in a thread of its own, as `simpleos debug --gdb`
runs it.
"""
from __future__ import annotations

import socket
import threading

from simpleos.debug.gdb import serve

SPIN_THEN_FAULT = """
; `simpleos debug PROG`: compute for a while (2 x {spins} instructions: checkpoints come at
; slice ends), then read the kernel's memory: the MMU refuses, the fault is held for the debugger
_start:
    mov rcx, {spins}
spin:
    dec rcx
    jnz spin
    mov rax, 0xffff800000001000
    mov rbx, [rax]
    xor edi, edi
    mov eax, SYS_EXIT
    syscall
"""


def state_of(target):
    """Everything compared: position, all registers, the memory around the stack pointer
    (256 bytes below it and 32 above, or what of that is mapped)."""
    registers = target.registers()
    stack = None
    for below, above in ((256, 32), (256, 0), (64, 0)):
        try:
            stack = target.read_memory(registers["rsp"] - below, below + above)
            break
        except MemoryError:
            continue
    return target.position, registers, stack


def _gdb_ask(connection: socket.socket, payload: bytes) -> bytes:
    """Send one packet, ack the reply, return its payload."""
    connection.sendall(b"$%s#%02x" % (payload, sum(payload) & 0xFF))
    data = b""
    while b"#" not in data[data.find(b"$"):] or len(data) < data.find(b"#", data.find(b"$")) + 3:
        data += connection.recv(65536)
    start = data.find(b"$")
    end = data.find(b"#", start)
    connection.sendall(b"+")
    return data[start + 1:end]


def reverse_stepi_through_the_stub(target) -> bytes:
    """Serve `target` on a free port, send one `bs` (reverse-stepi) and `k`; the stop reply."""
    ready, port = threading.Event(), []

    def on_ready(number):
        port.append(number)
        ready.set()
    thread = threading.Thread(target=lambda: serve(target, 0, on_ready=on_ready, accept_timeout=20, linger=0),
                              daemon=True)
    thread.start()
    assert ready.wait(10), "the gdb stub did not start listening"
    with socket.create_connection(("127.0.0.1", port[0]), timeout=20) as connection:
        reply = _gdb_ask(connection, b"bs")          # reverse-stepi, in the stub's thread
        connection.sendall(b"$k#6b")
    thread.join(20)
    return reply
