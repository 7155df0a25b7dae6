"""The gdb remote stub's protocol layer against a small fake target: framing,
checksums, escapes, every packet type, Ctrl-C, and fuzzing over a real socket.

FakeTarget implements the DebugTarget contract (simpleos/debug/target.py) over
a toy machine whose every instruction is one byte long, so these tests say
nothing about SimpleOS itself: test_gdb_real.py does, with real gdb.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simpleos.assembler import Image
from simpleos.debug.gdb import rsp
from simpleos.debug.gdb.elf import STT_FUNC, STT_OBJECT, symbol_file_bytes
from simpleos.debug.gdb import MAX_MEMORY_READ, GdbSession, serve
from simpleos.debug.gdb.target_description import G_PACKET_BYTES, NUMBER, REGISTERS, target_xml
from simpleos.kernel.loader import Module

# --- the fake target ---------------------------------------------------------------------

CODE = 0x401000            # one page of one-byte "instructions" (NOPs)
DATA = 0x402000            # one page of data
STACK = 0x7FF000           # one page of stack
FAULT_AT = CODE + 0x20     # executing here faults (SIGSEGV), like compare_string's load
SPIN_AT = CODE + 0x30      # `jmp $`: runs until interrupted
END = CODE + 0x40          # reaching here: nothing left to run (idle)
SYMBOLS = {"start": CODE, "middle": CODE + 0x10, "crash": FAULT_AT, "spin": SPIN_AT, "table": DATA,
           "counter": DATA + 0x10}
REGISTER_KEYS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", *[f"r{n}" for n in range(8, 16)],
                 "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base",
                 "cr0", "cr2", "cr3", "cr4"]


@dataclass
class FakeStop:
    """StopEvent of the contract."""
    reason: str
    address: int
    trap: object = None
    bugcheck: object = None
    signal: int = 5
    description: str = ""


class FakeKernel:
    """What the symbol file writer reads: modules and processes."""

    def __init__(self) -> None:
        code = bytes([0x90]) * 0x1000 + bytes(range(256)) * 16
        self.modules = [Module("fake.sys", Image("fake.sys", CODE, code, 0x1000, dict(SYMBOLS)))]
        self.processes = {}


class FakeTarget:
    """The DebugTarget contract over a toy machine (see the module docstring)."""

    def __init__(self, spin: bool = False) -> None:
        self.kernel = FakeKernel()
        image = self.kernel.modules[0].image
        self.pages = {CODE: bytearray(image.code[:0x1000]), DATA: bytearray(image.code[0x1000:]),
                      STACK: bytearray(b"\xAA" * 0x1000)}
        self.regs = {name: 0 for name in REGISTER_KEYS}
        self.regs.update(rip=CODE, rsp=STACK + 0xF00, rbp=STACK + 0xF80, rax=0x1122334455667788, eflags=0x246,
                         cs=0x08, ss=0x10, cr0=0x80010001, cr3=0x100000, cr4=0xA0)
        self.breakpoints: set[int] = set()
        self.history: list[int] = []
        self.calls: list[tuple] = []           # every call that changes the machine
        self.spin = spin
        self.interrupted = threading.Event()
        self.running = threading.Event()
        self.position = 0

    # registers and memory
    def registers(self) -> dict[str, int]:
        return dict(self.regs)

    def write_register(self, name: str, value: int) -> None:
        if name not in self.regs:
            raise KeyError(name)
        self.calls.append(("write_register", name, value))
        self.regs[name] = value

    def _page(self, address: int) -> bytearray:
        page = self.pages.get(address & ~0xFFF)
        if page is None:
            raise MemoryError(f"unmapped: {address:#x}")
        return page

    def read_memory(self, address: int, length: int) -> bytes:
        return bytes(self._page(a)[a & 0xFFF] for a in range(address, address + length))

    def write_memory(self, address: int, data: bytes) -> None:
        self.read_memory(address, len(data))
        self.calls.append(("write_memory", address, bytes(data)))
        for i, byte in enumerate(data):
            self._page(address + i)[(address + i) & 0xFFF] = byte

    def state(self):
        """Everything a debugger could change: compare before and after."""
        return dict(self.regs), {k: bytes(v) for k, v in self.pages.items()}, set(self.breakpoints)

    # breakpoints
    def add_breakpoint(self, address: int) -> None:
        self.calls.append(("add_breakpoint", address))
        self.breakpoints.add(address)

    def remove_breakpoint(self, address: int) -> None:
        self.calls.append(("remove_breakpoint", address))
        self.breakpoints.discard(address)

    # running
    def _execute(self) -> FakeStop | None:
        rip = self.regs["rip"]
        if rip == FAULT_AT:
            return FakeStop("fault", rip, signal=11)
        if rip >= END:
            return FakeStop("idle", rip, signal=0)
        if rip == SPIN_AT and self.spin:
            time.sleep(0.001)
            return None
        self.history.append(rip)
        self.regs["rip"] = rip + 1
        self.position += 1
        return None

    def stepi(self) -> FakeStop:
        self.calls.append(("stepi",))
        return self._execute() or FakeStop("step", self.regs["rip"])

    def cont(self) -> FakeStop:
        self.calls.append(("cont",))
        self.running.set()
        try:
            first = True
            while True:
                if self.interrupted.is_set():
                    self.interrupted.clear()
                    return FakeStop("interrupted", self.regs["rip"], signal=2)
                if not first and self.regs["rip"] in self.breakpoints:
                    return FakeStop("breakpoint", self.regs["rip"])
                first = False
                stop = self._execute()
                if stop is not None:
                    return stop
        finally:
            self.running.clear()

    def interrupt(self) -> None:
        self.interrupted.set()

    def reverse_stepi(self) -> FakeStop:
        self.calls.append(("reverse_stepi",))
        if not self.history:
            return FakeStop("start", self.regs["rip"])
        self.regs["rip"] = self.history.pop()
        return FakeStop("step", self.regs["rip"])

    def reverse_cont(self) -> FakeStop:
        self.calls.append(("reverse_cont",))
        while self.history:
            self.regs["rip"] = self.history.pop()
            if self.regs["rip"] in self.breakpoints:
                return FakeStop("breakpoint", self.regs["rip"])
        return FakeStop("start", self.regs["rip"])

    def symbolize(self, address: int) -> str:
        return hex(address)

    def lookup(self, symbol: str) -> int:
        return SYMBOLS[symbol]


# --- helpers ----------------------------------------------------------------------------------

def session(target=None) -> GdbSession:
    """A session whose packets we feed to dispatch() directly (no socket)."""
    return GdbSession(target or FakeTarget(), connection=None)


def hexle(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little").hex().encode()


class Client:
    """A minimal gdb-side client, independent of rsp.py."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # as gdb does: no Nagle delays
        self.buffer = b""
        self.acks = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, payload: bytes) -> None:
        self.send_raw(b"$%s#%02x" % (payload, sum(payload) & 0xFF))

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def reply(self, ack: bool = True) -> bytes | None:
        """The next packet's payload (checksum verified), or None at EOF."""
        while True:
            start = self.buffer.find(b"$")
            self.acks += self.buffer[:start] if start >= 0 else self.buffer
            if start >= 0:
                self.buffer = self.buffer[start:]
                end = self.buffer.find(b"#")
                if end >= 0 and len(self.buffer) >= end + 3:
                    payload, digits = self.buffer[1:end], self.buffer[end + 1:end + 3]
                    self.buffer = self.buffer[end + 3:]
                    assert int(digits, 16) == sum(payload) & 0xFF, "the stub sent a bad checksum"
                    if ack:
                        self.send_raw(b"+")
                    return payload
            else:
                self.buffer = b""
            if not self._fill():
                return None

    def ask(self, payload: bytes, ack: bool = True) -> bytes | None:
        self.send(payload)
        return self.reply(ack)

    def close(self) -> None:
        self.sock.close()


