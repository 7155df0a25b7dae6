"""Nanokernel (a separation kernel, after KeyKOS and seL4): the sensor holds capabilities and nothing else.

The kernel does almost nothing but hand out capabilities and enforce them. The sensor runs
at ring 3 (placement.CapabilityProcess) holding exactly: an event endpoint (receive events,
reply verdicts), read-only frames of its content, and a log endpoint -- no ambient
authority: every other system call is refused, even listing the processes
(kernel/capabilities.py). A fault kills only it. Its capabilities are then revoked and
granted again to a fresh instance: that is the restart. The crash report (and the
debugger's `info caps`) prints its capability table: what the sensor could touch.
There is no content judgement here: the same capabilities include the same content.
"""
from __future__ import annotations

from .base import IsolationModel, SensorDeath
from ..kernel.placement import CapabilityProcess

AUTH_DEADLINE_MS = 10.0
MAX_GRANTS = 5            # fresh instances per boot before the capabilities stay revoked


class Nanokernel(IsolationModel):
    """Capabilities only: a fault revokes them, and a fresh instance gets them again."""

    name = "nanokernel"
    sensor_ring = 3
    auth_deadline_ms = AUTH_DEADLINE_MS
    order = 6

    def __init__(self) -> None:
        self.placement = CapabilityProcess()          # one per boot: it keeps the content frames it lends

    def place(self, driver) -> CapabilityProcess:
        """The sensor is a process that holds capabilities and nothing else."""
        return self.placement

    def on_sensor_death(self, death: SensorDeath, services) -> None:
        """The crash report is the capability table. Revoke it, then grant it to a fresh instance."""
        self.announce_outage(services)
        revoked = services.revoke_sensor_authority()
        services.log(f"nanokernel: what the sensor could touch: {len(revoked)} capabilities, now revoked")
        for capability in revoked:
            services.log(f"nanokernel:   {capability.describe()}")
        address = getattr(death.trap, "address", None)
        if address is not None and not any(capability.contains(address) for capability in revoked):
            services.log(f"nanokernel: the fault address {address:#x} is in none of them")
        if death.restarts >= MAX_GRANTS:
            services.log(f"nanokernel: {death.crashes} instances died; the capabilities stay revoked")
            return
        services.log("nanokernel: granting them to a fresh instance")
        services.after(0, lambda: self._grant_again(services))

    def _grant_again(self, services) -> None:
        """The restart: a fresh instance, with the same capabilities."""
        services.restart_sensor()
        slots = ", ".join(str(capability.slot) for capability in services.sensor_authority())
        services.log(f"nanokernel: the fresh instance holds the same capabilities (slots {slots})")
