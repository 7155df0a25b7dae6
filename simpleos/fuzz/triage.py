"""Triage: what a crash is (fault, bucket), what the validators say of it, and why it happened.

- classify(): the fault as a boot would report it -- the bugcheck a ring-0
  trap (or a hang) leads to (kernel/bugcheck.py), and WinDbg's
  FAILURE_BUCKET_ID as `simpleos analyze` computes it (debug/analyze.py).
  Crashes are deduplicated by faulting RIP and bucket.
- judge(): the differential. Does the file parse, pass template validation,
  pass ABI validation (simpleos/channel/validate.py), pass the caller's own
  validator? A crash that passes template validation is the July 2024 gap;
  one that passes ABI validation too is a validator bug.
- explain(): the same explanation `analyze` prints (debug/explain.py): the
  access, where the bad pointer came from, which rule read which input.

Reads results; must NOT run the machine or choose inputs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..channel import ChannelFile, ChannelFormatError, abi_validate, parse, template_validate
from ..channel.templates import template_type
from ..debug.analyze import failure_bucket
from ..debug.dumpsymbols import DumpSymbols
from ..debug.explain import (access_of, describe_access, describe_input_read, describe_rule_read,
                             sensor_input_read)
from ..kernel.bugcheck import bugcheck_for_trap, watchdog_bugcheck
from ..machine.trap import PAGE_FAULT, describe_error_code
from .harness import HANG, Outcome

Validator = Callable[[ChannelFile], list]


@dataclass(frozen=True)
class Fault:
    """Where and how the sensor went down."""
    vector: int | None               # 14 #PF, 13 #GP, 6 #UD ...; None for a hang
    name: str                        # '#PF' or 'hang'
    rip: int
    symbol: str                      # 'sensor.sys!compare_string+0xa'
    address: int | None              # the faulting address (CR2) for #PF
    bucket: str                      # 'AV_R_INVALID_sensor.sys!compare_string'
    stop: str                        # the bugcheck a boot shows: 'PAGE_FAULT_IN_NONPAGED_AREA'

    def to_json(self) -> dict:
        """The `fault` object of the JSON report."""
        return {"vector": self.vector, "name": self.name, "rip": self.rip, "symbol": self.symbol,
                "address": self.address, "bucket": self.bucket, "stop": self.stop}


class Classifier:
    """Turns Outcomes of one harness into Faults (cached: many executions fault alike)."""

    def __init__(self, harness) -> None:
        self.harness = harness
        self.symbols = DumpSymbols(harness.modules())
        self._cache: dict[tuple, Fault] = {}

    def classify(self, outcome: Outcome) -> Fault:
        """The Fault of a crashed or hung execution."""
        trap = outcome.trap
        key = (outcome.kind, outcome.rip, trap and (trap.vector, trap.address, trap.error_code))
        fault = self._cache.get(key)
        if fault is None:
            fault = self._cache[key] = self._classify(outcome)
        return fault

    def _classify(self, outcome: Outcome) -> Fault:
        """The bugcheck a boot would make of this, and its bucket."""
        module, offset = self.harness.locate(outcome.rip)
        where = self.symbols.symbolize(outcome.rip)
        if outcome.kind == HANG:
            bugcheck = watchdog_bugcheck(outcome.rip, module, offset, self.harness.hang_budget)
            vector, name, address = None, "hang", None
        else:
            trap = outcome.trap
            bugcheck = bugcheck_for_trap(trap, module, offset)
            vector, name, address = trap.vector, trap.name, trap.address
        return Fault(vector, name, outcome.rip, where, address,
                     failure_bucket(bugcheck.code, list(bugcheck.parameters), where), bugcheck.name)


@dataclass(frozen=True)
class Verdicts:
    """What the validators say of one file."""
    parse_error: str | None
    template_problems: tuple[str, ...]
    abi_problems: tuple[str, ...]
    validator_problems: tuple[str, ...] | None     # None: no validator was given

    @property
    def template_valid(self) -> bool:
        """Parses and passes template validation."""
        return self.parse_error is None and not self.template_problems

    @property
    def abi_valid(self) -> bool:
        """Parses and passes ABI validation."""
        return self.parse_error is None and not self.abi_problems

    @property
    def validator_valid(self) -> bool | None:
        """Parses and passes the caller's validator (None if there is none)."""
        if self.validator_problems is None:
            return None
        return self.parse_error is None and not self.validator_problems

    @property
    def key(self) -> tuple:
        """The part of a crash's identity that says which validators let it through."""
        return self.template_valid, self.abi_valid, self.validator_valid


