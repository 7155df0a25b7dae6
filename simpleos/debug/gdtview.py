"""`info gdt`: the descriptor table the CPU is using, decoded.

Reads the GDT where GDTR points and spells out each descriptor: base,
limit, DPL, code or data, 64-bit (L), present -- and which selector uses
it (0x08 kernel code, 0x23 user code, ...). In 64-bit mode segments are
flat; the DPL is what separates ring 0 from ring 3. Reads only.
"""
from __future__ import annotations


def decode_descriptor(value: int) -> dict:
    """The fields of one 8-byte segment descriptor."""
    limit = (value & 0xFFFF) | ((value >> 48) & 0xF) << 16
    granular = bool(value >> 55 & 1)
    return {
        "base": ((value >> 16) & 0xFFFFFF) | ((value >> 56) & 0xFF) << 24,
        "limit": (limit << 12 | 0xFFF) if granular else limit,
        "type": (value >> 40) & 0xF,
        "system": not value >> 44 & 1,
        "dpl": (value >> 45) & 3,
        "present": bool(value >> 47 & 1),
        "long": bool(value >> 53 & 1),
    }


def describe(value: int) -> str:
    """'code DPL 3 64-bit execute/read, base 0x0 limit 0xffffffff' or 'null'."""
    if value == 0:
        return "null descriptor"
    fields = decode_descriptor(value)
    if fields["system"]:
        return f"system descriptor type {fields['type']:#x}, DPL {fields['dpl']}"
    code = bool(fields["type"] & 0x8)
    kind = ("code" if code else "data") + f" DPL {fields['dpl']}"
    if code:
        kind += (" 64-bit" if fields["long"] else " 32-bit") + (" execute/read" if fields["type"] & 0x2 else " execute-only")
    else:
        kind += " read/write" if fields["type"] & 0x2 else " read-only"
    present = "" if fields["present"] else " NOT PRESENT"
    return f"{kind}, base {fields['base']:#x} limit {fields['limit']:#x}{present}"


def gdt_lines(target) -> list[str]:
    """The whole GDT, one descriptor a line, with the selectors that name it."""
    base, limit = target.cpu.descriptor_table()
    registers = target.registers()
    users = {}
    for segment in ("cs", "ss", "ds", "es", "fs", "gs"):
        users.setdefault(registers[segment] & ~7, []).append(f"{segment}={registers[segment]:#04x}")
    lines = [f"GDTR base {base:#x} limit {limit:#x} ({(limit + 1) // 8} descriptors); "
             f"CPL {target.cpu.cpl}"]
    raw = target.read_memory(base, limit + 1)
    for index in range(0, len(raw) // 8):
        value = int.from_bytes(raw[index * 8:index * 8 + 8], "little")
        selector = index * 8
        used = ("  <- " + " ".join(users[selector])) if selector in users and selector else ""
        lines.append(f"  [{index}] sel {selector:#04x}  {value:#018x}  {describe(value)}{used}")
    return lines
