"""The two content validators: against the template type, and against the sensor's ABI.

`template_validate` checks a parsed file against the template type
*definition* (what CrowdStrike's Content Validator did): CF291's bad file
passes it. `abi_validate` also checks every non-wildcard criterion against
the inputs the sensor *supplies* (what the `verified` model runs before the
sensor may load a file): CF291's bad file fails it. Both return a list of
one-line problems (empty = valid). Must NOT parse bytes or raise on content.
"""
from __future__ import annotations

from .format import (ACTION_NAMES, FORMAT_VERSION, INTEGER_LENGTH, KIND_INT_EQUALS, KIND_NAMES, KIND_WILDCARD,
                     STRING_KINDS, ChannelFile, Criterion, Instance)
from .names import channel_from_name
from .templates import CHANNEL_TEMPLATES, TemplateType, describe_known_types, template_type


def template_validate(cf: ChannelFile, name: str | None = None) -> list[str]:
    """Problems of cf against its template type definition (header, counts, kinds), and,
    given the file `name`, against the channel and template type the name promises."""
    problems = name_problems(name, cf) if name is not None else []
    problems += _header_problems(cf)
    ttype = template_type(cf.template_type)
    for instance in cf.instances:
        problems += _instance_problems(instance, cf.field_count, ttype)
    return problems


def abi_validate(cf: ChannelFile, name: str | None = None) -> list[str]:
    """Template problems plus every criterion that would read an input the sensor does not supply."""
    problems = template_validate(cf, name)
    ttype = template_type(cf.template_type)
    if ttype is None:
        return problems  # already reported as unknown: there is no ABI to check against
    for instance_id, index, supplied in unsupplied_inputs(cf):
        problems.append(f"instance {instance_id}: criterion on field {index + 1} (index {index}) "
                        f"reads input #{index + 1} but the sensor supplies {supplied} inputs")
    return problems


def unsupplied_inputs(cf: ChannelFile) -> list[tuple[int, int, int]]:
    """(instance id, field index, inputs supplied) of every criterion that is not a wildcard and
    reads an input the sensor does not supply -- CF291's rule 291003 on field 21 of 20."""
    ttype = template_type(cf.template_type)
    if ttype is None:
        return []
    return [(instance.instance_id, index, ttype.inputs_supplied)
            for instance in cf.instances for index, criterion in enumerate(instance.criteria)
            if not criterion.is_wildcard and index >= ttype.inputs_supplied]


def name_problems(name: str, cf: ChannelFile) -> list[str]:
    """Contradictions between a file's name (C-<channel>-...) and its header: another channel,
    or a template type that the named channel does not carry."""
    named = channel_from_name(name)
    if named is None:
        return []
    problems = []
    if named != cf.channel:
        problems.append(f"the file name says channel {named} but the header says channel {cf.channel}")
    expected = CHANNEL_TEMPLATES.get(named)
    if expected is not None and cf.template_type != expected:
        have = template_type(cf.template_type)
        problems.append(f"channel {named} carries {template_type(expected).name} rules (template type {expected}), "
                        f"but the header says {have.name if have else 'unknown'} (template type {cf.template_type})")
    return problems


def _header_problems(cf: ChannelFile) -> list[str]:
    """Header sanity: version, known template type, field_count as declared, unique instance ids."""
    problems = []
    if cf.format_version != FORMAT_VERSION:
        problems.append(f"format version {cf.format_version} (expected {FORMAT_VERSION})")
    ttype = template_type(cf.template_type)
    if ttype is None:
        problems.append(f"unknown template type {cf.template_type} (known: {describe_known_types()})")
    elif cf.field_count != ttype.fields_declared:
        problems.append(f"header field_count is {cf.field_count} but template type {ttype.name} declares "
                        f"{ttype.fields_declared} fields")
    seen: set[int] = set()
    for instance in cf.instances:
        if instance.instance_id in seen:
            problems.append(f"instance id {instance.instance_id} appears more than once")
        seen.add(instance.instance_id)
    return problems


def _instance_problems(instance: Instance, field_count: int, ttype: TemplateType | None) -> list[str]:
    """One instance: known action, criteria_count == field_count, each criterion well-typed."""
    where = f"instance {instance.instance_id}"
    problems = []
    if instance.action not in ACTION_NAMES:
        problems.append(f"{where}: unknown action {instance.action}")
    if instance.criteria_count != field_count:
        problems.append(f"{where}: criteria_count is {instance.criteria_count} but the header's field_count "
                        f"is {field_count}")
    for index, criterion in enumerate(instance.criteria):
        problem = _criterion_problem(criterion, index, ttype)
        if problem:
            field = ttype.field(index) if ttype else None
            name = f", {field.name}" if field else ""
            problems.append(f"{where}: criterion on field {index + 1} (index {index}{name}) {problem}")
    return problems


def _criterion_problem(criterion: Criterion, index: int, ttype: TemplateType | None) -> str | None:
    """What is wrong with one criterion at this field index, or None."""
    if criterion.kind not in KIND_NAMES:
        return f"has unknown kind {criterion.kind}"
    if criterion.kind == KIND_WILDCARD:
        return f"is a wildcard with a {len(criterion.value)}-byte value" if criterion.value else None
    if criterion.kind == KIND_INT_EQUALS and len(criterion.value) != INTEGER_LENGTH:
        return f"is an integer criterion with length {len(criterion.value)} (must be {INTEGER_LENGTH})"
    if criterion.kind in STRING_KINDS and 0 in criterion.value:
        return "has a string value containing a NUL byte"
    # lab-answer 8: begin (student trees get the validators without this check: Lab 8 writes one)
    field = ttype.field(index) if ttype else None
    if field is None:
        return None  # past the definition: the count check already reports it
    if field.is_string and criterion.kind not in STRING_KINDS:
        return f"is an {criterion.kind_name} criterion but {field.name} is a string field"
    if not field.is_string and criterion.kind in STRING_KINDS:
        return f"is a string {criterion.kind_name} criterion but {field.name} is an integer field"
    # lab-answer 8: end
    return None
