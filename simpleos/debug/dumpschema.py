"""The shape of a SimpleOS crash dump, and a check that a file really has it.

`simpleos analyze` reads dumps that may come from anywhere -- an old
version, a damaged disk, a hostile hand. Before the report touches a field,
check() compares the whole document with DUMP_SCHEMA (types and ranges)
and names the first thing wrong in one line: 'bugcheck.parameters[1]: an
integer 0..2**64-1, not a string'. The schema is data; the checker is a
small recursive walk. Reads only; the format itself is kernel/crashdump.py's.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Number:
    """An integer in [low, high] (JSON numbers that are integers; never true/false)."""
    low: int
    high: int

    def describe(self) -> str:
        return f"an integer {self.low}..{_bound(self.high)}"


@dataclass(frozen=True)
class Items:
    """A list whose items all have one shape (`exactly`: that many of them)."""
    item: object
    exactly: int | None = None


@dataclass(frozen=True)
class Mapping:
    """An object whose keys are strings and whose values all have one shape."""
    value: object


@dataclass(frozen=True)
class Record:
    """An object with these fields; `optional` ones may be missing. Other keys must have
    the shape `others`, or are ignored if it is None."""
    required: dict
    optional: dict
    others: object = None


@dataclass(frozen=True)
class OneOf:
    """Any of these shapes."""
    shapes: tuple


class HexString:
    """A string of hexadecimal digit pairs."""

    @staticmethod
    def describe() -> str:
        return "a string of hex digits"


class Base64:
    """A string of base64 characters (a zlib-compressed memory chunk)."""

    @staticmethod
    def describe() -> str:
        return "a base64 string"


class Text:
    """A string."""

    @staticmethod
    def describe() -> str:
        return "a string"


GENERAL_REGISTERS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
                     "r13", "r14", "r15", "rip", "rflags")   # every dump has them (kernel/crashdump.py)
U64 = Number(0, (1 << 64) - 1)
U32 = Number(0, (1 << 32) - 1)
COUNT = Number(0, (1 << 63) - 1)
NOTHING = None                                   # JSON null
MAYBE_U64 = OneOf((U64, NOTHING))
_BASE64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")

DUMP_SCHEMA = Record(
    required={
        "format": Text,
        "bugcheck": Record(
            required={"code": U32, "parameters": Items(U64, exactly=4), "rip": U64},
            optional={"name": OneOf((Text, NOTHING)), "module": Text, "offset": COUNT, "address": MAYBE_U64,
                      "trap": OneOf((NOTHING, Record(required={"vector": Number(0, 255)},
                                                     optional={"name": Text, "cpl": Number(0, 3),
                                                               "error_code": OneOf((U32, NOTHING))})))}),
        "registers": Record(required={name: U64 for name in GENERAL_REGISTERS}, optional={}, others=MAYBE_U64),
        "stack": Items(Record(required={"address": U64}, optional={"value": MAYBE_U64})),
        "modules": Items(Record(required={"name": Text, "base": U64, "size": COUNT},
                                optional={"symbols": OneOf((NOTHING, Mapping(U64)))})),
    },
    optional={
        "boot": OneOf((COUNT, NOTHING)), "model": OneOf((Text, NOTHING)), "seed": OneOf((Number(-(1 << 63), (1 << 63) - 1), NOTHING)),
        "virtual_time_cycles": OneOf((COUNT, NOTHING)),
        "instruction_bytes": OneOf((HexString, NOTHING)),
        "process": OneOf((NOTHING, Record(required={}, optional={"pid": COUNT, "name": Text, "ring": Number(0, 3)}))),
        "sensor": OneOf((NOTHING, Record(required={}, optional={
            "driver": OneOf((Text, NOTHING)), "build": OneOf((Text, NOTHING)),
            "ring": OneOf((Number(0, 3), NOTHING)), "content": Items(Text), "file": OneOf((Text, NOTHING)),
            "instance": OneOf((U64, NOTHING)), "criterion": OneOf((U64, NOTHING)),
            "inputs_address": MAYBE_U64}))),
        "log_tail": Items(Text),
        "memory": Items(Record(required={"address": U64, "size": Number(1, 1 << 20), "zlib": Base64},
                               optional={})),
        "regions": Items(Record(required={"start": U64, "end": Number(0, 1 << 64), "rights": Text}, optional={})),
    },
)


def check(document, schema=DUMP_SCHEMA) -> str | None:
    """The first problem of `document` against `schema`, in one line; None if it fits."""
    return _problem(document, schema, "the dump")


def _problem(value, shape, where: str) -> str | None:
    if shape is NOTHING:
        return None if value is None else f"{where}: null, not {_kind(value)}"
    if isinstance(shape, OneOf):
        for alternative in shape.shapes:
            if _problem(value, alternative, where) is None:
                return None
        return f"{where}: {' or '.join(_describe(s) for s in shape.shapes)}, not {_kind(value)}"
    if isinstance(shape, Number):
        if not isinstance(value, int) or isinstance(value, bool) or not shape.low <= value <= shape.high:
            return f"{where}: {shape.describe()}, not {_kind(value)}"
        return None
    if shape is Text:
        return None if isinstance(value, str) else f"{where}: a string, not {_kind(value)}"
    if shape is HexString:
        if not isinstance(value, str) or len(value) % 2 or any(c not in "0123456789abcdefABCDEF" for c in value):
            return f"{where}: a string of hex digits, not {_kind(value)}"
        return None
    if shape is Base64:
        if not isinstance(value, str) or len(value) % 4 or any(c not in _BASE64 for c in value):
            return f"{where}: a base64 string, not {_kind(value)}"
        return None
    if isinstance(shape, Items):
        if not isinstance(value, list):
            return f"{where}: a list, not {_kind(value)}"
        if shape.exactly is not None and len(value) != shape.exactly:
            return f"{where}: a list of {shape.exactly}, not of {len(value)}"
        return next((p for i, item in enumerate(value) if (p := _problem(item, shape.item, f"{where}[{i}]"))), None)
    if isinstance(shape, Mapping):
        if not isinstance(value, dict):
            return f"{where}: an object, not {_kind(value)}"
        return next((p for key, item in value.items() if (p := _problem(item, shape.value, f"{where}.{key}"))), None)
    if isinstance(shape, Record):
        if not isinstance(value, dict):
            return f"{where}: an object, not {_kind(value)}"
        for key in shape.required:
            if key not in value:
                return f"{_join(where, key)}: missing"
        fields = {**shape.required, **shape.optional}
        for key, item in value.items():
            field = fields.get(key, shape.others)
            if key in fields or shape.others is not None:
                problem = _problem(item, field, _join(where, key))
                if problem:
                    return problem
        return None
    raise TypeError(f"unknown schema shape {shape!r}")


def _join(where: str, key: str) -> str:
    return key if where == "the dump" else f"{where}.{key}"


def _describe(shape) -> str:
    if shape is NOTHING:
        return "null"
    if isinstance(shape, (Record, Mapping)):
        return "an object"
    if shape is Base64:
        if not isinstance(value, str) or len(value) % 4 or any(c not in _BASE64 for c in value):
            return f"{where}: a base64 string, not {_kind(value)}"
        return None
    if isinstance(shape, Items):
        return "a list"
    return shape.describe()


def _kind(value) -> str:
    """What a JSON value is, in words ('a string', 'true', 'an integer (-3)')."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"the integer {value}" if abs(value) < 1 << 70 else "a huge integer"
    if isinstance(value, float):
        return "a fraction"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _bound(high: int) -> str:
    return {(1 << 64) - 1: "2**64-1", (1 << 32) - 1: "2**32-1", (1 << 63) - 1: "2**63-1"}.get(high, str(high))
