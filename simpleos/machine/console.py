"""The text console: a line-oriented screen the kernel and programs print to.

It keeps every line (the transcript is the boot log) and can echo each line
to a host stream as it appears. It does not timestamp or filter: the kernel
formats its own messages.
"""
from __future__ import annotations

from typing import Callable


class Console:
    """A text screen: bytes in, lines kept."""

    def __init__(self, echo: Callable[[str], None] | None = None) -> None:
        self.lines: list[str] = []
        self._partial: dict[object, str] = {}
        self.echo = echo

    def write_line(self, text: str) -> None:
        """Put one whole line on the screen."""
        self.lines.append(text)
        if self.echo:
            self.echo(text)

    def write(self, data: bytes, stream: object = None) -> None:
        """Write raw bytes from one writer; complete lines appear, the rest waits."""
        text = self._partial.pop(stream, "") + data.decode("utf-8", errors="replace")
        *complete, rest = text.split("\n")
        for line in complete:
            self.write_line(line)
        if rest:
            self._partial[stream] = rest

    def flush(self, stream: object = None) -> None:
        """Show a writer's unfinished line (e.g. when its process exits)."""
        rest = self._partial.pop(stream, "")
        if rest:
            self.write_line(rest)

    def transcript(self) -> str:
        """Everything shown so far."""
        return "\n".join(self.lines) + ("\n" if self.lines else "")
