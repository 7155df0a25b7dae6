"""Microkernel (MINIX 3 / macOS System Extensions): the sensor is a ring-3 server.

It has its own address space and reaches the kernel only by system calls;
events arrive as messages: AUTH (the kernel waits for allow/deny, with a
deadline in virtual time, as macOS Endpoint Security does) or NOTIFY (no
answer expected). A fault kills the server, not the machine; the
reincarnation server restarts it with backoff and quarantines content that
keeps killing it.
"""
from __future__ import annotations

from .base import IsolationModel, SensorDeath
from .reincarnation import ReincarnationServer

AUTH_DEADLINE_MS = 10.0


class Microkernel(IsolationModel):
    """Sensor as a user-space server: a crash costs one process, and it comes back."""

    name = "microkernel"
    sensor_ring = 3
    auth_deadline_ms = AUTH_DEADLINE_MS
    order = 3

    def __init__(self) -> None:
        self.rs = ReincarnationServer()

    def on_sensor_death(self, death: SensorDeath, services) -> None:
        """Fail open/closed while it is down; the reincarnation server restarts it."""
        self.announce_outage(services)
        self.rs.on_death(death, services)