class Server:
    """serve() in a thread on a free port. By default it returns as soon as its gdb leaves
    (linger=0); pass linger=N to let gdb attach again within N seconds."""

    def __init__(self, target, **options) -> None:
        options.setdefault("linger", 0)
        self.target = target
        self.outcome: list = []
        self.failure: list = []
        ready = threading.Event()
        self.port = 0

        def on_ready(port: int) -> None:
            self.port = port
            ready.set()

        def run() -> None:
            try:
                self.outcome.append(serve(target, 0, on_ready=on_ready, accept_timeout=20, **options))
            except BaseException as error:  # recorded: the test fails on it
                self.failure.append(error)
                ready.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(10)
        assert not self.failure, self.failure

    def finish(self) -> str:
        self.thread.join(20)
        assert not self.thread.is_alive(), "serve() did not return"
        assert not self.failure, self.failure
        return self.outcome[0]


# --- framing --------------------------------------------------------------------------------

def test_checksum_and_frame():
    assert rsp.checksum(b"OK") == 0x9A
    assert rsp.frame(b"OK") == b"$OK#9a"
    assert rsp.frame(b"") == b"$#00"
    assert rsp.frame(b"qSupported") == b"$qSupported#37"


def test_escape_covers_the_four_special_bytes():
    assert rsp.escape_binary(b"a#b$c}d*e") == b"a}\x03b}\x04c}]d}\x0ae"
    assert rsp.unescape_binary(b"a}\x03b}\x04c}]d}\x0ae") == b"a#b$c}d*e"


