"""Which rule, field and template type crashed the sensor -- read from the dump, for analyze's words.

The dump names the channel file, rule (instance) and criterion the sensor
was on; its captured memory holds the loaded files themselves
(contentvalues.py finds them as the sensor does). Parsing the file that
holds that rule gives what the report must not guess: the template type
and how many fields it declares, how many inputs the sensor supplies for
it, the field's name and value type, and the criterion's kind. The
explanation and the FIXES block of `analyze` are built from this, so a
different crash (another rule, another field) reads differently. Reads the
dump; never changes it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..channel.format import KIND_NAMES
from ..channel.templates import TEMPLATE_TYPES
from .contentvalues import loaded_files


@dataclass(frozen=True)
class Culprit:
    """The criterion the sensor was testing when it crashed."""
    file: str
    channel: int
    template: str                 # 'IPC', 'PROCESS', or 'type N'
    declared: int                 # fields the template type declares
    supplied: int | None          # inputs the sensor supplies for it
    instance: int
    index: int                    # 0-based criterion (= input) index
    field: str                    # the field's name, or 'field N'
    field_type: str | None        # 'string' | 'integer' | None past the definition
    kind: str                     # 'equals', 'prefix', 'int', 'wildcard'

    @property
    def out_of_bounds(self) -> bool:
        """Did the criterion ask for an input the sensor does not supply?"""
        return self.supplied is not None and self.index >= self.supplied

    @property
    def type_mismatch(self) -> bool:
        """A string test on an integer field (or an integer test on a string field)?"""
        return self.field_type is not None and (self.kind in ("equals", "prefix")) != (self.field_type == "string")


def find_culprit(dump: dict, target) -> Culprit | None:
    """The criterion behind the crash, from the dump's sensor record and its captured content."""
    sensor = dump.get("sensor") or {}
    instance, index = sensor.get("instance"), sensor.get("criterion")
    if instance is None or index is None:
        return None
    for _, parsed in loaded_files(target):
        rule = next((r for r in parsed.instances if r.instance_id == instance), None)
        if rule is None or index >= len(rule.criteria):
            continue
        ttype = TEMPLATE_TYPES.get(parsed.template_type)
        field = ttype.field(index) if ttype else None
        return Culprit(file=sensor.get("file") or "the channel file", channel=parsed.channel,
                       template=ttype.name if ttype else f"type {parsed.template_type}",
                       declared=parsed.field_count, supplied=ttype.inputs_supplied if ttype else None,
                       instance=instance, index=index, field=field.name if field else f"field {index + 1}",
                       field_type=field.value_type if field else None,
                       kind=KIND_NAMES.get(rule.criteria[index].kind, str(rule.criteria[index].kind)))
    return None


def explanation_lines(culprit: Culprit) -> list[str]:
    """What the content asked for, in words, from the parsed file."""
    supplied = f"; the sensor supplies {culprit.supplied} inputs for it" if culprit.supplied is not None else ""
    lines = [f"{culprit.file} is channel {culprit.channel}, template type {culprit.template}: {culprit.declared} "
             f"fields declared{supplied}",
             f"rule {culprit.instance} tests field {culprit.index + 1} ({culprit.field}"
             + (f", {culprit.field_type}" if culprit.field_type else ", past the type definition")
             + f") with a criterion of kind {culprit.kind!r}"]
    return lines


def fix_lines(culprit: Culprit | None, file: str) -> list[str]:
    """The FIXES block: the fixes that match this crash, then those that hold for any crash."""
    lines = []
    if culprit is not None and culprit.out_of_bounds:
        lines += [f"runtime bounds check in the interpreter: test i < {culprit.supplied} (the inputs supplied) "
                  f"before reading inputs[i]", "  and skip the rule          -> simpleos boot --sensor-build fixed",
                  f"validate content against the sensor's ABI before the interpreter sees it: rule "
                  f"{culprit.instance}'s criterion",
                  f"  on field {culprit.index + 1} needs {culprit.index + 1} inputs; the {culprit.template} sensor "
                  f"supplies {culprit.supplied} -> simpleos boot --model verified"]
    elif culprit is not None and culprit.type_mismatch:
        lines += ["runtime type check in the interpreter: a string test must read a string input, else skip",
                  "  the rule                    -> simpleos boot --sensor-build fixed",
                  f"validate each criterion's kind against its field: field {culprit.index + 1} ({culprit.field}) "
                  f"of {culprit.template} is",
                  f"  an {culprit.field_type}, rule {culprit.instance} tests it with {culprit.kind!r} "
                  f"-> simpleos channel validate {file}"]
    lines += [
        "isolation: run the content interpreter in its own ring-3 process; the fault kills the",
        "  sensor, the machine stays up, the file is quarantined -> simpleos boot --model microkernel",
        "staged rollout of content (canary ring first): a file that crashes every machine is caught",
        "  on the first ring, not on 8.5 million machines",
        "recover this machine now: safe mode and delete the file by hand, as on 19 July 2024",
        f'  -> simpleos boot --safe-mode --exec "rm /drivers/sensor/{file}; reboot"',
    ]
    return lines
