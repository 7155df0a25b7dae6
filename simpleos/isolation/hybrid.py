"""Hybrid (Windows user-mode drivers / macOS ES + DriverKit / the post-2024 Windows plan).

A small event stub stays in the kernel (here: the kernel's own event
delivery, kernel/sensor.py) and the content interpreter runs in a ring-3
host process, so each event and verdict still crosses into user space as an
IPC message (the same per-event cost as the microkernel model). When the host crashes, the stub fails open or closed
and simply starts the host again -- no backoff, no content quarantine --
until it gives up after MAX_RESTARTS crashes in one boot.
"""
from __future__ import annotations

from .base import IsolationModel

MAX_RESTARTS = 5
AUTH_DEADLINE_MS = 10.0


class Hybrid(IsolationModel):
    """Ring-0 stub, ring-3 interpreter host: restart the host at once."""

    name = "hybrid"
    sensor_ring = 3
    auth_deadline_ms = AUTH_DEADLINE_MS

    def on_sensor_death(self, kernel, host, reason: str, file: str | None) -> None:
        """Fail open/closed; restart the host immediately, up to MAX_RESTARTS times."""
        self.announce_outage(kernel)
        if host.stats.restarts >= MAX_RESTARTS:
            kernel.log(f"stub: the sensor host crashed {host.stats.crashes} times; leaving it stopped")
            return
        kernel.log(f"stub: sensor host died ({reason}); restarting it at once")
        kernel.add_timer(kernel.clock.cycles, host.restart)
