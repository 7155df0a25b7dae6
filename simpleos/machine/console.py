"""The text console: a line-oriented screen the kernel and programs print to, and its speed.

It keeps the lines shown (the transcript is the boot log) and can echo each
line to a host stream as it appears. It does not timestamp or filter: the
kernel formats its own messages.

Like real hardware it is finite. The device takes bytes through a FIFO of
FIFO_BYTES that drains at DRAIN_BYTES_PER_CYCLE of virtual time; a writer
that outruns it waits for the device (a polled console: the CPU spins), and
`accept()` says for how many cycles. The transcript keeps the newest
MAX_LINES lines and a line keeps its last MAX_LINE_CHARS characters; what
is cut is counted, never silently lost. So no guest program can make the
host hold more than a few megabytes, however much it prints.
"""
from __future__ import annotations

from typing import Callable

FIFO_BYTES = 4096                  # what the device buffers before a writer must wait
DRAIN_BYTES_PER_CYCLE = 0.01       # 10 MB/s at 1 GHz: a fast text console
MAX_LINES = 10_000                 # transcript lines kept (the newest)
MAX_LINE_CHARS = 4096              # characters kept of one line (its end)


class Console:
    """A text screen: bytes in, lines kept (the newest MAX_LINES of them)."""

    def __init__(self, echo: Callable[[str], None] | None = None) -> None:
        self.lines: list[str] = []
        self.dropped_lines = 0            # transcript lines forgotten to stay within MAX_LINES
        self.echo = echo
        self._partial: dict[object, list] = {}   # stream -> [pieces, length, characters dropped]
        self._fifo_level = 0.0            # bytes waiting in the device
        self._fifo_time = 0               # clock cycle the level was computed at

    # --- the device --------------------------------------------------------------

    def accept(self, count: int, now: int) -> int:
        """`count` bytes arrive at clock cycle `now`: the cycles the writer must wait for
        the device to take them (0 while they fit in the FIFO)."""
        drained = (now - self._fifo_time) * DRAIN_BYTES_PER_CYCLE
        self._fifo_level = max(0.0, self._fifo_level - drained) + count
        self._fifo_time = now
        excess = self._fifo_level - FIFO_BYTES
        if excess <= 0:
            return 0
        wait = int(excess / DRAIN_BYTES_PER_CYCLE + 0.999999)
        self._fifo_level = float(FIFO_BYTES)
        self._fifo_time = now + wait
        return wait

    # --- the screen ----------------------------------------------------------------

    def write_line(self, text: str) -> None:
        """Put one whole line on the screen."""
        self.lines.append(text)
        if len(self.lines) > 2 * MAX_LINES:
            self._trim()
        if self.echo:
            self.echo(text)

    def write(self, data: bytes, stream: object = None) -> None:
        """Write raw bytes from one writer; complete lines appear, the rest waits."""
        text = data.decode("utf-8", errors="replace")
        if "\n" not in text:
            self._add_partial(stream, text)
            return
        first, *middle, rest = text.split("\n")
        self._add_partial(stream, first)
        self.write_line(self._take_partial(stream))
        for line in middle:
            self.write_line(_shown(*_cut(line)))
        if rest:
            self._add_partial(stream, rest)

    def flush(self, stream: object = None) -> None:
        """Show a writer's unfinished line (e.g. when its process exits)."""
        if stream in self._partial:
            self.write_line(self._take_partial(stream))

    def transcript(self) -> str:
        """Everything shown so far (the newest MAX_LINES lines, after a note of how many went)."""
        head = [f"[... {self.dropped_lines} earlier lines not kept ...]"] if self.dropped_lines else []
        lines = head + self.lines
        return "\n".join(lines) + ("\n" if lines else "")

    def _trim(self) -> None:
        """Forget the oldest lines beyond MAX_LINES (amortised: at most once per MAX_LINES lines)."""
        surplus = len(self.lines) - MAX_LINES
        del self.lines[:surplus]
        self.dropped_lines += surplus

    def _add_partial(self, stream: object, text: str) -> None:
        """Append to a writer's unfinished line, keeping only its last MAX_LINE_CHARS characters."""
        if not text:
            return
        pieces, length, dropped = self._partial.get(stream) or ([], 0, 0)
        pieces.append(text)
        length += len(text)
        if length > 2 * MAX_LINE_CHARS:
            joined = "".join(pieces)
            dropped += len(joined) - MAX_LINE_CHARS
            pieces, length = [joined[-MAX_LINE_CHARS:]], MAX_LINE_CHARS
        self._partial[stream] = [pieces, length, dropped]

    def _take_partial(self, stream: object) -> str:
        """A writer's unfinished line, now complete (with a note if its start was cut)."""
        pieces, _, dropped = self._partial.pop(stream, ([], 0, 0))
        line, cut = _cut("".join(pieces))
        return _shown(line, dropped + cut)


def _shown(line: str, dropped: int) -> str:
    """A line as the transcript keeps it: with a note in front if its start was cut."""
    return f"[... {dropped} characters not kept ...]{line}" if dropped else line


def _cut(line: str) -> tuple[str, int]:
    """The last MAX_LINE_CHARS characters of `line`, and how many were cut off."""
    if len(line) <= MAX_LINE_CHARS:
        return line, 0
    return line[-MAX_LINE_CHARS:], len(line) - MAX_LINE_CHARS
