"""Operations a security gate may judge before they happen: starting a program, creating a pipe.

A system call that would start a program or create a named pipe describes
what is about to happen as one of these records and hands it to
Kernel.authorize(). The kernel holds no opinion about them; a gate (the
security sensor, when one is loaded) turns them into its own events and
answers allow or deny. Plain facts only: no policy, no encoding.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..assembler import Image


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
