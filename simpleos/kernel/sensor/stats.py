"""What the sensor did during one boot: the counters behind the JSON `sensor` object.

Plain counters, kept by the sensor manager and read by the boot manager
(docs/cli.md). Nothing here decides anything.
"""
from __future__ import annotations

from ...record import dataclass, field


@dataclass
class SensorStats:
    """What the sensor did this boot (JSON `sensor` of docs/cli.md)."""
    crashes: int = 0
    restarts: int = 0
    quarantined: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    detections: int = 0
    denials: int = 0
    events: int = 0                  # AUTH events (a verdict is awaited)
    notifications: int = 0           # NOTIFY messages (process exits)
    unexamined: int = 0              # AUTH events decided by the fail policy, with no sensor to ask
    hidden_found: list[str] = field(default_factory=list)   # processes the sensor found hidden (cross-view)
    deadline_misses: int = 0         # AUTH events whose deadline passed before the sensor's verdict
    examined: int = 0                # AUTH events the sensor answered itself
    latency_cycles: int = 0          # over those: cycles from the kernel's submission to the verdict

    def answered(self, cycles: int) -> None:
        """The sensor gave a verdict `cycles` after the event was submitted."""
        self.examined += 1
        self.latency_cycles += cycles
