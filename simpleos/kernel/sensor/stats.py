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
