"""Reproduction: does a crash file also bring down a real machine?

Boots a fresh throw-away machine under the monolithic model with the file
delivered as a content update -- exactly
`simpleos boot --model monolithic --fresh --channel FILE --max-boots 1` --
through the boot manager's public entry point (simpleos.system.boot_with),
and reports whether it bugchecked in the sensor, with which stop, where.
The shipped content stays on that machine's disk as on any fresh machine.
Boots; must NOT change the file or any machine but its own temporary one.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Reproduction:
    """How the real boot went."""
    outcome: str                     # "bugcheck" or "up"
    stop: str | None                 # e.g. PAGE_FAULT_IN_NONPAGED_AREA
    where: str | None                # e.g. sensor.sys+0x2d2
    rip: int | None
    address: int | None
    module: str | None

    @property
    def in_sensor(self) -> bool:
        """Bugchecked, and the faulting instruction is the sensor's."""
        return self.outcome == "bugcheck" and self.module == "sensor.sys"

    def to_json(self) -> dict:
        """The `reproduction` object of the JSON report."""
        return {"outcome": self.outcome, "stop": self.stop, "where": self.where,
                "rip": self.rip, "address": self.address, "in_sensor": self.in_sensor}

    def same_fault(self, rip: int) -> bool:
        """Did the boot fault at this very instruction (not first somewhere else)?"""
        return self.in_sensor and self.rip == rip


def boot_with_file(path: str | Path, build: str = "original") -> Reproduction:
    """One monolithic boot of a fresh machine with `path` delivered; the first boot's outcome."""
    from ..system import BootOptions, boot_with
    with tempfile.TemporaryDirectory(prefix="simpleos-fuzz-repro-") as home:
        session = boot_with(BootOptions(machine=home, fresh=True, model="monolithic", channels=[str(path)],
                                        sensor_build=build, max_boots=1))
        try:
            record = session.boots[0]
            bugcheck = record.bugcheck
            if bugcheck is None:
                return Reproduction(record.outcome, None, None, None, None, None)
            return Reproduction(record.outcome, bugcheck.name, bugcheck.where(), bugcheck.rip,
                                bugcheck.address if bugcheck.address is not None else bugcheck.parameters[0],
                                bugcheck.module)
        finally:
            session.close()


def reproduce_command(path: str | Path, build: str = "original") -> str:
    """The command a student types to see it for themselves."""
    fixed = " --sensor-build fixed" if build != "original" else ""
    return f"simpleos boot --model monolithic --fresh --channel {path}{fixed}"
