"""The kernel log: timestamped kernel messages on the console (like dmesg).

Timestamps are virtual time, so the same boot prints the same log byte for
byte. This module formats; it decides nothing.
"""
from __future__ import annotations

from ..machine.clock import VirtualClock
from ..machine.console import Console


class KernelLog:
    """printk: '[    0.001234] message' on the console."""

    def __init__(self, console: Console, clock: VirtualClock) -> None:
        self.console = console
        self.clock = clock

    def __call__(self, message: str) -> None:
        """Log one message (may span lines; each gets the timestamp)."""
        for line in message.split("\n"):
            self.console.write_line(f"{self.clock.stamp()} {line}")
