"""Hybrid (Windows user-mode drivers / macOS ES + DriverKit / the post-2024 Windows plan).

A small event stub stays in the kernel (here: the kernel's own event
delivery, kernel/sensor/) and the content interpreter runs in a ring-3
interpreter process (what Windows calls a driver host process), so each
event and verdict still crosses into user space as an IPC message -- the
same per-event cost as the microkernel model. When the interpreter process
crashes, the stub fails open or closed and simply starts it again -- no
backoff, no content quarantine -- until it gives up after MAX_RESTARTS
crashes in one boot.
"""
from __future__ import annotations

from .base import IsolationModel, SensorDeath

MAX_RESTARTS = 5
AUTH_DEADLINE_MS = 10.0


class Hybrid(IsolationModel):
    """Ring-0 stub, ring-3 interpreter process: restart the process at once."""

    name = "hybrid"
    sensor_ring = 3
    auth_deadline_ms = AUTH_DEADLINE_MS
    order = 2

    def on_sensor_death(self, death: SensorDeath, services) -> None:
        """Fail open/closed; restart the interpreter process at once, up to MAX_RESTARTS times."""
        self.announce_outage(services)
        if death.restarts >= MAX_RESTARTS:
            services.log(f"stub: the interpreter process crashed {death.crashes} times; leaving it stopped")
            return
        services.log(f"stub: interpreter process died ({death.cause}); restarting it at once")
        services.after(0, services.restart_sensor)
