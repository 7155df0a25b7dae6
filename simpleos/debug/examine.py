"""The `x` command: examine memory as gdb does (x/21gx ipc_context, x/4i $rip, x/s $rdi).

`x/NFU ADDR`: N units, format F (x hex, d signed, u unsigned, i instructions,
s string), unit size U (b 1, h 2, w 4, g 8 bytes). x/s on a criterion value
of a loaded channel file prints the value by its length prefix
(contentvalues.py), not the bytes that follow it. Every line starts with
the address and its symbol, so an array printed past its end shows the
name of what lies after it. Reads memory only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .contentvalues import loaded_values

SIZES = {"b": 1, "h": 2, "w": 4, "g": 8}
FORMATS = "xduis"
PER_LINE = {1: 8, 2: 8, 4: 4, 8: 2}
_SPEC = re.compile(r"^(\d*)([a-z]*)$")


@dataclass
class Spec:
    """What `/NFU` asked for."""
    count: int = 1
    format: str = "x"
    size: int = 8


def parse_spec(text: str, last: Spec | None = None) -> Spec:
    """'21gx' -> Spec(21, 'x', 8). Letters may come in any order; missing ones keep the last spec's."""
    match = _SPEC.match(text)
    if not match:
        raise ValueError(f"bad format /{text}: use x/NFU, e.g. x/21gx (N count, F x|d|u|i|s, U b|h|w|g)")
    spec = Spec(format=last.format, size=last.size) if last else Spec()
    spec.count = int(match.group(1)) if match.group(1) else 1
    for letter in match.group(2):
        if letter in SIZES:
            spec.size = SIZES[letter]
        elif letter in FORMATS:
            spec.format = letter
        else:
            raise ValueError(f"bad format letter {letter!r} in /{text} (formats x d u i s, sizes b h w g)")
    return spec


def label(target, address: int) -> str:
    """'0xffffffff80005230 <sensor.sys!ipc_context>' (no name outside known images)."""
    name = target.symbolize(address)
    return f"{address:#x}" + ("" if name.startswith("0x") else f" <{name}>")


def examine(target, address: int, spec: Spec) -> list[str]:
    """The lines `x` prints (MemoryError if the memory cannot be read)."""
    if spec.format == "i":
        found = target.disassemble(address, spec.count)
        if not found:
            raise MemoryError(f"cannot access memory at {address:#x}")
        return [f"   {label(target, a)}:\t{m} {o}".rstrip() for a, _, m, o in found]
    if spec.format == "s":
        value = loaded_values(target).get(address)
        if value is not None:       # a channel file's value: its length, not a NUL, ends it
            return [f"{label(target, address)}:\t{value.data.decode('utf-8', 'replace')!r}  (length-prefixed "
                    f"value, {value.length} bytes: rule {value.instance}, field {value.field})"]
        return [f"{label(target, address)}:\t{_string_at(target, address)!r}"]
    lines = []
    per_line = PER_LINE[spec.size]
    data = target.read_memory(address, spec.count * spec.size)
    for start in range(0, spec.count, per_line):
        values = []
        for index in range(start, min(spec.count, start + per_line)):
            raw = data[index * spec.size:(index + 1) * spec.size]
            values.append(_format(int.from_bytes(raw, "little"), spec))
        lines.append(f"{label(target, address + start * spec.size)}:\t" + "\t".join(values))
    return lines


def _format(value: int, spec: Spec) -> str:
    if spec.format == "x":
        return f"{value:#0{2 + 2 * spec.size}x}"
    if spec.format == "d" and value >= 1 << (8 * spec.size - 1):
        return str(value - (1 << (8 * spec.size)))
    return str(value)


def _string_at(target, address: int, limit: int = 256) -> str:
    """The NUL-terminated string at `address` (at most `limit` bytes)."""
    data = b""
    while len(data) < limit:
        byte = target.read_memory(address + len(data), 1)
        if byte == b"\0":
            break
        data += byte
    return data.decode("utf-8", "replace")
