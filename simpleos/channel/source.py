r"""Channel file sources: a readable TOML text -> ChannelFile.

A source names the header fields and lists instances; each criterion names
its field by name or index, unlisted fields are wildcards. Example:

    channel = 291
    template_type = "IPC"        # or 2
    content_version = 31
    # field_count = 21           # default: what the template type declares

    [[instance]]
    id = 291001
    action = "deny"              # or "notify"
    [[instance.criterion]]
    field = "pipe_name"          # or an index: 0
    kind = "prefix"              # equals | prefix | int | wildcard
    value = '\\.\pipe\MSSE-'

Bad sources raise ChannelSourceError with a one-line reason. This module
translates syntax only: it must NOT judge the content against the sensor's
ABI (a source that will crash the sensor still builds: that is the lesson).
"""
from __future__ import annotations

import difflib
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from ..errors import BadInput
from ..hostfiles import read_text_file
from .format import ACTION_NAMES, ChannelFile, Criterion, Instance
from .templates import TemplateType, describe_known_types, template_type, template_type_named

HEADER_KEYS = ("channel", "template_type", "content_version", "field_count", "instance")
INSTANCE_KEYS = ("id", "action", "criterion")
CRITERION_KEYS = ("field", "kind", "value")
SOURCE_KINDS = ("equals", "prefix", "int", "wildcard")
MAX_SOURCE_BYTES = 1 << 20
U64_MAX = (1 << 64) - 1


class ChannelSourceError(BadInput):
    """A channel file source is not valid (one-line reason)."""


def load_source(path: str | Path) -> ChannelFile:
    """Read and build a TOML source file; unreadable or bad sources raise ChannelSourceError."""
    path = Path(path)
    try:
        text = read_text_file(path, MAX_SOURCE_BYTES, "channel file source")
    except BadInput as reason:
        raise ChannelSourceError(str(reason)) from None
    return build_source(text, origin=str(path))


