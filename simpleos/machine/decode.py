"""Instruction decoding with capstone: disassembly, and how an instruction touches memory.

unicorn does not report the #PF error code, so the CPU model asks here
whether the faulting instruction read or wrote memory. The debugger and
crash analysis use disassemble() too. Decoding only: no policy.
"""
from __future__ import annotations

from functools import lru_cache

_IMPLICIT_STACK_WRITERS = {"push", "pushfq", "pushf", "call", "enter"}
_STRING_WRITERS = ("stos", "movs")


@lru_cache(maxsize=1)
def _disassembler():
    """A capstone x86-64 disassembler, imported on first use (it costs ~20 ms at boot)."""
    import capstone
    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    cs.detail = True
    return cs


def _memory_written(operand) -> bool:
    """Is this capstone operand a memory operand that the instruction writes?"""
    import capstone
    from capstone import x86_const
    return operand.type == x86_const.X86_OP_MEM and bool(operand.access & capstone.CS_AC_WRITE)


def disassemble(code: bytes, address: int, count: int = 0) -> list[tuple[int, int, str, str]]:
    """(address, size, mnemonic, operands) for each instruction in `code`."""
    return [(i.address, i.size, i.mnemonic, i.op_str) for i in _disassembler().disasm(code, address, count)]


def count_instructions(code: bytes, address: int, end: int) -> int | None:
    """How many instructions of `code` (at `address`) start before `end`; None unless the
    instructions line up exactly with `end` (the block counter's correction, cpu.py)."""
    count, position = 0, address
    for insn_address, size, _, _ in _disassembler().disasm_lite(code, address):
        if insn_address >= end:
            break
        count, position = count + 1, insn_address + size
    return count if position == end else None


def memory_operand_size(code: bytes, address: int) -> int | None:
    """The size in bytes of the first memory operand of the instruction at `address` (None: none)."""
    from capstone import x86_const
    for insn in _disassembler().disasm(code, address, 1):
        for operand in insn.operands:
            if operand.type == x86_const.X86_OP_MEM:
                return operand.size
    return None


def disassemble_with_writes(code: bytes, address: int) -> list[tuple[int, int, str, str, frozenset[str]]]:
    """disassemble(), plus the 64-bit registers each instruction writes, explicitly or not
    ('push rbx' writes rsp; 'mov ebp, edi' writes rbp)."""
    found = []
    for insn in _disassembler().disasm(code, address):
        try:
            written = frozenset(_full_register(insn.reg_name(r)) for r in insn.regs_access()[1])
        except Exception:  # capstone cannot say for some instructions: assume the worst
            written = frozenset({"rsp", "rbp"})
        found.append((insn.address, insn.size, insn.mnemonic, insn.op_str, written))
    return found


def fault_was_write(code: bytes, address: int, fault_address: int, register) -> bool:
    """Did the instruction at `address` fault on a *write* to `fault_address`?

    An instruction may read one place and write another (push [rbx], movsb,
    call [rax]); the #PF error code must describe the access that faulted.
    So: work out every range the instruction writes (explicit memory
    operands marked as written, the stack slot of push/call, the [rdi]
    destination of string moves) and check whether the fault is inside one.
    `register(name)` reads a register of the faulting context.
    """
    for insn in _disassembler().disasm(code, address, 1):
        ranges = []
        if insn.mnemonic in _IMPLICIT_STACK_WRITERS:
            ranges.append((register("rsp") - 8, 8))
        if insn.mnemonic.startswith(_STRING_WRITERS):
            ranges.append((register("rdi"), max(op.size for op in insn.operands) if insn.operands else 8))
        for operand in insn.operands:
            if _memory_written(operand):
                ranges.append((_effective_address(insn, operand, register), operand.size or 8))
        # CR2 is the first byte of the access that faulted, so it lies inside the range.
        return any(start <= fault_address < start + size for start, size in ranges)
    return False


def _effective_address(insn, operand, register) -> int:
    """base + index * scale + displacement of a memory operand (RIP-relative included)."""
    mem = operand.mem
    value = mem.disp
    if mem.base != 0:
        name = insn.reg_name(mem.base)
        value += insn.address + insn.size if name == "rip" else register(_full_register(name))
    if mem.index != 0:
        value += register(_full_register(insn.reg_name(mem.index))) * mem.scale
    return value & ((1 << 64) - 1)


def _full_register(name: str) -> str:
    """The 64-bit register a sub-register belongs to ('eax' -> 'rax', 'r8d' -> 'r8')."""
    if name.startswith("r") and name[1:].rstrip("dwb").isdigit():
        return name.rstrip("dwb")
    table = {"eax": "rax", "ebx": "rbx", "ecx": "rcx", "edx": "rdx", "esi": "rsi", "edi": "rdi",
             "ebp": "rbp", "esp": "rsp", "bp": "rbp", "sp": "rsp", "bpl": "rbp", "spl": "rsp"}
    return table.get(name, name)
