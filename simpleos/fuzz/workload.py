"""The events the fuzzed sensor judges in every execution, and the dictionary made from them.

Each execution hands the sensor one channel file and then these events, in
this order, exactly as a monolithic boot (seed 0) delivers them: the first
PROCESS and the first IPC event of a service, and those of the beacon. They
are built with the kernel's own constructors (kernel/sensor/events.py:
ipc_event, process_event, from the operations of kernel/operations.py) and encoded by its own encode(), so the bytes in the sensor's
event buffer are the bytes a boot puts there -- including the event handle,
whose value (EVENT_HANDLE_BASE + 0x100 * sequence) is what CF291 dereferences.

The dictionary is every string and integer these events carry: the values a
literal criterion has to equal for a rule to get past its first fields.
This module only describes inputs; it must NOT run anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..assembler import Image
from ..kernel.loader import assemble_user_program
from ..kernel.operations import Exec, PipeCreate
from ..kernel.sensor.events import SensorEvent, encode, ipc_event, process_event
from ..resources import userland_dir

SERVICE_PIPE = r"\\.\pipe\spoolss"        # init's first service creates it: the first IPC event of a boot
BEACON_PIPE = r"\\.\pipe\MSSE-5645-server"  # the beacon's first C2 pipe (seed 0)


@dataclass(frozen=True)
class Creator:
    """What ipc_event needs to know about the process creating a pipe."""
    name: str
    argument: str
    pid: int
    image: Image


@dataclass(frozen=True)
class WorkloadEvent:
    """One event of the workload: the kernel's event and the message the sensor reads."""
    event: SensorEvent
    message: bytes

    @property
    def label(self) -> str:
        """'IPC \\\\.\\pipe\\spoolss (event 3)'."""
        return f"{self.event.kind} {self.event.subject} (event {self.event.sequence})"


@lru_cache(maxsize=None)
def _program(name: str) -> Image:
    """A userland program as the kernel loads it (its code is hashed into the events)."""
    return assemble_user_program(userland_dir() / f"{name}.asm")


def _sequenced(event: SensorEvent, sequence: int) -> WorkloadEvent:
    """Give the event its place in the boot's order (that fixes its handle) and encode it."""
    event.sequence = sequence
    return WorkloadEvent(event, encode(event))


@lru_cache(maxsize=1)
def boot_workload() -> tuple[WorkloadEvent, ...]:
    """The four events, with the sequence numbers (handles) and times of a seed-0 monolithic boot."""
    service, beacon, init = _program("service"), _program("beacon"), _program("init")
    parent = Creator("init", "", 2, init)
    spoolss = Creator("service", SERVICE_PIPE, 3, service)
    c2 = Creator("beacon", "", 7, beacon)
    return (
        _sequenced(process_event(Exec(parent, "service", SERVICE_PIPE.encode(), service, 3)), 0),
        _sequenced(ipc_event(PipeCreate(spoolss, SERVICE_PIPE, "/bin/init", depth=1, start_time=155)), 3),
        _sequenced(process_event(Exec(parent, "beacon", b"", beacon, 7)), 8),
        _sequenced(ipc_event(PipeCreate(c2, BEACON_PIPE, "/bin/init", depth=1, start_time=1316)), 9),
    )


@dataclass(frozen=True)
class Dictionary:
    """Values worth putting into a criterion: the strings and integers the sensor sees."""
    strings: tuple[bytes, ...]
    integers: tuple[int, ...]


def dictionary_of(workload: tuple[WorkloadEvent, ...]) -> Dictionary:
    """Every distinct string and integer of the workload's events, in order of appearance."""
    strings: dict[bytes, None] = {}
    integers: dict[int, None] = {}
    for item in workload:
        for value in item.event.values:
            if isinstance(value, str):
                strings[value.encode("utf-8")] = None
            else:
                integers[value] = None
    return Dictionary(tuple(strings), tuple(integers))
