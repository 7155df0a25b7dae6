"""GDB Remote Serial Protocol framing: packets, checksums, acks, escapes, hex.

The wire format of gdb's remote protocol and nothing else: `$data#cs`
frames with a two-digit checksum, `+`/`-` acknowledgements, the Ctrl-C
byte (0x03), `}`-escapes of binary data, and the hex numbers packets carry.
PacketReader turns whatever bytes arrive into events and never raises, so
garbage from a hostile peer cannot take the server down. This module does
not know what a packet means (packets.py does) and never touches a target.
"""
from __future__ import annotations

from dataclasses import dataclass

PACKET_SIZE = 0x4000            # what qSupported advertises: the largest packet gdb may send us
MAX_PAYLOAD = 2 * PACKET_SIZE   # longer incoming packets are dropped and answered with an error
INTERRUPT_BYTE = 0x03           # Ctrl-C, outside any packet

_ESCAPE = 0x7D                  # '}': the next byte is XOR 0x20
_MUST_ESCAPE = frozenset(b"#$}*")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")

# Event kinds produced by PacketReader.
PACKET = "packet"          # a well-formed packet: data holds its payload
ACK = "ack"                # '+'
NAK = "nak"                # '-': resend the last packet
INTERRUPT = "interrupt"    # 0x03 between packets
CORRUPT = "corrupt"        # a packet whose checksum is wrong: answer '-'
OVERSIZED = "oversized"    # a packet longer than MAX_PAYLOAD: answer with an error


class MalformedPacket(ValueError):
    """A packet's payload does not parse (bad hex, missing field, out of range)."""


@dataclass(frozen=True)
class Event:
    """Something that arrived on the connection."""
    kind: str
    data: bytes = b""


def checksum(payload: bytes) -> int:
    """The protocol's checksum: the sum of the payload bytes modulo 256."""
    return sum(payload) & 0xFF


def frame(payload: bytes) -> bytes:
    """`$payload#cs`. The payload must already be escaped if it is binary."""
    return b"$" + payload + b"#" + b"%02x" % checksum(payload)


def escape_binary(data: bytes) -> bytes:
    """Escape `#$}*` as `}` + (byte XOR 0x20), for binary replies (qXfer)."""
    out = bytearray()
    for byte in data:
        if byte in _MUST_ESCAPE:
            out += bytes((_ESCAPE, byte ^ 0x20))
        else:
            out.append(byte)
    return bytes(out)


def unescape_binary(data: bytes) -> bytes:
    """Undo escape_binary (the data of an X packet). A trailing lone `}` is malformed."""
    out = bytearray()
    escaped = False
    for byte in data:
        if escaped:
            out.append(byte ^ 0x20)
            escaped = False
        elif byte == _ESCAPE:
            escaped = True
        else:
            out.append(byte)
    if escaped:
        raise MalformedPacket("binary data ends in an escape")
    return bytes(out)


def decode_hex(text: bytes) -> bytes:
    """Hex digits to bytes; anything else is malformed."""
    if len(text) % 2 or not _HEX_DIGITS.issuperset(text):
        raise MalformedPacket("not an even number of hex digits")
    return bytes.fromhex(text.decode("ascii"))


def parse_number(text: bytes, limit: int = (1 << 64) - 1) -> int:
    """A hex number such as an address or a length, at most `limit`."""
    if not text or len(text) > 32 or not _HEX_DIGITS.issuperset(text):
        raise MalformedPacket(f"not a hex number: {text[:32]!r}")
    value = int(text, 16)
    if value > limit:
        raise MalformedPacket(f"number out of range: {text[:32]!r}")
    return value


def encode_hex(data: bytes) -> bytes:
    """Bytes to lower-case hex digits."""
    return data.hex().encode("ascii")


class PacketReader:
    """Turns a byte stream into Events. Feed it any bytes; it never raises.

    Outside a packet it takes `+`, `-`, 0x03 and `$` and skips everything
    else. Inside a packet it collects up to `#` and two checksum digits; a
    `$` there starts a new packet (the old one is dropped, as gdb does)."""

    _IDLE, _PAYLOAD, _CHECKSUM = range(3)

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._state = self._IDLE
        self._payload = bytearray()
        self._sum = 0
        self._length = 0
        self._digits = bytearray()

    def feed(self, chunk: bytes) -> list[Event]:
        """The events completed by `chunk` (bytes of a partial packet are kept)."""
        events: list[Event] = []
        position = 0
        while position < len(chunk):
            if self._state == self._PAYLOAD:
                position = self._take_payload(chunk, position)
                continue
            byte = chunk[position]
            position += 1
            if self._state == self._IDLE:
                self._idle_byte(byte, events)
            else:
                self._checksum_byte(byte, events)
        return events

    def _idle_byte(self, byte: int, events: list[Event]) -> None:
        if byte == ord("$"):
            self._start_packet()
        elif byte == ord("+"):
            events.append(Event(ACK))
        elif byte == ord("-"):
            events.append(Event(NAK))
        elif byte == INTERRUPT_BYTE:
            events.append(Event(INTERRUPT))
        # anything else between packets is line noise: skipped

    def _start_packet(self) -> None:
        self._state = self._PAYLOAD
        self._payload = bytearray()
        self._sum = 0
        self._length = 0

    def _take_payload(self, chunk: bytes, position: int) -> int:
        """Collect payload bytes up to '#' (or a new '$'); returns where it stopped."""
        end_hash = chunk.find(b"#", position)
        end_dollar = chunk.find(b"$", position)
        ends = [e for e in (end_hash, end_dollar) if e >= 0]
        end = min(ends) if ends else len(chunk)
        part = chunk[position:end]
        self._sum = (self._sum + sum(part)) & 0xFF
        self._length += len(part)
        if self._length <= self.max_payload:
            self._payload += part
        if end == len(chunk):
            return end
        if chunk[end] == ord("$"):
            self._start_packet()      # a new packet in the middle of the old one
        else:
            self._state = self._CHECKSUM
            self._digits = bytearray()
        return end + 1

    def _checksum_byte(self, byte: int, events: list[Event]) -> None:
        if byte == ord("$"):
            self._start_packet()
            return
        self._digits.append(byte)
        if len(self._digits) < 2:
            return
        self._state = self._IDLE
        if not _HEX_DIGITS.issuperset(self._digits) or int(self._digits, 16) != self._sum:
            events.append(Event(CORRUPT))
        elif self._length > self.max_payload:
            events.append(Event(OVERSIZED))
        else:
            events.append(Event(PACKET, bytes(self._payload)))
        self._payload = bytearray()