@given(st.binary(max_size=300))
def test_escape_round_trips_and_hides_special_bytes(data):
    escaped = rsp.escape_binary(data)
    assert rsp.unescape_binary(escaped) == data
    assert not set(escaped) & set(b"#$*")


def test_unescape_rejects_a_trailing_escape():
    with pytest.raises(rsp.MalformedPacket):
        rsp.unescape_binary(b"abc}")


@pytest.mark.parametrize("text", [b"0", b"zz", b"123", b"0x12", b"-1", b"a b "])
def test_decode_hex_rejects_non_hex(text):
    with pytest.raises(rsp.MalformedPacket):
        rsp.decode_hex(text)


def test_decode_hex_accepts_either_case():
    assert rsp.decode_hex(b"") == b""
    assert rsp.decode_hex(b"aBcD") == b"\xab\xcd"


def test_parse_number_checks_digits_and_range():
    assert rsp.parse_number(b"ffffffff8000424f") == 0xFFFFFFFF8000424F
    for bad in (b"", b"g", b"1" * 33, b"1 2"):
        with pytest.raises(rsp.MalformedPacket):
            rsp.parse_number(bad)
    with pytest.raises(rsp.MalformedPacket):
        rsp.parse_number(b"1" + b"0" * 16)
    with pytest.raises(rsp.MalformedPacket):
        rsp.parse_number(b"100", limit=0xFF)


def kinds(events):
    return [(e.kind, e.data) for e in events]


def test_reader_finds_packets_acks_and_interrupts_among_noise():
    reader = rsp.PacketReader()
    events = reader.feed(b"junk+-\x03$g#67\r\n$m0,1#fa")
    assert kinds(events) == [("ack", b""), ("nak", b""), ("interrupt", b""), ("packet", b"g"),
                             ("packet", b"m0,1")]


def test_reader_reassembles_a_packet_fed_one_byte_at_a_time():
    reader = rsp.PacketReader()
    events = []
    for byte in rsp.frame(b"qSupported:multiprocess+;swbreak+"):
        events += reader.feed(bytes([byte]))
    assert kinds(events) == [("packet", b"qSupported:multiprocess+;swbreak+")]


def test_reader_reports_bad_and_non_hex_checksums():
    reader = rsp.PacketReader()
    assert kinds(reader.feed(b"$g#00$g#zz$g#67")) == [("corrupt", b""), ("corrupt", b""), ("packet", b"g")]


def test_reader_restarts_on_a_dollar_inside_a_packet():
    reader = rsp.PacketReader()
    assert kinds(reader.feed(b"$garbage$g#67")) == [("packet", b"g")]
    assert kinds(reader.feed(b"$g#6$g#67")) == [("packet", b"g")]


def test_reader_refuses_oversized_packets_but_stays_in_step():
    reader = rsp.PacketReader(max_payload=16)
    big = b"M0,20:" + b"00" * 32
    events = reader.feed(rsp.frame(big) + rsp.frame(b"?"))
    assert kinds(events) == [("oversized", b""), ("packet", b"?")]


@given(st.binary(max_size=2000), st.integers(1, 64))
def test_reader_never_raises_and_keeps_working_after_garbage(garbage, split):
    reader = rsp.PacketReader(max_payload=256)
    for i in range(0, len(garbage), split):
        reader.feed(garbage[i:i + split])
    events = reader.feed(rsp.frame(b"?"))
    assert events and events[-1] == rsp.Event(rsp.PACKET, b"?")


# --- the target description ------------------------------------------------------------------

def test_target_xml_numbers_registers_as_the_g_packet_orders_them():
    root = ET.fromstring(target_xml().split(b"\n", 2)[2])
    assert root.find("architecture").text == "i386:x86-64"
    regs = [(feature.get("name"), reg.get("name"), int(reg.get("regnum")), int(reg.get("bitsize")))
            for feature in root.iter("feature") for reg in feature.iter("reg")]
    assert [r[2] for r in regs] == list(range(len(REGISTERS)))
    assert [r[1] for r in regs] == [r.name for r in REGISTERS]
    assert sum(r[3] for r in regs) // 8 == G_PACKET_BYTES
    core = [name for feature, name, _, _ in regs if feature == "org.gnu.gdb.i386.core"]
    assert core[:24] == ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", *[f"r{n}" for n in range(8, 16)],
                         "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"]
    assert len(core) == 40  # gdb's amd64 rejects a core feature without the x87 registers
    segments = [name for feature, name, _, _ in regs if feature == "org.gnu.gdb.i386.segments"]
    assert segments == ["fs_base", "gs_base"]


