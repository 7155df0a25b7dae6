"""Power on a machine for the debugger: the boot of `simpleos boot`, stopped at position 0.

It is the boot manager's power-on (system.new_kernel, then
Kernel.power_on) on a fresh RAM copy of the machine's disk, with the
boot-status flag set as a real boot sets it -- and no run(): the debugger
runs the machine by hand. Every call with the same options and snapshot
gives an identical machine: time travel relies on that. It must not run
guest code, and must not touch the user's disk.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..kernel import bootstatus
from ..kernel.fs import FileSystem
from ..kernel.kernel import Kernel
from ..machine.machine import Machine
from ..system import BootOptions, new_kernel
from .snapshot import DiskSnapshot


@dataclass
class PoweredOn:
    """A machine and its kernel, booted up to (not including) the first instruction."""
    machine: Machine
    kernel: Kernel
    fs: FileSystem


class ConsoleEcho:
    """The console's echo at one power-on: numbers its lines, so that the target shows each
    line once however often replays print it (an object, not a closure over a counter, so
    that a checkpoint copies the count with the console)."""

    def __init__(self, target) -> None:
        self.target = target
        self.lines = 0

    def __call__(self, line: str) -> None:
        self.lines += 1
        self.target._echo(self.lines - 1, line)


def power_on(snapshot: DiskSnapshot, options: BootOptions, echo=None) -> PoweredOn:
    """A fresh machine on a fresh RAM copy of `snapshot`, at position 0."""
    fs = FileSystem(snapshot.ram_disk())
    bootstatus.boot_started(fs)
    kernel = new_kernel(options, fs, echo=echo)
    kernel.power_on()
    return PoweredOn(kernel.machine, kernel, fs)
