"""The packets of the gdb remote protocol: what each one asks, and the reply.

Packets is the protocol half of a gdb session: registers (g/G/p/P),
memory (m/M/X), breakpoints and watchpoints (Z/z), queries (qSupported, qXfer target
description and exec-file, threads), vCont, the stop replies, and QEMU's
own packets (qemu.sstep*, monitor commands by qRcmd: monitor.py). Malformed
input gets E01, unmapped memory E14, a target failure E05, and what is not
supported an empty reply; nothing raises out of dispatch(). Running the
target (c, s, bc, bs) is the session's (session.py): it must watch for
Ctrl-C while the target runs. Framing is rsp.py's. Never decides what a
fault means.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from . import rsp
from .monitor import QemuState, monitor_command
from ..watch import GDB_COMMAND, WatchError
from .target_description import G_PACKET_BYTES, NUMBER, REGISTERS, decode, encode, target_xml

MAX_MEMORY_READ = 0x10000         # an `m` asks for at most this much; more is cut to this
PAGE = 0x1000
THREAD = b"1"                     # the one thread gdb sees
SIGTRAP, SIGINT = 5, 2

ERROR_MALFORMED = b"E01"          # the packet does not parse
ERROR_FAULT = b"E14"              # EFAULT: the memory is not mapped
ERROR_TARGET = b"E05"             # the target could not do it (EIO)
OK = b"OK"

WATCH_KINDS = {2: "write", 3: "read", 4: "access"}   # Z2, Z3, Z4
_RUN_PREFIXES = (b"c", b"C", b"s", b"S", b"vCont;", b"bc", b"bs")
_SUPPORTED = (b"PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+;"
              b"ReverseStep+;ReverseContinue+" % rsp.PACKET_SIZE)



class Packets:
    """Replies to packets for one target (the protocol state of one gdb connection)."""

    def __init__(self, target, log: Callable[[str], None] | None = None,
                 symbol_path: str | Path | None = None) -> None:
        self.target = target
        self.log = log
        self.symbol_path = str(symbol_path) if symbol_path is not None else None
        self.exited = False
        self.last_stop: bytes | None = None
        self.gdb_features: set[bytes] = set()
        self.breakpoints: dict[int, set[int]] = {}   # address -> Z types (0 software, 1 hardware)
        self.errors: list[str] = []                    # target exceptions turned into error replies
        self.qemu = QemuState()                        # QEMU's qemu.sstep flags (monitor.py)
        self.console: list[bytes] = []                 # O packets to send before the next reply

    def dispatch(self, packet: bytes) -> bytes:
        """The reply payload for one packet: b"" for packets we do not support, E01 for
        malformed ones, E14 for unmapped memory, E05 when the target fails."""
        try:
            return self._dispatch(packet)
        except rsp.MalformedPacket:
            return ERROR_MALFORMED
        except MemoryError:
            return ERROR_FAULT
        except Exception as error:   # a target bug must not kill the session or the host
            self.errors.append(f"{packet[:40]!r}: {error!r}")
            if self.log is not None:
                self.log(f"gdb stub: {packet[:40]!r} failed: {error!r}")
            return ERROR_TARGET

    def _dispatch(self, packet: bytes) -> bytes:
        if not packet:
            return b""
        head, body = packet[:1], packet[1:]
        if head == b"q" or head == b"Q":
            return self._query(packet)
        if head == b"v":
            return self._v_packet(packet)
        if head == b"?":
            return self._stop_reply_now()
        if head == b"g":
            return self._read_registers()
        if head == b"G":
            return self._write_registers(body)
        if head == b"p":
            return self._read_register(body)
        if head == b"P":
            return self._write_register(body)
        if head == b"m":
            return self._read_memory(body)
        if head == b"M":
            return self._write_memory_hex(body)
        if head == b"X":
            return self._write_memory_binary(body)
        if head in (b"Z", b"z"):
            return self._breakpoint(head == b"Z", body)
        if head in (b"c", b"C", b"s", b"S"):
            return self._resume(head, body)
        if packet in (b"bc", b"bs"):
            return self._run(self.target.reverse_cont if packet == b"bc" else self.target.reverse_stepi,
                             reverse=True)
        if head == b"H":
            return OK if body[1:] in (b"0", b"-1", THREAD, b"p1." + THREAD) else ERROR_MALFORMED
        if head == b"T":
            return OK if body == THREAD else ERROR_MALFORMED
        if head == b"D":
            return OK
        return b""

    def _query(self, packet: bytes) -> bytes:
        name = packet.split(b":", 1)[0]
        if name == b"qSupported":
            self.gdb_features = set(packet[len(b"qSupported:"):].split(b";"))
            return _SUPPORTED + (b";qXfer:exec-file:read+" if self.symbol_path else b"")
        if packet.startswith(b"qXfer:features:read:"):
            return self._read_features(packet[len(b"qXfer:features:read:"):])
        if packet.startswith(b"qXfer:exec-file:read:") and self.symbol_path:
            _, _, span = packet[len(b"qXfer:exec-file:read:"):].partition(b":")
            return _xfer_slice(self.symbol_path.encode("utf-8"), span)
        if packet == b"QStartNoAckMode":
            return OK
        if packet == b"qAttached" or packet.startswith(b"qAttached:"):
            return b"1"
        if packet == b"qC":
            return b"QC" + THREAD
        if packet == b"qfThreadInfo":
            return b"m" + THREAD
        if packet == b"qsThreadInfo":
            return b"l"
        if name == b"qSymbol":
            return OK
        if packet.startswith(b"qRcmd,"):
            return self._monitor(packet[len(b"qRcmd,"):])
        return self.qemu.answer(packet) or b""   # qOffsets and the rest: empty, as QEMU's system stub

    def _monitor(self, command_hex: bytes) -> bytes:
        """qRcmd,HEX: a monitor command; its output goes out first as O packets (self.console)."""
        if len(command_hex) % 2:
            return ERROR_MALFORMED
        command = rsp.decode_hex(command_hex).decode("utf-8", "replace")
        text = "".join(line + "\n" for line in monitor_command(self.target, command))
        chunk = rsp.PACKET_SIZE // 2 - 1
        self.console = [b"O" + rsp.encode_hex(text[i:i + chunk].encode()) for i in range(0, len(text), chunk)]
        return OK

    def _read_features(self, request: bytes) -> bytes:
        """qXfer:features:read:target.xml:offset,length -> m/l + a slice of the description."""
        annex, _, span = request.partition(b":")
        if annex != b"target.xml":
            return b"E00"
        return _xfer_slice(target_xml(), span)

    def _v_packet(self, packet: bytes) -> bytes:
        if packet == b"vCont?":
            return b"vCont;c;C;s;S"
        if packet.startswith(b"vCont;"):
            action = _vcont_action(packet[len(b"vCont;"):])
            if action is None:
                return self._stop_reply_now()  # nothing for our thread: it stays stopped
            step = action[:1] in b"sS"
            return self._run(self.target.stepi if step else self.target.cont, reverse=False)
        return b""  # vMustReplyEmpty and everything we do not know

    # --- registers -------------------------------------------------------------------------

    def _read_registers(self) -> bytes:
        values = self.target.registers()
        return b"".join(encode(r, values.get(r.name, 0) if r.modelled else 0) for r in REGISTERS)

    def _write_registers(self, body: bytes) -> bytes:
        raw = rsp.decode_hex(body)
        if len(raw) != G_PACKET_BYTES:
            raise rsp.MalformedPacket("G packet of the wrong length")
        current, offset = self.target.registers(), 0
        for register in REGISTERS:
            value = decode(register, raw[offset:offset + register.size])
            offset += register.size
            if register.modelled and value != current.get(register.name, 0) & ((1 << register.bits) - 1):
                self.target.write_register(register.name, value)
        return OK

    def _register(self, text: bytes):
        number = rsp.parse_number(text, limit=len(REGISTERS) - 1)
        return REGISTERS[number]

    def _read_register(self, body: bytes) -> bytes:
        register = self._register(body)
        value = self.target.registers().get(register.name, 0) if register.modelled else 0
        return encode(register, value)

    def _write_register(self, body: bytes) -> bytes:
        number, _, value = body.partition(b"=")
        register = self._register(number)
        raw = rsp.decode_hex(value)
        if len(raw) != register.size:
            raise rsp.MalformedPacket("register value of the wrong width")
        if register.modelled:
            self.target.write_register(register.name, decode(register, raw))
        return OK

    # --- memory ----------------------------------------------------------------------------

    def _read_memory(self, body: bytes) -> bytes:
        address, length = _address_length(body)
        length = min(length, MAX_MEMORY_READ, (1 << 64) - address)
        if length == 0:
            return b""
        data = self._readable_prefix(address, length)
        return rsp.encode_hex(data) if data else ERROR_FAULT

    def _readable_prefix(self, address: int, length: int) -> bytes:
        """As much of [address, address+length) as can be read, from the start."""
        try:
            return bytes(self.target.read_memory(address, length))[:length]
        except MemoryError:
            pass
        data = bytearray()
        while len(data) < length:
            at = address + len(data)
            size = min(length - len(data), PAGE - at % PAGE)
            try:
                data += bytes(self.target.read_memory(at, size))[:size]
            except MemoryError:
                break
        return bytes(data)

    def _write_memory_hex(self, body: bytes) -> bytes:
        where, colon, data = body.partition(b":")
        if not colon:
            raise rsp.MalformedPacket("M without data")
        return self._write_memory(where, rsp.decode_hex(data))

    def _write_memory_binary(self, body: bytes) -> bytes:
        where, colon, data = body.partition(b":")
        if not colon:
            raise rsp.MalformedPacket("X without data")
        return self._write_memory(where, rsp.unescape_binary(data))

    def _write_memory(self, where: bytes, data: bytes) -> bytes:
        address, length = _address_length(where)
        if length != len(data) or address + length > 1 << 64:
            raise rsp.MalformedPacket("length does not match the data")
        if length:
            self.target.write_memory(address, data)
        return OK

    # --- breakpoints -----------------------------------------------------------------------

    def _breakpoint(self, insert: bool, body: bytes) -> bytes:
        fields = body.split(b";", 1)[0].split(b",")
        if len(fields) != 3:
            raise rsp.MalformedPacket("Z/z needs type,address,kind")
        kind = rsp.parse_number(fields[0], limit=0xFF)
        address = rsp.parse_number(fields[1])
        length = rsp.parse_number(fields[2], limit=0xFFFF)
        if kind in WATCH_KINDS:
            return self._watchpoint(insert, WATCH_KINDS[kind], address, length)
        if kind not in (0, 1):
            return b""
        types = self.breakpoints.get(address, set())
        if insert:
            if not types:
                self.target.add_breakpoint(address)
            self.breakpoints[address] = types | {kind}
        elif kind in types:
            types = types - {kind}
            if types:
                self.breakpoints[address] = types
            else:
                del self.breakpoints[address]
                self.target.remove_breakpoint(address)
        return OK

    def _watchpoint(self, insert: bool, kind: str, address: int, length: int) -> bytes:
        """Z2/Z3/Z4 (write, read, access) and z2/z3/z4: the target's watchpoints (debug/watch.py).
        One that cannot be set (unmapped, too long) is E14: gdb says it could not insert it.
        A target without watchpoints gets the empty reply: not supported."""
        if not hasattr(self.target, "find_watchpoint"):
            return b""
        found = self.target.find_watchpoint(address, length, kind)
        if insert and found is None:
            try:
                self.target.add_watchpoint(address, length, kind)
            except WatchError:
                return ERROR_FAULT
        elif not insert and found is not None:
            self.target.remove_watchpoint(found)
        return OK

    # --- running ---------------------------------------------------------------------------

    def _resume(self, head: bytes, body: bytes) -> bytes:
        """c/C/s/S [sig;][addr]: the signal is ignored (nothing to deliver it to)."""
        if head in (b"C", b"S"):
            signal, _, body = body.partition(b";")
            rsp.parse_number(signal, limit=0xFF)
        if body:
            address = rsp.parse_number(body)
            if not self.exited:
                self.target.write_register("rip", address)
        step = head in (b"s", b"S")
        return self._run(self.target.stepi if step else self.target.cont, reverse=False)

    def _run(self, command, reverse: bool) -> bytes:
        """Run the target until it stops; the stop reply (the session adds Ctrl-C handling)."""
        if self.exited:
            return b"W00"
        return self._stopped(self._stop_reply(command(), reverse))

    def _stopped(self, reply: bytes) -> bytes:
        self.last_stop = reply
        return reply

    def _stop_reply(self, event, reverse: bool) -> bytes:
        """The T packet for a StopEvent (W00 once the machine has nothing left to run)."""
        if event.reason == "idle":
            self.exited = True
            return b"W00"
        signal = event.signal if isinstance(event.signal, int) and 0 < event.signal < 256 else SIGTRAP
        reply = b"T%02x" % signal + _rip(event.address) + b"thread:" + THREAD + b";"
        if event.reason == "breakpoint":
            hardware = self.breakpoints.get(event.address, set()) == {1}
            feature = b"hwbreak" if hardware else b"swbreak"
            if feature + b"+" in self.gdb_features:
                reply += feature + b":;"
        if event.reason == "watchpoint":
            hit = event.watch
            reply += b"%s:%x;" % (GDB_COMMAND[hit.watchpoint.kind].encode(), hit.data_address)
        if reverse and event.reason == "start":
            reply += b"replaylog:begin;"
        return reply

    def _stop_reply_now(self) -> bytes:
        """`?`: the last stop, or (before any) a SIGTRAP where the target stands."""
        if self.exited:
            return b"W00"
        if self.last_stop is not None:
            return self.last_stop
        return b"T%02x" % SIGTRAP + self._rip_field() + b"thread:" + THREAD + b";"

    def _rip_field(self) -> bytes:
        return _rip(self.target.registers().get("rip", 0))


def _rip(address) -> bytes:
    """The expedited `rip` field of a stop reply."""
    number = NUMBER["rip"]
    value = address if isinstance(address, int) else 0
    return b"%02x:" % number + encode(REGISTERS[number], value) + b";"


def _xfer_slice(document: bytes, span: bytes) -> bytes:
    """A qXfer read reply for `offset,length` of `document`: m (more follows) or l (last)."""
    offset, length = _address_length(span)
    chunk = document[offset:offset + min(length, rsp.PACKET_SIZE // 2)]
    more = chunk and offset + len(chunk) < len(document)
    return (b"m" if more else b"l") + rsp.escape_binary(chunk)


def _address_length(text: bytes) -> tuple[int, int]:
    """`addr,length` as two numbers."""
    address, comma, length = text.partition(b",")
    if not comma:
        raise rsp.MalformedPacket("expected addr,length")
    return rsp.parse_number(address), rsp.parse_number(length)


def _vcont_action(actions: bytes) -> bytes | None:
    """The first vCont action that applies to our thread (c, C, s or S), or None.
    Every action is checked first: one we do not support makes the packet malformed."""
    chosen = None
    for action in actions.split(b";"):
        verb, _, thread = action.partition(b":")
        if verb[:1] in (b"C", b"S"):
            rsp.parse_number(verb[1:], limit=0xFF)
        elif verb not in (b"c", b"s"):
            raise rsp.MalformedPacket(f"unsupported vCont action {verb[:8]!r}")
        if chosen is None and (not thread or thread in (b"-1", b"0", THREAD, b"p1." + THREAD, b"p1.-1")):
            chosen = verb
    return chosen