def test_xfer_reads_the_description_in_pieces():
    s = session()
    whole, offset = b"", 0
    while True:
        reply = s.dispatch(b"qXfer:features:read:target.xml:%x,%x" % (offset, 100))
        assert reply[:1] in (b"m", b"l")
        piece = rsp.unescape_binary(reply[1:])
        whole += piece
        offset += len(piece)
        if reply[:1] == b"l":
            break
    assert whole == target_xml()
    assert s.dispatch(b"qXfer:features:read:other.xml:0,100") == b"E00"
    assert s.dispatch(b"qXfer:features:read:target.xml:zz,100") == b"E01"
    assert s.dispatch(b"qXfer:features:read:target.xml:100000,100") == b"l"


# --- packets, one by one -----------------------------------------------------------------------

def test_qsupported_announces_what_the_stub_does():
    reply = session().dispatch(b"qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")
    features = reply.split(b";")
    for feature in (b"PacketSize=4000", b"qXfer:features:read+", b"QStartNoAckMode+", b"swbreak+", b"hwbreak+",
                    b"vContSupported+", b"ReverseStep+", b"ReverseContinue+"):
        assert feature in features


@pytest.mark.parametrize("packet, reply", [
    (b"qAttached", b"1"), (b"qAttached:1", b"1"), (b"qC", b"QC1"), (b"qfThreadInfo", b"m1"),
    (b"qsThreadInfo", b"l"), (b"Hg0", b"OK"), (b"Hc-1", b"OK"), (b"Hg1", b"OK"), (b"Hg2", b"E01"),
    (b"T1", b"OK"), (b"T2", b"E01"), (b"vMustReplyEmpty", b""), (b"qOffsets", b""),
    (b"qSymbol::", b"OK"), (b"qTStatus", b""), (b"vCont?", b"vCont;c;C;s;S"), (b"QStartNoAckMode", b"OK"),
    (b"!", b""), (b"Z2,402000,8", b""), (b"qRcmd,68656c70", b"OK"), (b"vFile:open:2f,0,0", b""), (b"", b""),
    (b"zzz", b"E01"),
])
def test_simple_queries(packet, reply):
    assert session().dispatch(packet) == reply


def test_question_mark_before_any_run_is_a_sigtrap_where_the_target_stands():
    reply = session().dispatch(b"?")
    assert reply == b"T05%02x:%s;thread:1;" % (NUMBER["rip"], hexle(CODE, 8))


def test_g_packet_holds_every_register_in_order():
    target = FakeTarget()
    raw = bytes.fromhex(session(target).dispatch(b"g").decode())
    assert len(raw) == G_PACKET_BYTES
    offset = 0
    for register in REGISTERS:
        value = int.from_bytes(raw[offset:offset + register.size], "little")
        expected = target.regs[register.name] if register.modelled else 0
        assert value == expected & ((1 << register.bits) - 1), register.name
        offset += register.size


def test_G_packet_writes_only_what_changed():
    target = FakeTarget()
    s = session(target)
    raw = bytearray(bytes.fromhex(s.dispatch(b"g").decode()))
    raw[0:8] = (0xDEAD).to_bytes(8, "little")                 # rax
    x87 = sum(r.size for r in REGISTERS[:NUMBER["st0"]])
    raw[x87:x87 + 10] = b"\x01" * 10                           # st0: not modelled, ignored
    assert s.dispatch(b"G" + raw.hex().encode()) == b"OK"
    assert target.calls == [("write_register", "rax", 0xDEAD)]
    assert s.dispatch(b"G" + raw[:-1].hex().encode()) == b"E01"
    assert s.dispatch(b"G" + b"zz" * G_PACKET_BYTES) == b"E01"


def test_p_and_P_read_and_write_single_registers():
    target = FakeTarget()
    s = session(target)
    assert s.dispatch(b"p%x" % NUMBER["rip"]) == hexle(CODE, 8)
    assert s.dispatch(b"p%x" % NUMBER["eflags"]) == hexle(0x246, 4)
    assert s.dispatch(b"p%x" % NUMBER["cr3"]) == hexle(0x100000, 8)
    assert s.dispatch(b"p%x" % NUMBER["st0"]) == b"00" * 10
    assert s.dispatch(b"p%x" % len(REGISTERS)) == b"E01"
    assert s.dispatch(b"pzz") == b"E01"
    assert s.dispatch(b"P%x=%s" % (NUMBER["rbx"], hexle(0x1234, 8))) == b"OK"
    assert target.regs["rbx"] == 0x1234
    assert s.dispatch(b"P%x=%s" % (NUMBER["rbx"], hexle(1, 4))) == b"E01"      # wrong width
    assert s.dispatch(b"P%x=%s" % (NUMBER["st3"], b"00" * 10)) == b"OK"        # ignored
    assert s.dispatch(b"P%x" % NUMBER["rbx"]) == b"E01"
    assert target.calls == [("write_register", "rbx", 0x1234)]


