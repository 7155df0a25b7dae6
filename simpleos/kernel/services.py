"""The services an isolation model may use: the whole of what a model can do to the system.

A model (simpleos/isolation/) never sees the kernel. When it is asked
something -- a fault happened, the sensor died -- it gets this object, and
these are its only levers:

  log(message)                 a line in the kernel log
  after(seconds, action)       run `action()` later, in virtual time
  restart_sensor()             start the sensor again, on the content now on the disk
  quarantine(file)             move a channel file out of the sensor's way (rollback)
  roll_back()                  quarantine the newest content update
  fail_open                    the fail policy while the sensor is down (read or set)
  sensor_authority()           what the sensor may touch, if its placement says so exactly:
                               its capabilities or secure bindings ([] for ambient authority)
  revoke_sensor_authority()    revoke all of them (unmapping what they map); what was revoked
  fault_access(fault)          what the faulting instruction accessed: read/write/execute,
                               how many bytes, where

Mechanism only; every decision is the model's.
"""
from __future__ import annotations

from typing import Callable

from ..machine.clock import CYCLES_PER_SECOND
from ..machine.decode import memory_operand_size
from ..record import dataclass
from .content import newest_update, quarantine
from .install import SENSOR_DIR


@dataclass(frozen=True)
class FaultAccess:
    """The memory access a faulting instruction made."""
    kind: str                 # "read" | "write" | "execute"
    size: int | None          # bytes, if the instruction says
    address: int

    def describe(self) -> str:
        """'read of 8 bytes at 0x7fe000002000'."""
        size = f" of {self.size} byte{'s' if self.size != 1 else ''}" if self.size else ""
        return f"{self.kind}{size} at {self.address:#x}"


class ModelServices:
    """What the kernel lets an isolation model do (see the module docstring)."""

    def __init__(self, kernel) -> None:
        self._kernel = kernel

    def log(self, message: str) -> None:
        """A line in the kernel log (timestamped)."""
        self._kernel.log(message)

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        """Run `action()` once `seconds` of virtual time have passed (0: as soon as possible)."""
        self._kernel.add_timer(self._kernel.clock.cycles + int(seconds * CYCLES_PER_SECOND), action)

    def restart_sensor(self) -> None:
        """Start the sensor again on the content now on the disk (nothing if it is running
        or none is loaded)."""
        if self._kernel.sensor is not None:
            self._kernel.sensor.restart()

    def quarantine(self, file: str) -> str | None:
        """Move channel file `file` to the quarantine folder (atomically); its new path,
        or None if the machine has no disk or no such file."""
        fs = self._kernel.fs
        if fs is None or not fs.exists(f"{SENSOR_DIR}/{file}"):
            return None
        target = quarantine(fs, file)
        if self._kernel.sensor is not None:
            self._kernel.sensor.stats.quarantined.append(file)
        return target

    def roll_back(self) -> str | None:
        """Quarantine the newest content update still in force; its name, or None."""
        fs = self._kernel.fs
        name = newest_update(fs) if fs is not None else None
        if name is not None:
            self.quarantine(name)
        return name

    @property
    def fail_open(self) -> bool:
        """While the sensor is down: let events pass unexamined (True) or deny them (False)."""
        return self._kernel.fail_open

    @fail_open.setter
    def fail_open(self, value: bool) -> None:
        self._kernel.fail_open = bool(value)

    # --- explicit authority (the exokernel's bindings, the nanokernel's capabilities) ----------

    def _sensor_domain(self):
        sensor = self._kernel.sensor
        return None if sensor is None or sensor.process is None else sensor.process.domain

    def sensor_authority(self) -> list:
        """The capabilities or secure bindings the sensor's process holds now (records with
        describe() and contains(address)); [] when it has a process's ambient authority."""
        domain = self._sensor_domain()
        return domain.entries() if domain is not None else []

    def revoke_sensor_authority(self) -> list:
        """Revoke every capability or binding of the sensor (its mappings are unmapped while it
        lives); the records revoked, in order."""
        domain = self._sensor_domain()
        return domain.revoke_all() if domain is not None else []

    def fault_access(self, fault) -> FaultAccess:
        """What the instruction that faulted accessed, decoded from the faulting process's own code."""
        trap = fault.trap
        if trap.is_fetch:
            return FaultAccess("execute", None, trap.address if trap.address is not None else trap.rip)
        process = self._kernel.processes.get(fault.pid)
        code = b""
        physical = process.space.translate(trap.rip) if process is not None else None
        if physical is not None:
            code = self._kernel.machine.memory.read(physical, min(16, 4096 - (trap.rip & 0xFFF)))
        return FaultAccess("write" if trap.is_write else "read", memory_operand_size(code, trap.rip) if code else None,
                           trap.address if trap.address is not None else 0)