def build_source(text: str, origin: str = "<source>") -> ChannelFile:
    """Build a ChannelFile from TOML source text; origin prefixes error messages."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as syntax:
        raise ChannelSourceError(f"{origin}: TOML syntax error: {_one_line(str(syntax))}") from None
    try:
        return _build(table)
    except ChannelSourceError as bad:
        raise ChannelSourceError(f"{origin}: {bad}") from None


def _build(table: dict) -> ChannelFile:
    """Turn the decoded TOML table into a ChannelFile."""
    _reject_unknown_keys(table, HEADER_KEYS, "top level")
    for key in ("channel", "template_type", "content_version"):
        if key not in table:
            raise ChannelSourceError(f"missing '{key}' at top level")
    channel = _integer(table["channel"], "channel", 0xFFFF)
    content_version = _integer(table["content_version"], "content_version", 0xFFFFFFFF)
    ttype_number, ttype = _template_type(table["template_type"])
    if "field_count" in table:
        field_count = _integer(table["field_count"], "field_count", 0xFFFF)
    elif ttype is not None:
        field_count = ttype.fields_declared
    else:
        raise ChannelSourceError(f"template_type {ttype_number} is unknown, so 'field_count' must be given")
    raw_instances = table.get("instance", [])
    if not isinstance(raw_instances, list) or not all(isinstance(i, dict) for i in raw_instances):
        raise ChannelSourceError("'instance' must be an array of tables ([[instance]])")
    instances = tuple(_instance(raw, number, ttype, field_count) for number, raw in enumerate(raw_instances, 1))
    return ChannelFile(channel=channel, template_type=ttype_number, field_count=field_count,
                       content_version=content_version, instances=instances)


def _template_type(value) -> tuple[int, TemplateType | None]:
    """Resolve template_type given by number or by name."""
    if isinstance(value, str):
        ttype = template_type_named(value)
        if ttype is None:
            raise ChannelSourceError(f"unknown template_type '{value}' (known: {describe_known_types()})")
        return ttype.number, ttype
    number = _integer(value, "template_type", 0xFFFF)
    return number, template_type(number)


def _instance(raw: dict, number: int, ttype: TemplateType | None, field_count: int) -> Instance:
    """Build one [[instance]]: criteria default to wildcards."""
    if "id" not in raw:
        raise ChannelSourceError(f"instance #{number}: missing 'id'")
    instance_id = _integer(raw["id"], f"instance #{number}: id", 0xFFFFFFFF)
    where = f"instance {instance_id}"
    _reject_unknown_keys(raw, INSTANCE_KEYS, where)
    action = _action(raw.get("action"), where)
    raw_criteria = raw.get("criterion", [])
    if not isinstance(raw_criteria, list) or not all(isinstance(c, dict) for c in raw_criteria):
        raise ChannelSourceError(f"{where}: 'criterion' must be an array of tables ([[instance.criterion]])")
    criteria = [Criterion.wildcard()] * field_count
    seen: set[int] = set()
    for raw_criterion in raw_criteria:
        index, criterion = _criterion(raw_criterion, where, ttype, field_count)
        if index in seen:
            raise ChannelSourceError(f"{where}: field index {index} has more than one criterion")
        seen.add(index)
        criteria[index] = criterion
    return Instance(instance_id, action, tuple(criteria))


def _action(value, where: str) -> int:
    """"notify" or "deny" -> its number."""
    by_name = {name: number for number, name in ACTION_NAMES.items()}
    if value is None:
        raise ChannelSourceError(f"{where}: missing 'action' (notify or deny)")
    if not isinstance(value, str) or value not in by_name:
        raise ChannelSourceError(f"{where}: bad action {value!r} (notify or deny)")
    return by_name[value]


def _criterion(raw: dict, where: str, ttype: TemplateType | None, field_count: int) -> tuple[int, Criterion]:
    """Build one [[instance.criterion]]: (field index, Criterion)."""
    _reject_unknown_keys(raw, CRITERION_KEYS, f"{where}: criterion")
    if "field" not in raw:
        raise ChannelSourceError(f"{where}: criterion without 'field'")
    index = _field_index(raw["field"], where, ttype, field_count)
    where = f"{where}: field {raw['field']!r}"
    kind = raw.get("kind")
    if kind not in SOURCE_KINDS:
        raise ChannelSourceError(f"{where}: bad kind {kind!r} (equals, prefix, int or wildcard)")
    if kind == "wildcard":
        if "value" in raw:
            raise ChannelSourceError(f"{where}: a wildcard takes no 'value'")
        return index, Criterion.wildcard()
    if "value" not in raw:
        raise ChannelSourceError(f"{where}: kind {kind} needs a 'value'")
    value = raw["value"]
    if kind == "int":
        return index, Criterion.integer(_integer(value, f"{where}: value", U64_MAX))
    if not isinstance(value, str):
        raise ChannelSourceError(f"{where}: kind {kind} needs a string value, got {value!r}")
    if "\0" in value:
        raise ChannelSourceError(f"{where}: string value contains a NUL character")
    encoded = value.encode("utf-8")
    if len(encoded) > 0xFFFF:
        raise ChannelSourceError(f"{where}: string value is {len(encoded)} bytes (at most 65535)")
    return index, (Criterion.equals(encoded) if kind == "equals" else Criterion.prefix(encoded))


def _field_index(field, where: str, ttype: TemplateType | None, field_count: int) -> int:
    """Resolve a field given by name or by 0-based index."""
    if isinstance(field, str):
        declared = ttype.field_named(field) if ttype else None
        if declared is None:
            names = [f.name for f in ttype.fields] if ttype else []
            close = difflib.get_close_matches(field, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            type_name = ttype.name if ttype else "an unknown template type"
            raise ChannelSourceError(f"{where}: unknown field name '{field}' for {type_name}{hint}")
        index = declared.index
    else:
        index = _integer(field, f"{where}: field index", 0xFFFF)
    if index >= field_count:
        raise ChannelSourceError(f"{where}: field index {index} out of range (field_count is {field_count})")
    return index


def _integer(value, what: str, maximum: int) -> int:
    """Require a TOML integer in 0..maximum."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChannelSourceError(f"{what} must be an integer, got {value!r}")
    if not 0 <= value <= maximum:
        raise ChannelSourceError(f"{what} {value} out of range 0..{maximum}")
    return value


def _reject_unknown_keys(table: dict, known: tuple[str, ...], where: str) -> None:
    """Catch typos such as 'chanel' instead of silently ignoring them."""
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ChannelSourceError(f"unknown key '{key}' in {where}{hint}")


def _one_line(text: str) -> str:
    """Collapse a multi-line message to one line."""
    return " ".join(text.split())