def test_m_reads_memory_and_reports_unmapped_as_E14():
    target = FakeTarget()
    s = session(target)
    assert s.dispatch(b"m%x,4" % DATA) == b"00010203"
    assert s.dispatch(b"m0,4") == b"E14"
    assert s.dispatch(b"m%x,0" % DATA) == b""
    # across the end of a mapping: the readable part only
    assert s.dispatch(b"m%x,8" % (DATA + 0xFFC)) == b"fcfdfeff"
    assert s.dispatch(b"mzz,4") == b"E01"
    assert s.dispatch(b"m%x" % DATA) == b"E01"


def test_m_with_absurd_lengths_is_capped():
    target = FakeTarget()
    target.pages.update({DATA + page * 0x1000: bytearray(0x1000) for page in range(1, 20)})
    s = session(target)
    reply = s.dispatch(b"m%x,ffffffffffffffff" % DATA)
    assert len(reply) == 2 * MAX_MEMORY_READ
    assert s.dispatch(b"mffffffffffffffff,10") == b"E14"              # runs off the end of the address space
    assert s.dispatch(b"m%x,1%s" % (DATA, b"0" * 40)) == b"E01"


def test_M_and_X_write_memory():
    target = FakeTarget()
    s = session(target)
    assert s.dispatch(b"M%x,2:abcd" % DATA) == b"OK"
    assert target.pages[DATA][:2] == b"\xab\xcd"
    binary = b"#$}*\x00"
    assert s.dispatch(b"X%x,5:" % (DATA + 8) + rsp.escape_binary(binary)) == b"OK"
    assert bytes(target.pages[DATA][8:13]) == binary
    assert s.dispatch(b"X%x,0:" % DATA) == b"OK"                       # gdb's probe for X support
    assert s.dispatch(b"M0,1:00") == b"E14"
    for bad in (b"M%x,2:abc" % DATA, b"M%x,3:abcd" % DATA, b"M%x,2" % DATA, b"M%x,2:zzzz" % DATA,
                b"X%x,2:a" % DATA, b"X%x,1:}" % DATA, b"X%x" % DATA):
        assert s.dispatch(bad) == b"E01", bad
    assert [c[0] for c in target.calls] == ["write_memory", "write_memory"]


def test_Z0_and_Z1_use_the_targets_breakpoints_and_never_write_memory():
    target = FakeTarget()
    s = session(target)
    before = bytes(target.pages[CODE])
    assert s.dispatch(b"Z0,%x,1" % (CODE + 5)) == b"OK"
    assert s.dispatch(b"Z1,%x,1" % (CODE + 5)) == b"OK"       # the same address twice: one target breakpoint
    assert target.breakpoints == {CODE + 5}
    assert s.dispatch(b"z0,%x,1" % (CODE + 5)) == b"OK"
    assert target.breakpoints == {CODE + 5}                    # the hardware one is still there
    assert s.dispatch(b"z1,%x,1" % (CODE + 5)) == b"OK"
    assert target.breakpoints == set()
    assert s.dispatch(b"z0,%x,1" % (CODE + 5)) == b"OK"        # removing twice is harmless
    assert bytes(target.pages[CODE]) == before
    assert [c for c in target.calls if c[0] == "write_memory"] == []
    for bad in (b"Z0,zz,1", b"Z0,%x" % CODE, b"Z9999,0,1", b"Z0,%x,1,2" % CODE):
        assert s.dispatch(bad) == b"E01", bad
    assert s.dispatch(b"Z0,%x,1;X1,0" % CODE) == b"OK"        # conditions ignored


def rip_of(reply: bytes) -> int:
    field = reply.split(b"%02x:" % NUMBER["rip"], 1)[1].split(b";", 1)[0]
    return int.from_bytes(bytes.fromhex(field.decode()), "little")


def test_continue_to_a_breakpoint_reports_swbreak_when_gdb_asked_for_it():
    s = session()
    s.dispatch(b"qSupported:swbreak+;hwbreak+")
    s.dispatch(b"Z0,%x,1" % (CODE + 5))
    reply = s.dispatch(b"c")
    assert reply.startswith(b"T05") and b"thread:1;" in reply and b"swbreak:;" in reply
    assert rip_of(reply) == CODE + 5
    assert s.dispatch(b"?") == reply
    s.dispatch(b"z0,%x,1" % (CODE + 5))
    s.dispatch(b"Z1,%x,1" % (CODE + 9))
    assert b"hwbreak:;" in s.dispatch(b"vCont;c")


