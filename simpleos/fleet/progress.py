"""A progress bar on the terminal while machine classes are being booted (rich, on stderr).

Shown only when stderr is a terminal (or when asked), so that piped output,
--json and tests stay byte-identical. It must NOT print anything else.
"""
from __future__ import annotations

import sys


class BootProgress:
    """Context manager: `advance(label)` once per finished class boot."""

    def __init__(self, total: int, enabled: bool | None = None) -> None:
        """`total` boots to come; enabled None = only when stderr is a terminal."""
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress = None
        self._task = None

    def __enter__(self) -> "BootProgress":
        """Start drawing (if enabled)."""
        if self.enabled and self.total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self._progress = Progress(TextColumn("booting machine classes"), BarColumn(), MofNCompleteColumn(),
                                      TextColumn("{task.description}"), TimeElapsedColumn(),
                                      console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def advance(self, label: str) -> None:
        """One more class booted."""
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=label)

    def __exit__(self, *exc_info) -> None:
        """Stop drawing; the bar disappears (transient)."""
        if self._progress is not None:
            self._progress.stop()
