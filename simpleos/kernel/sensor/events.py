"""Security events: what the sensor is told about, and how the message is encoded.

An event is a template type (1 PROCESS, 2 IPC) plus the values of the fields
the sensor is compiled to receive (channel/templates.py: 8 for PROCESS, 20
for IPC). event_for() builds one from a kernel operation (operations.py);
encode() lays it out as the message the sensor's integration code reads:
type, handle, field count, then one 8-byte slot per field (an integer, or
the offset of a NUL-terminated string in the message), then the strings.
Building events is the kernel's job; judging them is the sensor's.
"""
from __future__ import annotations

import struct

from ...digest import sha256

from ...channel.templates import IPC, PROCESS
from ...record import dataclass
from ..operations import Exec, PipeCreate

# Event handles are kernel addresses of the kernel's event objects: opaque to
# the sensor and never mapped into its view. The first one, ...0074, is the
# READ_ADDRESS of the 19 July 2024 crash dumps.
EVENT_HANDLE_BASE = 0xFFFF840500000074
EVENT_HANDLE_STRIDE = 0x100

VERDICT_ALLOW, VERDICT_DENY, VERDICT_NOTIFY = 0, 1, 2
EXIT_EVENT = 3      # a NOTIFY message: a process ended (no verdict expected)
VERDICT_NAMES = {VERDICT_ALLOW: "allow", VERDICT_DENY: "deny", VERDICT_NOTIFY: "notify"}


@dataclass
class SensorEvent:
    """One event waiting for (or given) the sensor's verdict."""
    template_type: int
    values: list                      # one value per supplied input (str or int)
    subject: str                      # e.g. the pipe name or the image path, for messages
    sequence: int = 0
    verdict: int | None = None        # set when the sensor (or the fail policy) answers
    rule: int = 0
    notify: bool = False              # NOTIFY: delivered, but nobody waits for a verdict
    deadline: int | None = None       # clock by which an AUTH event needs its verdict (None: none)
    submitted_at: int = 0             # clock when the kernel submitted it (for per-event latency)

    @property
    def denied(self) -> bool:
        """Did the answer say no?"""
        return self.verdict == VERDICT_DENY

    @property
    def handle(self) -> int:
        """The kernel's handle of this event (an unmapped kernel address)."""
        return EVENT_HANDLE_BASE + self.sequence * EVENT_HANDLE_STRIDE

    @property
    def kind(self) -> str:
        """'IPC', 'PROCESS' or 'EXIT'."""
        return {IPC.number: "IPC", PROCESS.number: "PROCESS", EXIT_EVENT: "EXIT"}[self.template_type]


# Hash prefixes of the images seen so far, by their bytes: a program that creates many pipes
# is one image, and hashing its 4 KiB anew for every event cost ~15 us of each event.
_HASH_PREFIXES: dict[bytes, str] = {}
_HASH_PREFIXES_KEPT = 64


def image_hash_prefix(code: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of a program image (remembered per image)."""
    prefix = _HASH_PREFIXES.get(code)
    if prefix is None:
        if len(_HASH_PREFIXES) >= _HASH_PREFIXES_KEPT:
            _HASH_PREFIXES.clear()
        prefix = _HASH_PREFIXES[code] = sha256(code).hexdigest()[:16]
    return prefix


def event_for(operation) -> SensorEvent:
    """The AUTH event the sensor judges before `operation` (Exec or PipeCreate) happens."""
    if isinstance(operation, Exec):
        return process_event(operation)
    return ipc_event(operation)


def ipc_event(operation: PipeCreate) -> SensorEvent:
    """A named pipe is about to be created (the IPC template type of channel 291)."""
    creator = operation.creator
    code = creator.image.code if creator.image else b""
    values = [operation.name, f"/bin/{creator.name}", creator.pid, f"{creator.name} {creator.argument}".strip(),
              operation.parent_image, "SYSTEM", 0, 0x4000, 3, 0, 255, 65536, 65536, 50, "S-1-5-18", 0,
              operation.start_time, image_hash_prefix(code), "SimpleOS", operation.depth]
    assert len(values) == IPC.inputs_supplied
    return SensorEvent(IPC.number, values, operation.name)


def process_event(operation: Exec) -> SensorEvent:
    """A program is about to start (the PROCESS template type of channel 292)."""
    command = f"{operation.name} {operation.argument.decode('utf-8', 'replace')}".strip()
    values = [operation.path, command, operation.pid, f"/bin/{operation.parent.name}", "SYSTEM", 0x4000,
              image_hash_prefix(operation.image.code), "SimpleOS"]
    assert len(values) == PROCESS.inputs_supplied
    return SensorEvent(PROCESS.number, values, operation.path)


def exit_notification(process) -> SensorEvent:
    """NOTIFY: `process` has ended (pid, exit code or -1 if killed, trap vector or -1)."""
    code = process.exit_code if process.exit_code is not None else -1
    vector = process.trap.vector if process.trap is not None else -1
    return SensorEvent(EXIT_EVENT, [process.pid, code, vector], str(process), verdict=VERDICT_ALLOW, notify=True)


_U64 = (1 << 64) - 1
_HEADERS: dict[int, struct.Struct] = {}     # the header and slots of a message with n fields


def encode(event: SensorEvent) -> bytes:
    """The event message as the sensor reads it (see drivers/sensor/sensor.asm)."""
    values = event.values
    count = len(values)
    offset = 24 + 8 * count             # where the strings begin: after the header and the slots
    words = [event.template_type, event.handle, count]
    strings = []
    for value in values:
        if isinstance(value, str):
            encoded = value.encode("utf-8")
            words.append(offset)
            strings.append(encoded)
            offset += len(encoded) + 1
        else:
            words.append(value & _U64)
    strings.append(b"")                 # so that every string ends in its NUL
    header = _HEADERS.get(count)
    if header is None:
        header = _HEADERS[count] = struct.Struct(f"<{count + 3}Q")
    return header.pack(*words) + b"\0".join(strings)
