"""A whole machine: CPU with RAM, virtual clock, console, and (optionally) a disk.

Power-on gives a CPU at ring 0 with paging off; the kernel takes it from
there. A reset is a new Machine on the same disk: RAM is gone, the disk file
persists. No policy here.
"""
from __future__ import annotations

from typing import Callable

from .clock import VirtualClock
from .console import Console
from .cpu import CPU


class Machine:
    """The hardware the kernel runs on."""

    def __init__(self, echo: Callable[[str], None] | None = None, disk=None) -> None:
        self.cpu = CPU()
        self.memory = self.cpu.memory
        self.clock = VirtualClock()
        self.console = Console(echo)
        self.disk = disk

    def power_off(self) -> None:
        """Switch the machine off: the CPU's emulator and its RAM are freed at once (the disk
        is the caller's and stays). Nothing may run on it afterwards."""
        self.cpu.close()
