"""Machine classes: one real SimpleOS boot says what a content update does to every machine like it.

A class is an isolation model, a sensor build and a role. For each class in
the fleet, a fresh machine is installed in a temporary directory (the
shipped disk plus /etc/role), the update is delivered as `--channel` would,
and `simpleos.system.boot_with` boots it -- up to three times, like
`simpleos compare`. What the boots did (bootloop, a reboot that came back,
a sensor restart, a rejection, nothing) is the class's *effect*, and every
machine of the class that fetches the update gets exactly that effect. A
bootlooping class then gets the 2024 fix on the same disk -- safe mode,
`rm` of the file, reboot -- and whether that brings it up says whether a
technician can fix its machines at all.
Each class is also booted without the update, as the baseline. This module
runs in worker processes: everything it takes and returns pickles, and it
builds its own Machine (unicorn objects do not pickle). It must NOT simulate
the fleet or decide anything a boot did not show.
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..compare import RESET_SECONDS
from ..home import create_disk
from ..kernel.install import install_defaults
from ..kernel.role import ROLE_FILE
from ..system import BootOptions, boot_with

MAX_BOOTS = 3

BOOTLOOP = "bootloop"            # every boot bugchecked: down until a human fixes it
REBOOTED = "rebooted"            # bugchecked, then came back by itself (automatic repair)
SENSOR_RESTARTED = "sensor-restarted"   # the sensor died at ring 3; the machine stayed up
REJECTED = "rejected"            # the verifier refused the file at load
UNHARMED = "none"                # the content did nothing bad
EFFECTS = (BOOTLOOP, REBOOTED, SENSOR_RESTARTED, REJECTED, UNHARMED)


@dataclass(frozen=True, order=True)
class MachineClass:
    """What decides how a machine reacts to content: where its sensor runs, which build, which role."""
    model: str
    build: str
    role: str

    @property
    def label(self) -> str:
        """model/build/role, as in reports."""
        return f"{self.model}/{self.build}/{self.role}"


@dataclass(frozen=True)
class BootTask:
    """One class boot to run in a worker: the class, the content (None = baseline) and the boot options."""
    machine_class: MachineClass
    content_name: str | None
    content: bytes | None
    seed: int
    auto_repair: bool

    @property
    def key(self) -> tuple:
        """What the result depends on, for the per-class cache."""
        digest = hashlib.sha256(self.content).hexdigest() if self.content is not None else None
        return (self.machine_class, self.content_name, digest, self.seed, self.auto_repair)


def boot_class(task: BootTask) -> dict:
    """Install a fresh machine of the task's class, deliver the content, boot it; what happened."""
    cls = task.machine_class
    with tempfile.TemporaryDirectory(prefix="simpleos-fleet-") as home:
        fs = create_disk(Path(home))
        try:
            install_defaults(fs)
            fs.write_file(ROLE_FILE, f"{cls.role}\n".encode(), parents=True)
        finally:
            fs.close()
        channels = []
        if task.content is not None:
            incoming = Path(home) / "incoming"
            incoming.mkdir()
            (incoming / task.content_name).write_bytes(task.content)
            channels.append(str(incoming / task.content_name))
        session = boot_with(BootOptions(machine=home, model=cls.model, channels=channels, sensor_build=cls.build,
                                        max_boots=MAX_BOOTS, seed=task.seed, auto_repair=task.auto_repair))
        try:
            effect = effect_of(session)
        finally:
            session.close()
        if effect["effect"] == BOOTLOOP:
            effect.update(_fix_by_hand(home, cls, task))
        return effect


def _fix_by_hand(home: str, cls: MachineClass, task: BootTask) -> dict:
    """The 2024 fix on the bootlooping disk: safe mode, `rm` the file, reboot. Does the machine come up?"""
    fix = f"rm /drivers/sensor/{task.content_name}; reboot"
    session = boot_with(BootOptions(machine=home, model=cls.model, sensor_build=cls.build, safe_mode=True,
                                    exec_commands=fix, max_boots=1, seed=task.seed))
    try:
        return {"manual_fix": session.verdict, "fix_boots": len(session.boots)}
    finally:
        session.close()


def effect_of(session) -> dict:
    """The effect of one boot session, as plain data (see the constants above)."""
    boots = session.boots
    totals = session.sensor_totals
    bugchecks = [b for b in boots if b.outcome == "bugcheck"]
    if session.verdict != "up":
        effect = BOOTLOOP
    elif bugchecks:
        effect = REBOOTED
    elif totals["crashes"]:
        effect = SENSOR_RESTARTED
    elif totals["rejected"]:
        effect = REJECTED
    else:
        effect = UNHARMED
    down_ms = sum(b.virtual_ms for b in boots) + RESET_SECONDS * 1000 * (len(boots) - 1)
    return {"effect": effect, "verdict": session.verdict, "boots": len(boots), "bugchecks": len(bugchecks),
            "bugcheck": bugchecks[0].bugcheck.name if bugchecks else None,
            "sensor_crashes": totals["crashes"], "sensor_restarts": totals["restarts"],
            "quarantined": list(totals["quarantined"]), "rejected": list(totals["rejected"]),
            "down_minutes": round(down_ms / 60_000, 4) if bugchecks else 0.0,
            "manual_fix": None, "fix_boots": 0}
