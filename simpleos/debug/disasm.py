"""Disassembly for people: instructions with symbol names for their targets.

Turns the target's raw decode into lines like
`0xffffffff800042c6 <sensor.sys!compare_string+0xa>  movzx eax, byte ptr [rdi + rcx]`
and names what an operand points at (a call's target, a RIP-relative
variable): `call 0x... <sensor.sys!match_instance>`, `[rip + 0x1f6e]  ; sensor.sys!current_criterion`.
Also finds the instructions *before* an address, which x86's variable
length makes guesswork: decode from the enclosing symbol and keep the
instructions that land exactly on the address. Reading and decoding only.
"""
from __future__ import annotations

import re

_RIP_RELATIVE = re.compile(r"\[rip ([+-]) (0x[0-9a-f]+|\d+)\]")
_BRANCH_TARGET = re.compile(r"^0x[0-9a-f]+$")
MAX_LOOKBACK = 0x100


def annotate(target, address: int, size: int, mnemonic: str, operands: str) -> str:
    """A comment naming what the instruction refers to ('' if nothing known)."""
    named = None
    match = _RIP_RELATIVE.search(operands)
    if match:
        displacement = int(match.group(2), 0) * (1 if match.group(1) == "+" else -1)
        named = address + size + displacement
    elif _BRANCH_TARGET.match(operands) and (mnemonic == "call" or mnemonic.startswith("j")):
        named = int(operands, 16)
    if named is None:
        return ""
    name = target.symbolize(named)
    return "" if name.startswith("0x") else name


def window(target, address: int, before: int = 3, after: int = 6) -> list[tuple[int, int, str, str]]:
    """Instructions around `address`: up to `before` ahead of it, it, and `after` more."""
    preceding = _instructions_before(target, address, before)
    return preceding + target.disassemble(address, after + 1)


def _instructions_before(target, address: int, count: int) -> list[tuple[int, int, str, str]]:
    """Up to `count` instructions that end exactly at `address` (decoded from its symbol's start)."""
    if count <= 0:
        return []
    name = target.symbolize(address)
    start = address
    if "!" in name:
        offset = int(name.rsplit("+", 1)[1], 16) if "+" in name.split("!", 1)[1] else 0
        start = address - min(offset, MAX_LOOKBACK)
    if start == address:
        return []
    decoded = target.disassemble(start, MAX_LOOKBACK)
    chain = []
    for instruction in decoded:
        if instruction[0] >= address:
            break
        chain.append(instruction)
    if not chain or chain[-1][0] + chain[-1][1] != address:
        return []
    return chain[-count:]