def test_swbreak_is_not_sent_to_a_gdb_that_did_not_ask():
    s = session()
    s.dispatch(b"qSupported:multiprocess+")
    s.dispatch(b"Z0,%x,1" % (CODE + 5))
    assert b"swbreak" not in s.dispatch(b"c")


def test_step_and_vcont_step_advance_one_instruction():
    target = FakeTarget()
    s = session(target)
    assert rip_of(s.dispatch(b"s")) == CODE + 1
    assert rip_of(s.dispatch(b"vCont;s:1")) == CODE + 2
    assert rip_of(s.dispatch(b"vCont;s:1;c")) == CODE + 3
    assert rip_of(s.dispatch(b"S05")) == CODE + 4
    assert rip_of(s.dispatch(b"vCont;S05:1;c")) == CODE + 5
    assert rip_of(s.dispatch(b"s%x" % (CODE + 0x10))) == CODE + 0x11       # step from an address
    assert s.dispatch(b"vCont;s:2") == s.dispatch(b"?")                     # not our thread: nothing runs
    for bad in (b"vCont;x", b"vCont;", b"vCont;s:1;r1,2", b"vCont;Czz", b"vCont;cc", b"Szz"):
        assert s.dispatch(bad) == b"E01", bad


def test_a_fault_stops_with_its_signal_and_idle_is_exit():
    s = session()
    reply = s.dispatch(b"c")
    assert reply.startswith(b"T0b") and rip_of(reply) == FAULT_AT
    s.dispatch(b"P%x=%s" % (NUMBER["rip"], hexle(END - 2, 8)))
    assert s.dispatch(b"vCont;C0b:1;c") == b"W00"
    assert s.dispatch(b"?") == b"W00"
    assert s.dispatch(b"c") == b"W00"
    assert s.dispatch(b"s") == b"W00"


def test_reverse_step_and_continue():
    target = FakeTarget()
    s = session(target)
    s.dispatch(b"Z0,%x,1" % (CODE + 3))
    s.dispatch(b"c")
    s.dispatch(b"s")
    s.dispatch(b"s")
    assert rip_of(s.dispatch(b"bs")) == CODE + 4
    reply = s.dispatch(b"bc")
    assert rip_of(reply) == CODE + 3 and b"replaylog" not in reply
    reply = s.dispatch(b"bc")
    assert rip_of(reply) == CODE and b"replaylog:begin;" in reply
    assert b"replaylog:begin;" in s.dispatch(b"bs")


class BrokenTarget(FakeTarget):
    """A target whose every method fails: the session must survive it."""

    def registers(self):
        raise RuntimeError("registers broke")

    def cont(self):
        raise RuntimeError("cont broke")

    def add_breakpoint(self, address):
        raise RuntimeError("breakpoint broke")


def test_target_exceptions_become_error_replies_and_the_session_goes_on():
    server = Server(BrokenTarget())
    client = Client(server.port)
    for packet in (b"g", b"c", b"Z0,0,1", b"p0", b"?"):
        assert client.ask(packet) == b"E05", packet
    assert client.ask(b"m%x,1" % DATA) == b"00"
    client.close()
    assert server.finish() == "disconnected"


# --- over a socket -----------------------------------------------------------------------------

def test_a_gdb_handshake_over_tcp():
    server = Server(FakeTarget())
    client = Client(server.port)
    assert b"qXfer:features:read+" in client.ask(b"qSupported:swbreak+")
    assert client.acks.startswith(b"+")
    assert client.ask(b"vMustReplyEmpty") == b""
    assert client.ask(b"?").startswith(b"T05")
    assert client.ask(b"QStartNoAckMode") == b"OK"
    client.acks = b""
    assert client.ask(b"m%x,2" % DATA, ack=False) == b"0001"
    assert client.acks == b""                       # no-ack mode: no more '+'
    assert client.ask(b"D", ack=False) == b"OK"
    assert client.reply() is None                   # then the stub closes the connection
    assert server.finish() == "detached"


def test_bad_checksum_gets_a_nak_and_a_nak_gets_a_resend():
    server = Server(FakeTarget())
    client = Client(server.port)
    client.send_raw(b"$g#00")
    client.send(b"m%x,1" % DATA)
    assert client.reply() == b"00"
    assert b"-" in client.acks
    client.send_raw(b"-")
    assert client.reply() == b"00"                 # the same reply again
    client.send_raw(b"$k#6b")
    assert client.reply() is None
    assert server.finish() == "killed"


