"""One gdb connection: read events off the socket, answer packets, run the target.

A reader thread turns bytes into events (rsp.py) so that a Ctrl-C can
interrupt a `continue` while the serving thread runs the target; the
serving thread acknowledges, answers (packets.py) and writes replies.
Hostile input gets an error reply or a clean close, never an exception
out of run() and never a change to the machine.
"""
from __future__ import annotations

import queue
import socket
import threading
from pathlib import Path
from typing import Callable

from . import rsp
from .packets import ERROR_MALFORMED, OK, SIGINT, THREAD, Packets

EVENT_BACKLOG = 1024              # packets read ahead of the serving thread before reading pauses
_RUN_PREFIXES = (b"c", b"C", b"s", b"S", b"vCont;", b"bc", b"bs")


class GdbSession(Packets):
    """One gdb connection: reads events, answers packets, runs the target."""

    def __init__(self, target, connection: socket.socket, log: Callable[[str], None] | None = None,
                 symbol_path: str | Path | None = None) -> None:
        super().__init__(target, log, symbol_path)
        self.connection = connection
        self.events: queue.Queue = queue.Queue(maxsize=EVENT_BACKLOG)
        self._closed = threading.Event()
        self.ack_mode = True
        self.last_sent: bytes | None = None
        self._lock = threading.Lock()
        self._running = False
        self._queued_runs = 0
        self._interrupt_pending = False

    # --- the loop ----------------------------------------------------------------------

    def run(self) -> str:
        """Serve until gdb kills, detaches or goes away; returns which."""
        reader = threading.Thread(target=self._read_loop, name="gdbstub-reader", daemon=True)
        reader.start()
        try:
            while True:
                event = self.events.get()
                if event is None:
                    return "disconnected"
                outcome = self._on_event(event)
                if outcome is not None:
                    return outcome
        finally:
            self._closed.set()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            reader.join(timeout=5)

    def _read_loop(self) -> None:
        """The reader thread: bytes -> events; Ctrl-C interrupts a running target at once."""
        reader = rsp.PacketReader()
        try:
            while True:
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                for event in reader.feed(chunk):
                    if event.kind == rsp.INTERRUPT:
                        self._interrupt()
                        continue
                    if event.kind == rsp.PACKET and event.data.startswith(_RUN_PREFIXES):
                        with self._lock:
                            self._queued_runs += 1
                    self._post(event)
        except OSError:
            pass
        finally:
            self._interrupt()          # gdb is gone: do not leave the target running
            self._post(None)

    def _post(self, event) -> None:
        """Queue an event for the serving thread; a flood waits here (until the session ends)."""
        while not self._closed.is_set():
            try:
                self.events.put(event, timeout=0.1)
                return
            except queue.Full:
                continue

    def _interrupt(self) -> None:
        """Ctrl-C: stop the running target, or the run command queued before it."""
        with self._lock:
            if self._running:
                try:
                    self.target.interrupt()
                except Exception as error:  # the reader thread must survive a target bug
                    self.errors.append(f"interrupt: {error!r}")
            elif self._queued_runs:
                self._interrupt_pending = True

    def _on_event(self, event: rsp.Event) -> str | None:
        if event.kind == rsp.NAK:
            if self.ack_mode and self.last_sent is not None:
                return self._write(self.last_sent)
        elif event.kind == rsp.CORRUPT:
            if self.ack_mode:
                return self._write(b"-")
        elif event.kind == rsp.OVERSIZED:
            return self._acknowledge() or self._reply(ERROR_MALFORMED)
        elif event.kind == rsp.PACKET:
            return self._acknowledge() or self._on_packet(event.data)
        return None

    def _on_packet(self, packet: bytes) -> str | None:
        if packet == b"k":
            return "killed"             # gdb expects no reply: it closes the connection
        if packet.startswith(b"vKill"):
            return self._reply(OK) or "killed"
        reply = self.dispatch(packet)
        console, self.console = self.console, []
        for line in console:            # a monitor command's output comes first (O packets)
            outcome = self._reply(line)
            if outcome is not None:
                return outcome
        if packet.startswith(_RUN_PREFIXES):
            with self._lock:            # this run command is over: so is any Ctrl-C meant for it
                self._queued_runs = max(0, self._queued_runs - 1)
                self._interrupt_pending = False
        outcome = self._reply(reply)
        if packet == b"QStartNoAckMode":
            self.ack_mode = False
        if packet.startswith(b"D"):
            return outcome or "detached"
        return outcome

    def _acknowledge(self) -> str | None:
        return self._write(b"+") if self.ack_mode else None

    def _reply(self, payload: bytes) -> str | None:
        self.last_sent = rsp.frame(payload)
        return self._write(self.last_sent)

    def _write(self, data: bytes) -> str | None:
        try:
            self.connection.sendall(data)
        except OSError:
            return "disconnected"
        return None

    # --- running the target ------------------------------------------------------------

    def _run(self, command, reverse: bool) -> bytes:
        """Run the target until it stops; the stop reply says why. A Ctrl-C that came in
        before the run started stops it at once."""
        if self.exited:
            return b"W00"
        with self._lock:
            if self._interrupt_pending:
                self._interrupt_pending = False
                return self._stopped(b"T%02x" % SIGINT + self._rip_field() + b"thread:" + THREAD + b";")
            self._running = True
        try:
            event = command()
        finally:
            with self._lock:
                self._running = False
        return self._stopped(self._stop_reply(event, reverse))
