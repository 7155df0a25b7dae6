"""The memory operand of an instruction, worked out and dereferenced: what the context view prints under the code.

    [r14 + rcx*8] = ipc_context[20] -> sensor.sys!ipc_event_handle = 0xffff840500000374
    [rdi + rcx] = 0xffff840500000374: not mapped -- this access faults (#PF)

capstone decodes the operand (base, index, scale, displacement, size);
the registers of the stopped machine give the address; the symbol of the
base register's value names it as an array element when the index is
scaled; the value is read with the operand's size. `lea` computes an
address without touching memory, so it is shown without a value. Reads
registers and memory; never runs anything.
"""
from __future__ import annotations

from functools import lru_cache

from .memmap import region_at

_MASK = (1 << 64) - 1


@lru_cache(maxsize=1)
def _engine():
    import capstone
    engine = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    engine.detail = True
    return engine


def memory_operand(target, rip: int) -> str | None:
    """One line about the memory operand of the instruction at `rip`, or None if it has none."""
    from capstone import x86_const
    try:
        code = target.read_memory(rip, 16)
    except MemoryError:
        return None
    found = next(iter(_engine().disasm(code, rip, 1)), None)
    if found is None:
        return None
    operand = next((op for op in found.operands if op.type == x86_const.X86_OP_MEM), None)
    if operand is None:
        return None
    registers = target.registers()
    mem = operand.mem
    base = found.reg_name(mem.base) if mem.base else None
    index = found.reg_name(mem.index) if mem.index else None
    base_value = (found.address + found.size) if base == "rip" else registers.get(base, 0) if base else 0
    index_value = registers.get(index, 0) if index else 0
    address = (base_value + index_value * mem.scale + mem.disp) & _MASK
    text = _operand_text(base, index, mem.scale, mem.disp)
    named = target.symbolize(address)
    where = _as_element(target, base, base_value, index, index_value, mem.scale, mem.disp)
    left = f"{text} = {where} -> {named}" if where else f"{text} = {named}"
    if found.mnemonic == "lea":
        return f"{left}  (lea: the address itself, nothing is read)"
    try:
        value = int.from_bytes(target.read_memory(address, operand.size or 8), "little")
    except MemoryError:
        region = region_at(target.memory_map(), address)
        why = "not mapped" if region is None else f"in {region.name} but not readable here"
        return f"{left}: {why} -- this access faults (#PF)"
    return f"{left} = {value:#x}"


def _operand_text(base, index, scale: int, displacement: int) -> str:
    """'[r14 + rcx*8]', '[rip + 0x1f6e]'."""
    parts = [base] if base else []
    if index:
        parts.append(f"{index}*{scale}" if scale != 1 else index)
    if displacement or not parts:
        parts.append(f"{displacement:#x}" if displacement >= 0 else f"-{-displacement:#x}")
    return "[" + " + ".join(parts).replace("+ -", "- ") + "]"


def _as_element(target, base, base_value: int, index, index_value: int, scale: int, displacement: int) -> str:
    """'ipc_context[20]' when the base register points at a symbol and a scaled index selects
    an element of it ('' otherwise)."""
    if not base or not index or scale == 1 or base == "rip" or displacement:
        return ""
    name = target.symbolize(base_value)
    if name.startswith("0x") or "+" in name.split("!")[-1]:
        return ""
    return f"{name.split('!')[-1]}[{index_value}]"
