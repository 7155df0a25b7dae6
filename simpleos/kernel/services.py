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

Mechanism only; every decision is the model's.
"""
from __future__ import annotations

from typing import Callable

from ..machine.clock import CYCLES_PER_SECOND
from .content import newest_update, quarantine
from .install import SENSOR_DIR


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
