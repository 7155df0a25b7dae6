"""Named pipes: a name in a system-wide namespace and a byte stream behind it.

Services create them (pipe_create) and clients open them (open). Creating
one is the event the security sensor watches (the IPC template type of
channel 291). This module keeps the namespace and the bytes; it does not
check permissions or call the sensor.
"""
from __future__ import annotations

from ..record import dataclass, field

MAX_PIPE_BUFFER = 64 * 1024


@dataclass
class Pipe:
    """One named pipe."""
    name: str
    creator: int
    buffer: bytearray = field(default_factory=bytearray)
    ends_open: int = 0

    def write(self, data: bytes) -> int:
        """Append what fits; returns how many bytes were taken."""
        room = MAX_PIPE_BUFFER - len(self.buffer)
        taken = data[:max(room, 0)]
        self.buffer.extend(taken)
        return len(taken)

    def peek(self, length: int) -> bytes:
        """Up to `length` bytes from the front, left in the pipe."""
        return bytes(self.buffer[:length])

    def consume(self, length: int) -> None:
        """Take `length` bytes from the front (after they were delivered)."""
        del self.buffer[:length]


@dataclass
class PipeEnd:
    """An open file descriptor on a pipe."""
    pipe: Pipe


class PipeNamespace:
    """All named pipes, by name (e.g. '\\\\.\\pipe\\spoolss')."""

    def __init__(self) -> None:
        self.pipes: dict[str, Pipe] = {}

    def create(self, name: str, creator: int) -> Pipe | None:
        """A new pipe, or None if the name is taken."""
        if name in self.pipes:
            return None
        pipe = self.pipes[name] = Pipe(name, creator)
        return pipe

    def lookup(self, name: str) -> Pipe | None:
        """The pipe with that name, if any."""
        return self.pipes.get(name)

    def open_end(self, pipe: Pipe) -> PipeEnd:
        """A new descriptor on `pipe`."""
        pipe.ends_open += 1
        return PipeEnd(pipe)

    def close_end(self, end: PipeEnd) -> None:
        """Close a descriptor; the last close removes the name."""
        end.pipe.ends_open -= 1
        if end.pipe.ends_open <= 0 and self.pipes.get(end.pipe.name) is end.pipe:
            del self.pipes[end.pipe.name]
