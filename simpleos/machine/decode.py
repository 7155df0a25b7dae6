"""Instruction decoding with capstone: disassembly, and how an instruction touches memory.

unicorn does not report the #PF error code, so the CPU model asks here
whether the faulting instruction read or wrote memory. The debugger and
crash analysis use disassemble() too. Decoding only: no policy.
"""
from __future__ import annotations

from functools import lru_cache

import capstone
from capstone import x86_const

_IMPLICIT_STACK_WRITERS = {"push", "pushfq", "pushf", "call", "enter"}
_STRING_WRITERS = ("stos", "movs")


@lru_cache(maxsize=1)
def _disassembler() -> capstone.Cs:
    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    cs.detail = True
    return cs


def disassemble(code: bytes, address: int, count: int = 0) -> list[tuple[int, int, str, str]]:
    """(address, size, mnemonic, operands) for each instruction in `code`."""
    return [(i.address, i.size, i.mnemonic, i.op_str) for i in _disassembler().disasm(code, address, count)]


def access_writes_memory(code: bytes, address: int) -> bool:
    """Does the first instruction in `code` write to memory?"""
    for insn in _disassembler().disasm(code, address, 1):
        if insn.mnemonic in _IMPLICIT_STACK_WRITERS or insn.mnemonic.startswith(_STRING_WRITERS):
            return True
        for operand in insn.operands:
            if operand.type == x86_const.X86_OP_MEM and operand.access & capstone.CS_AC_WRITE:
                return True
    return False
