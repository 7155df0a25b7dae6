"""One-shot (lab 6, the student's own model): ring 3, restarted once after 1 s, never again.

A middle ground between sandboxed (never restarted) and microkernel (restarted
with backoff and quarantine): one second of grace buys a restart for a sensor
that died of a passing problem; a second death leaves it stopped, fail-open.
"""
from __future__ import annotations

from ..machine.clock import CYCLES_PER_SECOND
from .base import IsolationModel


class OneShot(IsolationModel):
    """Sensor in its own process; one restart, one second after its first death."""

    name = "oneshot"
    sensor_ring = 3

    def on_sensor_death(self, kernel, host, reason: str, file: str | None) -> None:
        """Fail open/closed while it is down; restart it once, after a second."""
        self.announce_outage(kernel)
        if host.stats.restarts == 0:
            kernel.log(f"oneshot: sensor died ({reason}); restarting it once, in 1 s")
            kernel.add_timer(kernel.clock.cycles + CYCLES_PER_SECOND, host.restart)
        else:
            kernel.log(f"oneshot: sensor died again ({reason}); leaving it stopped")
