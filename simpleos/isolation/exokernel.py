"""Exokernel (Aegis / ExOS): the sensor is a library-OS extension; the kernel protects, it does not manage.

After Engler, Kaashoek and O'Toole (SOSP 1995). The exokernel multiplexes the machine
securely and leaves its management to library operating systems; the sensor is an extension
of one, at ring 3, and its content is downloaded code, checked when it is bound. Through
secure bindings (kernel/bindings.py, placed by placement.BoundExtension) the kernel grants
the interpreter read access to exactly two things: its own content, and each event's inputs
array (with the strings it points to), mapped so that the array ends where the binding ends.
Every other read of an event faults -- in the sensor's own protection domain, not the kernel.

A fault there starts the abort protocol:
  1. every binding is revoked and recorded in the repossession vector;
  2. the extension is detached (its process is killed);
  3. the machine stays up.
The boot log names the binding that broke. Management is the library OS's: it re-attaches
its extension at once, and the bind-time check (admit) refuses to bind again, this boot, the
content that broke a binding -- so the extension comes back on what is left.
"""
from __future__ import annotations

from .base import DEFAULT, KILL, IsolationModel, SensorDeath
from ..kernel.placement import BoundExtension
from ..record import dataclass

AUTH_DEADLINE_MS = 10.0
MAX_ATTACHES = 5          # re-attachments per boot before the library OS gives up on its extension


@dataclass(frozen=True)
class Repossession:
    """One entry of the repossession vector: a binding the kernel took back, and why."""
    binding: str               # the binding, described
    reason: str                # the access that broke the protocol


def binding_broken_by(bindings: list, address: int):
    """The binding an access at `address` fell outside of: the nearest one (None if there are none)."""
    def distance(binding) -> int:
        if address >= binding.end:
            return address - binding.end + 1
        return binding.start - address if address < binding.start else 0
    return min(bindings, key=distance, default=None)


class Exokernel(IsolationModel):
    """A library-OS extension behind secure bindings: a broken binding detaches it, not the machine."""

    name = "exokernel"
    sensor_ring = 3
    auth_deadline_ms = AUTH_DEADLINE_MS
    order = 5
    rejects_content_by = "bind-time check: it broke its secure binding"
    admission_log = "exokernel"

    def __init__(self) -> None:
        self.placement = BoundExtension()                 # one per boot: it keeps the frames it binds
        self.repossession_vector: list[Repossession] = []
        self.broken_by: dict[str, str] = {}               # content file -> the binding it broke
        self._broken: str | None = None                   # the binding of the abort in progress

    def place(self, driver) -> BoundExtension:
        """The sensor is a library-OS extension behind secure bindings."""
        return self.placement

    def admit(self, content) -> list[str]:
        """The bind-time check: content that broke a binding is not bound again this boot."""
        broken = self.broken_by.get(content.name)
        return [f"it broke the secure binding `{broken}` (repossession vector); not bound again"] if broken else []

    def on_fault(self, fault, services) -> str:
        """A fault in the extension: the abort protocol. Name the binding, revoke them all, detach."""
        if not fault.in_sensor:
            return DEFAULT
        access = services.fault_access(fault)
        broken = binding_broken_by(services.sensor_authority(), access.address)
        if broken is not None:
            what = f"{access.describe()} outside the binding `{broken.name}` ({broken.start:#x}-{broken.end:#x})"
        else:
            what = f"{access.describe()}, and it holds no binding"
        services.log(f"exokernel: pid {fault.pid} {fault.process}: {what}")
        revoked = services.revoke_sensor_authority()
        self.repossession_vector += [Repossession(binding.describe(), what) for binding in revoked]
        names = ", ".join(f"`{binding.name}`" for binding in revoked) or "none"
        services.log(f"exokernel: abort protocol: revoked {len(revoked)} bindings ({names}) into the "
                     f"repossession vector ({len(self.repossession_vector)} entries); detaching the extension")
        self._broken = broken.name if broken is not None else "(none)"
        return KILL

    def on_sensor_death(self, death: SensorDeath, services) -> None:
        """The extension is detached. The library OS re-attaches it at once -- on the content that
        did not break a binding -- unless it has done so MAX_ATTACHES times this boot."""
        self.announce_outage(services)
        broken, self._broken = self._broken, None
        if death.restarts >= MAX_ATTACHES:
            services.log(f"exokernel: the extension was detached {death.crashes} times; it stays detached")
            return
        if broken is not None and death.file is not None:
            if death.file in self.broken_by:
                services.log(f"exokernel: {death.file} broke `{broken}` again; the extension stays detached")
                return
            self.broken_by[death.file] = broken
            services.log(f"exokernel: {death.file} broke `{broken}`: it will not be bound again; "
                         f"the library OS re-attaches its extension")
        else:
            services.log(f"exokernel: the extension is detached ({death.cause}); the library OS re-attaches it")
        services.after(0, services.restart_sensor)
