"""One unique crash: how it was found, what it is, what the validators say, where it was written.

A Crash is the record the campaign keeps per (faulting RIP, bucket,
validator verdicts) and the report prints: the first input that crashed
that way, its minimised form, the fault, the differential verdicts, the
explanation, the file it was written to and how a real boot took it.
Holds facts; must NOT run anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .reproduce import Reproduction
from .triage import Fault, Verdicts


@dataclass
class Crash:
    """A crash of the sensor the campaign found."""
    fault: Fault
    verdicts: Verdicts
    found: bytes                     # the input that first crashed this way
    seconds: float                   # when (since the campaign started)
    execs: int                       # after how many executions
    event: str                       # the workload event being judged
    data: bytes = b""                # minimised (or = found if minimisation is off)
    explanation: list[str] = field(default_factory=list)
    why: str | None = None           # why the template validator let it through, if it did
    refused_by: str | None = None    # which check refuses it, if one does
    file: str | None = None          # where it was written
    name: str | None = None          # its channel-file name, e.g. C-00000291-fuzz-0001.sys
    reproduction: Reproduction | None = None
    hits: int = 1                    # executions that crashed this way

    @property
    def key(self) -> tuple:
        """The identity crashes are deduplicated by."""
        return (self.fault.rip, self.fault.bucket) + self.verdicts.key

    @property
    def template_valid(self) -> bool:
        """The file parses and passes template validation."""
        return self.verdicts.template_valid

    @property
    def abi_valid(self) -> bool:
        """The file parses and passes ABI validation."""
        return self.verdicts.abi_valid

    @property
    def validator_bug(self) -> bool:
        """Passes template and ABI validation and still crashes: the validators miss something."""
        return self.verdicts.template_valid and self.verdicts.abi_valid

    @property
    def passes_validator(self) -> bool | None:
        """Passes the caller's validator (None if none was given): a hole in that validator."""
        return self.verdicts.validator_valid

    def to_json(self) -> dict:
        """One entry of the report's `crashes` (docs/cli.md, `simpleos fuzz`)."""
        return {
            "file": self.file, "name": self.name, "seconds": round(self.seconds, 3), "execs": self.execs,
            "fault": self.fault.to_json(), "template_valid": self.template_valid, "abi_valid": self.abi_valid,
            "validator_bug": self.validator_bug, "passes_validator": self.passes_validator,
            "july_2024_gap": self.template_valid and not self.abi_valid, "why": self.why,
            "refused_by": self.refused_by, "event": self.event, "explanation": self.explanation,
            "bytes": {"found": len(self.found), "minimised": len(self.data)}, "hits": self.hits,
            "reproduction": dict(self.reproduction.to_json(), same_rip=self.reproduction.same_fault(self.fault.rip))
            if self.reproduction else None,
        }
