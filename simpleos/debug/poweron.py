"""Power on a machine for the debugger: the same boot as `simpleos boot`, stopped at position 0.

It does what system._normal_boot and Kernel.boot do up to the first guest
instruction -- set the boot-status flag, a fresh Machine and Kernel (model,
seed, sensor build), start(), the boot-start drivers, init -- and then
stops, so that the debugger runs the machine by hand. Every call with the
same options and snapshot gives an identical machine: time travel relies
on that. It must not run guest code, and must not touch the user's disk
(the disk here is a RamDisk over a snapshot).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..isolation import model_named
from ..kernel import bootstatus
from ..kernel.fs import FileSystem
from ..kernel.kernel import Kernel
from ..machine.machine import Machine
from .snapshot import DiskSnapshot


@dataclass
class PoweredOn:
    """A machine and its kernel, booted up to (not including) the first instruction."""
    machine: Machine
    kernel: Kernel
    fs: FileSystem


def power_on(snapshot: DiskSnapshot, *, model: str, seed: int, sensor_build: str, fail_closed: bool = False,
             echo=None) -> PoweredOn:
    """A fresh machine on a fresh RAM copy of `snapshot`, at position 0."""
    fs = FileSystem(snapshot.ram_disk())
    bootstatus.boot_started(fs)
    machine = Machine(echo=echo)
    kernel = Kernel(machine, seed=seed, fs=fs, model=model_named(model, False if fail_closed else None), sensor_build=sensor_build)
    kernel.start()
    kernel.load_boot_drivers()
    kernel.start_init()
    return PoweredOn(machine, kernel, fs)
