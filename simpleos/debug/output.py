"""Where the debugger's text goes: colour on a terminal, plain deterministic text otherwise.

Views build lines out of (text, style) segments; an Output prints them,
with rich styles when writing to a terminal (pwndbg-like colour) and as
plain text when piped or captured, so scripted sessions and tests get the
same bytes every time. Formatting only: it knows nothing of the machine.
"""
from __future__ import annotations

import sys
from typing import Iterable, TextIO

Segment = tuple[str, str]          # (text, rich style or "")
Line = list[Segment]

# Styles, named by what they mark.
CHANGED = "bold red"
ADDRESS = "cyan"
SYMBOL = "yellow"
CURRENT = "bold green"
HEADING = "bold blue"
DIM = "dim"
WARNING = "bold red"


def plain(line: Line | str) -> str:
    """The text of a line without styles."""
    return line if isinstance(line, str) else "".join(text for text, _ in line)


class Output:
    """Prints lines: styled with rich on a terminal, plain otherwise."""

    def __init__(self, stream: TextIO | None = None, colour: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        if colour is None:
            colour = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.colour = colour
        self._console = None
        if colour:
            from rich.console import Console
            self._console = Console(file=self.stream, highlight=False, soft_wrap=True)

    def line(self, line: Line | str = "") -> None:
        """Print one line."""
        if isinstance(line, str):
            line = [(line, "")]
        if self._console is None:
            self.stream.write(plain(line) + "\n")
            return
        from rich.text import Text
        text = Text()
        for part, style in line:
            text.append(part, style=style or None)
        self._console.print(text)

    def lines(self, lines: Iterable[Line | str]) -> None:
        """Print several lines."""
        for line in lines:
            self.line(line)

    def flush(self) -> None:
        """Push buffered text out (before a prompt)."""
        self.stream.flush()
