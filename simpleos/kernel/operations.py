"""Operations a security gate may judge before they happen: starting a program, creating a pipe.

A system call that would start a program or create a named pipe describes
what is about to happen as one of these records and hands it to
authorize(). The kernel holds no opinion about them: if a gate is plugged
in (kernel.gate: the security sensor, when one is loaded), it turns them
into its own events and answers allow or deny, and the caller blocks until
it does. The records are plain facts; the waiting is the Block protocol of
syscalls.py. No policy and no encoding here.
"""
from __future__ import annotations

from typing import Callable

from ..assembler import Image
from ..record import dataclass
from . import errno
from .waiting import Block


@dataclass(frozen=True)
class Exec:
    """`parent` is about to start program `name` (image `image`) with `argument`, as pid `pid`."""
    parent: object            # the Process asking
    name: str                 # program name, e.g. "beacon" (/bin/beacon)
    argument: bytes
    image: Image
    pid: int                  # the pid the new process will get

    @property
    def path(self) -> str:
        """The program's path, e.g. '/bin/beacon'."""
        return f"/bin/{self.name}"


@dataclass(frozen=True)
class PipeCreate:
    """`creator` is about to create the named pipe `name`."""
    creator: object           # the Process asking
    name: str                 # e.g. '\\\\.\\pipe\\spoolss'
    parent_image: str         # the creator's parent program, '/kernel' if none
    depth: int                # how many ancestors the creator has
    start_time: int           # virtual microseconds since power-on


def exec_operation(kernel, parent, name: str, argument: bytes) -> Exec | None:
    """What starting program `name` would be (for the gate); None if there is no such program."""
    image = kernel.find_program(name)
    return None if image is None else Exec(parent, name, argument, image, kernel.next_pid)


def pipe_operation(kernel, process, name: str) -> PipeCreate:
    """What `process` creating named pipe `name` would be (for the gate)."""
    parent = kernel.processes.get(process.parent)
    depth, ancestor = 0, parent
    while ancestor is not None:
        depth += 1
        ancestor = kernel.processes.get(ancestor.parent)
    return PipeCreate(process, name, f"/bin/{parent.name}" if parent else "/kernel",
                      depth, kernel.clock.cycles // 1000)


def authorize(kernel, operation, then: Callable[[], int]):
    """Let the gate (the security sensor, if one is loaded) judge `operation` before
    `then()` runs it. The caller blocks until the verdict; deny makes the call fail
    with -EACCES; a verdict late past its deadline is the gate's to settle."""
    if kernel.gate is None:
        return then()
    event = kernel.gate.submit(operation)

    def ready():
        if event.verdict is None and event.deadline is not None and kernel.clock.cycles >= event.deadline:
            kernel.gate.expire(event)
        if event.verdict is None:
            return None
        return -errno.EACCES if event.denied else then()
    result = ready()
    if result is None:
        raise Block(ready, wake_at=event.deadline)
    return result
