"""One-shot (lab 6, the student's own model): ring 3, restarted once after 1 s, never again.

A middle ground between sandboxed (never restarted) and microkernel (restarted
with backoff and quarantine): one second of grace buys a restart for a sensor
that died of a passing problem; a second death leaves it stopped, fail-open.
"""
from __future__ import annotations

from .base import IsolationModel, SensorDeath


class OneShot(IsolationModel):
    """Sensor in its own process; one restart, one second after its first death."""

    name = "oneshot"
    sensor_ring = 3

    def on_sensor_death(self, death: SensorDeath, services) -> None:
        """Fail open/closed while it is down; restart it once, after a second."""
        self.announce_outage(services)
        if death.restarts == 0:
            services.log(f"oneshot: sensor died ({death.cause}); restarting it once, in 1 s")
            services.after(1, services.restart_sensor)
        else:
            services.log(f"oneshot: sensor died again ({death.cause}); leaving it stopped")
