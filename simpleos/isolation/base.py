"""The interface every isolation model implements: where the sensor runs, what its failures mean.

A model is policy only. The kernel asks it four questions and gives it a
narrow services object (kernel/services.py: log, after, restart the sensor,
quarantine or roll back content, the fail policy) to act with. A model
never sees the kernel, the machine or a process.

  place(driver) -> Placement        where the driver runs (kernel/placement.py):
                                    its ring, its address space, how its imports bind
  admit(content) -> [problems]      may this content update be loaded? [] = yes
  on_fault(fault, services)         a trap somewhere: DEFAULT (ring 0: bugcheck,
                                    ring 3: kill), KILL, or BUGCHECK
  on_sensor_death(death, services)  the sensor process died: restart it? quarantine?

The smallest complete model is a name and a ring (monolithic.py is just
that). Put a model in a file of its own in this folder; the registry
(__init__.py) finds it by itself.
"""
from __future__ import annotations

from ..kernel.placement import KERNEL_THREAD, SERVER_PROCESS, USER_PROCESS, Placement, placement_for_ring
from ..kernel.sensor import ContentFile, SensorDeath
from ..kernel.traps import BUGCHECK, DEFAULT, KILL, Fault

__all__ = ["IsolationModel", "Placement", "KERNEL_THREAD", "USER_PROCESS", "SERVER_PROCESS", "ContentFile",
           "SensorDeath", "Fault", "DEFAULT", "KILL", "BUGCHECK"]


class IsolationModel:
    """Where the sensor driver runs and what its failures mean. Subclasses override."""

    name = "base"
    sensor_ring = 0              # 0: in the kernel; 3: in a process of its own
    fail_open = True             # while the sensor is down, allow events unexamined (False: deny them)
    auth_deadline_ms: float | None = None   # AUTH events must be answered within this much virtual time
    deadline_miss_mode = "kill"  # a missed deadline: "kill" the sensor, or "fail-closed" (deny, it lives)
    rejects_content_by = "its admit check"  # what refuses content (compare's note: "ABI validation")
    admission_log = "verifier"   # who says so in the boot log ("verifier: rejected ...")
    order = 100                  # where the model is listed (--model, compare): lower first, then by name

    def place(self, driver) -> Placement:
        """Where `driver` (its manifest) runs: a kernel thread at ring 0, a server process at ring 3."""
        return placement_for_ring(self.sensor_ring)

    def admit(self, content: ContentFile) -> list[str]:
        """Problems that keep this content update from being loaded ([] admits it). As in
        July 2024, the default admits everything."""
        return []

    def on_fault(self, fault: Fault, services) -> str:
        """A trap in some process. DEFAULT leaves it to the kernel (ring 0: bugcheck;
        ring 3: kill the process); KILL kills only the process; BUGCHECK stops the machine."""
        return DEFAULT

    def on_sensor_death(self, death: SensorDeath, services) -> None:
        """The sensor process died (death.cause, death.file ...). Default: it stays dead."""
        self.announce_outage(services)

    def announce_outage(self, services) -> None:
        """Say what happens to events while the sensor is down."""
        policy = "pass unexamined (fail-open)" if services.fail_open else "are denied (fail-closed)"
        services.log(f"{self.name}: the sensor is down; events {policy}")

    def describe(self) -> str:
        """One line for the boot log."""
        return f"isolation model: {self.name} (sensor at ring {self.sensor_ring})"
