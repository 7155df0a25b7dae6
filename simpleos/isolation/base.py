"""The interface every isolation model implements.

A model is policy only: it answers questions the kernel asks. It must not
touch the machine or the kernel's data structures beyond the calls below.
"""
from __future__ import annotations


class IsolationModel:
    """Where a driver runs and what its faults mean. Subclasses override."""

    name = "base"
    sensor_ring = 0              # 0: in the kernel; 3: in its own process
    fail_open = True             # while the sensor is down, allow events unexamined
    auth_deadline_ms: float | None = None   # AUTH events must be answered within this (ring 3)
    verify_content = False       # ABI-validate channel files before the sensor sees them

    def place(self, manifest) -> int:
        """The ring the driver runs at."""
        return self.sensor_ring

    def on_fault(self, kernel, process, trap) -> bool:
        """A trap in `process`. Return True if the model handled it; False leaves it to
        the kernel's default (ring 0: bugcheck; ring 3: kill)."""
        return False

    def on_sensor_death(self, kernel, host, reason: str, file: str | None) -> None:
        """The sensor process died (at ring 3) for `reason` while interpreting `file`.
        Default: it stays dead."""
        self.announce_outage(kernel)

    def announce_outage(self, kernel) -> None:
        """Say what happens to events while the sensor is down."""
        policy = "pass unexamined (fail-open)" if self.fail_open else "are denied (fail-closed)"
        kernel.log(f"{self.name}: the sensor is down; events {policy}")

    def describe(self) -> str:
        """One line for the boot log."""
        return f"isolation model: {self.name} (sensor at ring {self.sensor_ring})"