def judge(data: bytes, validator: Validator | None = None) -> Verdicts:
    """Parse and validate `data`. An unparsable file is rejected by every validator
    (a verifier refuses it before any rule runs, as SensorHost.read_content does)."""
    try:
        cf = parse(data)
    except ChannelFormatError as reason:
        return Verdicts(str(reason), (), (), None if validator is None else ("does not parse",))
    own = None if validator is None else tuple(str(p) for p in validator(cf))
    return Verdicts(None, tuple(template_validate(cf)), tuple(abi_validate(cf)), own)


def why_template_valid(data: bytes, verdicts: Verdicts) -> str | None:
    """One line: why the template validator let this crash through (None if it did not)."""
    if not verdicts.template_valid:
        return None
    cf = parse(data)
    ttype = template_type(cf.template_type)
    gap = [problem for problem in verdicts.abi_problems if problem not in verdicts.template_problems]
    if not gap:
        return (f"VALIDATOR BUG: it passes template AND ABI validation, yet it crashes the sensor: "
                f"neither validator models what the interpreter does here")
    return (f"the template validator checks each rule against the {ttype.name} type definition "
            f"({ttype.fields_declared} fields declared), never against the {ttype.inputs_supplied} inputs the "
            f"sensor supplies; the ABI check does: {gap[0]}")


def rejection(verdicts: Verdicts) -> str:
    """One line: which check refuses the file first (for crashes the 2024 validator caught)."""
    if verdicts.parse_error is not None:
        return f"the parser refuses it: {verdicts.parse_error}"
    if verdicts.template_problems:
        return f"template validation refuses it: {verdicts.template_problems[0]}"
    if verdicts.abi_problems:
        return f"ABI validation refuses it: {verdicts.abi_problems[0]}"
    return "every validator accepts it"


def explain(harness, outcome: Outcome, fault: Fault, file: str) -> list[str]:
    """analyze's EXPLANATION for this crash: the access, the input behind it, the rule.
    `outcome` must come from harness.run(..., detail=True)."""
    symbols = DumpSymbols(harness.modules())
    event = harness.workload[outcome.event].label if outcome.event >= 0 else "its content"
    if outcome.kind == HANG:
        return [f"the sensor ran {harness.hang_budget:,} instructions judging {event} without waiting for "
                f"the next event: at ring 0 the watchdog bugchecks ({fault.stop}) at {fault.symbol}"]
    trap = outcome.trap
    lines = []
    if trap.vector == PAGE_FAULT:
        code = harness.read(trap.rip, 16) or b""
        lines.append(f"{describe_access(access_of(trap, code))} by {fault.symbol}: "
                     f"{describe_error_code(trap.error_code or 0).split(', ')[1]} (judging {event})")
        found = sensor_input_read(outcome.registers, outcome.criterion, symbols.symbolize, harness.read_word,
                                  fault_address=trap.address)
        if found is not None:
            lines.append(describe_input_read(found))
            instance = harness.read(outcome.instance_address, 4) if outcome.instance_address else None
            rule = int.from_bytes(instance, "little") if instance else "?"
            lines.append(describe_rule_read(found, rule, file))
        elif harness.past_content_area(trap.address):
            lines.append(f"the interpreter walked off the end of its content area (at {harness.content_end:#x}): "
                         f"the file's instance count, criteria counts or value lengths promise more than its "
                         f"body holds, and the interpreter trusts them")
    else:
        lines.append(f"{trap.name} ({trap.description}) at {fault.symbol} (judging {event})")
    return lines
