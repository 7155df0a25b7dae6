"""Where a register's value came from: follow it backwards through a trace of decoded instructions.

Given the instructions that ran before a fault (history.py's trace, each
with the registers before it) and the register that held the bad pointer,
walk back to the instruction that last wrote that register. A register
copy (`mov rdi, r9`) is followed to its source; a load (`mov r9, [r14 +
rcx*8]`, `pop r9`) ends the walk with the memory it read, its address
computed from the registers the load saw; anything else (an `add`, a `lea`)
ends it as the instruction that computed the value. Only the faulting
process's instructions count. Decodes with capstone; reads nothing but the
trace and the code bytes it is given, and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

_FULL = {}
for _name in ("ax", "bx", "cx", "dx"):
    for _alias in (f"r{_name}", f"e{_name}", _name, f"{_name[0]}l", f"{_name[0]}h"):
        _FULL[_alias] = f"r{_name}"
for _name in ("si", "di", "bp", "sp"):
    for _alias in (f"r{_name}", f"e{_name}", _name, f"{_name}l"):
        _FULL[_alias] = f"r{_name}"
for _number in range(8, 16):
    for _suffix in ("", "d", "w", "b"):
        _FULL[f"r{_number}{_suffix}"] = f"r{_number}"
COPIES = ("mov", "movabs")
LOADS = ("mov", "movabs", "movzx", "movsx", "movsxd")


def full_register(name: str) -> str | None:
    """'eax' -> 'rax', 'r9d' -> 'r9'; None for what is not a general register (rip, flags)."""
    return _FULL.get(name)


@dataclass(frozen=True)
class MemoryOperand:
    """A decoded memory operand and, given registers, the address it names."""
    base: str | None
    index: str | None
    scale: int
    displacement: int
    size: int
    text: str                       # as capstone prints it: 'qword ptr [r14 + rcx*8]'

    def address(self, registers: dict, next_rip: int) -> int:
        """The effective address with these registers (RIP-relative: from the next instruction)."""
        base = next_rip if self.base == "rip" else registers.get(self.base, 0) if self.base else 0
        index = registers.get(self.index, 0) if self.index else 0
        return (base + index * self.scale + self.displacement) & ((1 << 64) - 1)


@dataclass(frozen=True)
class Hop:
    """A register copy on the way back: `to` = `source` at `entry`."""
    entry: object
    to: str
    source: str
    text: str


@dataclass
class Producer:
    """The instruction that put the value into the register the walk started from."""
    entry: object                   # the TraceEntry of that instruction
    register: str                   # the register it wrote
    text: str                       # 'mov r9, qword ptr [r14 + rcx*8]'
    memory: MemoryOperand | None    # what it loaded from (None: it computed the value)
    address: int | None             # the memory's address then
    size: int | None
    hops: list[Hop] = field(default_factory=list)   # the copies after it, latest first


@lru_cache(maxsize=1)
def _capstone():
    import capstone
    engine = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    engine.detail = True
    return engine


def decode(code: bytes, address: int):
    """The capstone instruction at `address` (None if the bytes do not decode)."""
    return next(iter(_capstone().disasm(code, address, 1)), None)


def memory_operand(instruction) -> MemoryOperand | None:
    """The instruction's memory operand, if it has one."""
    from capstone import x86_const
    for operand in instruction.operands:
        if operand.type == x86_const.X86_OP_MEM:
            memory = operand.mem
            name = instruction.reg_name
            text = next((part.strip() for part in instruction.op_str.split(",") if "[" in part), "")
            return MemoryOperand(name(memory.base) if memory.base else None,
                                 name(memory.index) if memory.index else None, memory.scale, memory.disp,
                                 operand.size, text)
    return None


def pointer_register(instruction) -> str | None:
    """The register that holds the pointer of the instruction's memory access: its base, or
    its index when there is no base (None for RIP-relative or absolute operands)."""
    memory = memory_operand(instruction)
    if memory is None:
        return None
    for name in (memory.base, memory.index):
        full = full_register(name) if name else None
        if full is not None:
            return full
    return None


def _written(instruction) -> set[str]:
    _, written = instruction.regs_access()
    return {full for full in (full_register(instruction.reg_name(r)) for r in written) if full}


def find_producer(trace: list, register: str, pid, code_at) -> Producer | None:
    """Walk `trace` (oldest first; its last entry is the faulting attempt, which is skipped)
    back from the end to the instruction that last wrote `register` in process `pid`.
    `code_at(address)` gives the code bytes there. None if no instruction in the trace wrote it."""
    hops: list[Hop] = []
    for entry in reversed(trace[:-1]):
        if entry.pid != pid:
            continue
        instruction = decode(code_at(entry.rip), entry.rip)
        if instruction is None or register not in _written(instruction):
            continue
        text = f"{instruction.mnemonic} {instruction.op_str}".strip()
        memory = memory_operand(instruction)
        operands = [part.strip() for part in instruction.op_str.split(",")]
        if instruction.mnemonic in COPIES and memory is None and len(operands) == 2 \
                and full_register(operands[1]) is not None:
            source = full_register(operands[1])
            hops.append(Hop(entry, register, source, text))
            register = source
            continue
        if instruction.mnemonic == "pop":
            stack = MemoryOperand("rsp", None, 1, 0, 8, "[rsp]")
            return Producer(entry, register, text, stack, entry.registers["rsp"], 8, hops)
        if instruction.mnemonic in LOADS and memory is not None and memory.text == operands[-1]:
            address = memory.address(entry.registers, entry.rip + instruction.size)
            return Producer(entry, register, text, memory, address, memory.size, hops)
        return Producer(entry, register, text, None, None, None, hops)
    return None