def test_an_oversized_packet_gets_an_error_and_the_session_goes_on():
    server = Server(FakeTarget())
    client = Client(server.port)
    assert client.ask(b"M%x,10000:" % DATA + b"00" * 0x10000) == b"E01"
    assert client.ask(b"m%x,1" % DATA) == b"00"
    client.close()
    assert server.finish() == "disconnected"


def test_ctrl_c_interrupts_a_running_continue():
    target = FakeTarget(spin=True)
    server = Server(target)
    client = Client(server.port)
    client.ask(b"P%x=%s" % (NUMBER["rip"], hexle(SPIN_AT, 8)))
    client.send(b"c")
    assert target.running.wait(10)
    time.sleep(0.05)
    client.send_raw(b"\x03")
    reply = client.reply()
    assert reply.startswith(b"T02") and rip_of(reply) == SPIN_AT
    assert client.ask(b"m%x,1" % DATA) == b"00"    # still talking
    client.send_raw(b"$k#6b")
    assert server.finish() == "killed"


def test_ctrl_c_right_behind_the_continue_packet_is_not_lost():
    target = FakeTarget(spin=True)
    server = Server(target)
    client = Client(server.port)
    client.ask(b"P%x=%s" % (NUMBER["rip"], hexle(SPIN_AT, 8)))
    client.send_raw(rsp.frame(b"c") + b"\x03")
    assert client.reply().startswith(b"T02")
    client.close()
    assert server.finish() == "disconnected"


def test_gdb_going_away_mid_continue_stops_the_target():
    target = FakeTarget(spin=True)
    server = Server(target)
    client = Client(server.port)
    client.ask(b"P%x=%s" % (NUMBER["rip"], hexle(SPIN_AT, 8)))
    client.send(b"c")
    assert target.running.wait(10)
    client.close()
    assert server.finish() == "disconnected"
    assert not target.running.is_set()


def test_only_loopback_addresses_are_served():
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.com", ""):
        with pytest.raises(ValueError):
            serve(FakeTarget(), 0, host=host)


def test_localhost_and_ipv6_loopback_are_fine():
    for host in ("localhost", "::1"):
        ready = threading.Event()
        try:
            outcome = serve(FakeTarget(), 0, host=host, on_ready=lambda port: ready.set(), accept_timeout=0.05)
        except OSError:           # a host without IPv6
            continue
        assert ready.is_set() and outcome == "timeout"


def test_echo_writes_the_symbol_file_and_prints_the_recipe(tmp_path):
    lines = []
    outcome = serve(FakeTarget(), 0, echo=lines.append, symbol_dir=tmp_path, accept_timeout=0.05)
    assert outcome == "timeout"
    assert (tmp_path / "simpleos-symbols.elf").read_bytes()[:4] == b"\x7fELF"
    assert "target remote 127.0.0.1:" in lines[0] and "symbol-file" in lines[0]


def test_exec_file_names_the_symbol_file(tmp_path):
    server = Server(FakeTarget(), symbol_dir=tmp_path)
    client = Client(server.port)
    assert b"qXfer:exec-file:read+" in client.ask(b"qSupported")
    reply = client.ask(b"qXfer:exec-file:read::0,fff")
    assert reply == b"l" + str(tmp_path / "simpleos-symbols.elf").encode()
    client.close()
    server.finish()


# --- fuzzing over a real socket ------------------------------------------------------------------

READ_ONLY = [b"?", b"g", b"p10", b"p0", b"m401000,10", b"m402000,40", b"qSupported:swbreak+;hwbreak+",
             b"qXfer:features:read:target.xml:0,fff", b"qC", b"qAttached", b"qfThreadInfo", b"Hg0", b"vCont?",
             b"vMustReplyEmpty", b"qOffsets", b"T1", b"qSymbol::"]
MUTATING = (b"M", b"X", b"G", b"P", b"c", b"C", b"s", b"S", b"b", b"Z", b"z", b"D", b"k", b"v", b"Q", b"R", b"!",
            b"I", b"A", b"r", b"i")

fuzz_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def probe(client: Client) -> bytes | None:
    """After anything at all, a well-formed `?` still gets its answer (or the connection is closed)."""
    try:
        client.send(b"?")
        while True:
            reply = client.reply()
            if reply is None or reply.startswith((b"T", b"W", b"S")):
                return reply
    except (OSError, socket.timeout):
        return None


def run_fuzz(data: bytes, target: FakeTarget) -> None:
    server = Server(target)
    client = Client(server.port)
    try:
        client.send_raw(data)
    except OSError:
        pass
    reply = probe(client)
    client.close()
    outcome = server.finish()
    assert outcome in ("killed", "detached", "disconnected")
    if reply is None:
        assert outcome in ("killed", "detached") or b"k" in data or b"D" in data


@fuzz_settings
@given(st.binary(max_size=3000))
def test_random_bytes_get_answers_or_a_clean_close_and_change_nothing(data):
    target = FakeTarget()
    before = target.state()
    run_fuzz(data, target)
    assert target.state() == before


def mutate(packet: bytes, data) -> bytes:
    packet = bytearray(packet)
    for _ in range(data.draw(st.integers(1, 4))):
        operation = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        position = data.draw(st.integers(0, max(0, len(packet) - 1)))
        if operation == "flip" and packet:
            packet[position] ^= 1 << data.draw(st.integers(0, 7))
        elif operation == "insert":
            packet[position:position] = data.draw(st.binary(min_size=1, max_size=8))
        elif operation == "delete" and packet:
            del packet[position]
        elif operation == "truncate":
            del packet[position:]
        elif operation == "repeat":
            packet[position:position] = packet[position:position + 8] * data.draw(st.integers(1, 200))
    return bytes(packet)


@fuzz_settings
@given(st.data())
def test_mutated_read_only_packets_with_valid_checksums_change_nothing(data):
    packets = [mutate(data.draw(st.sampled_from(READ_ONLY)), data) for _ in range(data.draw(st.integers(1, 5)))]
    packets = [p for p in packets if not p.startswith(MUTATING) and b"$" not in p and b"#" not in p]
    target = FakeTarget()
    before = target.state()
    run_fuzz(b"".join(rsp.frame(p) for p in packets), target)
    assert target.state() == before
    assert target.calls == []


@fuzz_settings
@given(st.lists(st.tuples(st.sampled_from([b"M", b"X", b"G", b"P", b"Z", b"z", b"m", b"p", b"s", b"bs", b"bc",
                                           b"vCont;", b"qXfer:features:read:target.xml:"]),
                          st.binary(max_size=60)), max_size=6))
def test_hostile_commands_are_answered_without_crashing_the_stub(commands):
    target = FakeTarget()
    server = Server(target)
    client = Client(server.port)
    for head, tail in commands:
        payload = (head + tail).replace(b"$", b"").replace(b"#", b"")
        reply = client.ask(payload)
        assert reply is not None
        assert reply == b"" or reply[:1] in b"EOTWlm0123456789abcdef"
    assert probe(client) is not None
    client.close()
    assert server.finish() == "disconnected"


# --- the symbol file ---------------------------------------------------------------------------

def read_elf_symbols(blob: bytes) -> dict[str, tuple[int, int, int, str]]:
    """name -> (value, size, type, section name) of the first symbol of each name."""
    found = {}
    for name, *rest in elf_symbol_list(blob):
        found.setdefault(name, tuple(rest))
    return found


def elf_symbol_list(blob: bytes) -> list[tuple[str, int, int, int, str]]:
    """Every symbol as (name, value, size, type, section name), read with struct (independent of elf.py)."""
    assert blob[:4] == b"\x7fELF" and blob[4] == 2 and blob[5] == 1
    e_type, e_machine = struct.unpack_from("<HH", blob, 16)
    assert (e_type, e_machine) == (2, 62)
    shoff, = struct.unpack_from("<Q", blob, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", blob, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", blob, shoff + i * shentsize) for i in range(shnum)]
    names_at = sections[shstrndx][4]

    def name(table_offset, index):
        end = blob.index(b"\0", table_offset + index)
        return blob[table_offset + index:end].decode()

    section_names = [name(names_at, s[0]) for s in sections]
    symtab = next(s for s in sections if s[1] == 2)
    strtab = sections[symtab[6]]
    found = []
    for i in range(1, symtab[5] // 24):
        st_name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", blob, symtab[4] + i * 24)
        found.append((name(strtab[4], st_name), value, size, info & 0xF, section_names[shndx]))
    return found


def test_symbol_file_has_every_label_with_type_and_size():
    symbols = read_elf_symbols(symbol_file_bytes(FakeKernel()))
    assert symbols["start"] == (CODE, 0x10, STT_FUNC, ".text.fake.sys")
    assert symbols["crash"] == (FAULT_AT, 0x10, STT_FUNC, ".text.fake.sys")
    assert symbols["spin"] == (SPIN_AT, 0x1000 - 0x30, STT_FUNC, ".text.fake.sys")
    assert symbols["table"] == (DATA, 0x10, STT_OBJECT, ".data.fake.sys")
    assert symbols["counter"] == (DATA + 0x10, 0x1000 - 0x10, STT_OBJECT, ".data.fake.sys")
