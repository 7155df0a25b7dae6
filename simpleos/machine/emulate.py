"""x86 behaviour unicorn lacks, supplied by the machine: instructions it completes, traps it raises.

unicorn (QEMU's TCG inside) runs a few instructions in ways that break
SimpleOS's promises -- determinism, and "a ring-3 program that breaks a
rule of the CPU is stopped by the CPU". The machine fixes them here, the
way a hypervisor would (docs/unicorn-notes.md, "what machine/ supplies"):

  rdtsc, rdtscp     CR4.TSD is set, so at CPL 3 they raise #GP; the machine then
                    completes them with the virtual time stamp (trap and emulate)
  rdrand, rdseed    the CPU model has neither (#UD); the machine completes them
                    from a seeded generator, so runs with one seed are identical
  in/out/ins/outs   at CPL 3 with IOPL 0 they must raise #GP(0); unicorn performs them
  sysenter          with no SYSENTER MSRs it must raise #GP(0); unicorn makes it a no-op
  int n             through a gate the program may not use (gate DPL < CPL) it must raise
                    #GP(n*8+2); unicorn delivers vector n as if it were that exception
  icebp (int1)      raises #DB; unicorn reports #UD

This module decodes and performs. What the time stamp or the random words
are is supplied by whoever runs the CPU (the kernel); nothing here is policy.
"""
from __future__ import annotations

from ..record import dataclass

GENERAL_PROTECTION, DEBUG = 13, 1

# Vectors a ring-3 program may raise with `int n`: their gates have DPL 3, as in
# Linux's IDT (#BP for int3 and `int 3`, #OF for `int 4`). Every other gate has DPL 0.
USER_GATES = frozenset({3, 4})

INT_IMM8 = 0xCD
ICEBP = 0xF1
_IN_OUT = {0xE4, 0xE5, 0xE6, 0xE7, 0xEC, 0xED, 0xEE, 0xEF}      # in/out, imm8 or dx
_STRING_IN, _STRING_OUT = {0x6C, 0x6D}, {0x6E, 0x6F}            # ins, outs
_PREFIXES = {0x66, 0x67, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65}

_REGISTERS64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
# RFLAGS bits rdrand/rdseed define: CF=1 on success; OF, SF, ZF, AF, PF cleared.
_CF, _ARITHMETIC_FLAGS = 1 << 0, (1 << 0) | (1 << 2) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 11)
_U64 = (1 << 64) - 1


@dataclass(frozen=True)
class Emulated:
    """An instruction the machine completes itself: what it is and how long."""
    kind: str             # "rdtsc" | "rdtscp" | "rdrand" | "rdseed"
    length: int
    register: str = ""    # rdrand/rdseed: the destination (64-bit name)
    width: int = 64       # rdrand/rdseed: operand size in bits


def decode_emulated(code: bytes) -> Emulated | None:
    """The instruction at the start of `code`, if it is one the machine completes."""
    index, operand16, rex = 0, False, 0
    while index < len(code) and code[index] == 0x66:
        operand16, index = True, index + 1
    if index < len(code) and 0x40 <= code[index] <= 0x4F:
        rex, index = code[index], index + 1
    rest = code[index:]
    if rest[:2] == b"\x0f\x31":
        return Emulated("rdtsc", index + 2)
    if rest[:3] == b"\x0f\x01\xf9":
        return Emulated("rdtscp", index + 3)
    if rest[:2] == b"\x0f\xc7" and len(rest) >= 3:
        modrm = rest[2]
        kind = {6: "rdrand", 7: "rdseed"}.get((modrm >> 3) & 7)
        if modrm >> 6 == 3 and kind is not None:
            register = _REGISTERS64[(modrm & 7) | ((rex & 1) << 3)]
            width = 64 if rex & 8 else 16 if operand16 else 32
            return Emulated(kind, index + 3, register, width)
    return None


def perform(emulated: Emulated, cpu, time_stamp: int, random_word: int) -> None:
    """Complete `emulated` on `cpu` (registers written, RIP past the instruction)."""
    if emulated.kind in ("rdtsc", "rdtscp"):
        cpu.write("rax", time_stamp & 0xFFFFFFFF)
        cpu.write("rdx", (time_stamp >> 32) & 0xFFFFFFFF)
        if emulated.kind == "rdtscp":
            cpu.write("rcx", 0)                      # IA32_TSC_AUX: processor 0
    else:
        value = random_word & ((1 << emulated.width) - 1)
        if emulated.width == 16:                     # a 16-bit write keeps the upper bits
            value |= cpu.read(emulated.register) & (_U64 ^ 0xFFFF)
        cpu.write(emulated.register, value)
        cpu.write("rflags", (cpu.read("rflags") & ~_ARITHMETIC_FLAGS) | _CF)
    cpu.write("rip", (cpu.read("rip") + emulated.length) & _U64)


def is_port_io(code: bytes) -> str | None:
    """'in', 'out', 'ins' or 'outs' if `code` starts with a port I/O instruction."""
    index = 0
    while index < len(code) and (code[index] in _PREFIXES or 0x40 <= code[index] <= 0x4F):
        index += 1
    if index >= len(code):
        return None
    opcode = code[index]
    if opcode in _IN_OUT:
        return "in" if opcode in (0xE4, 0xE5, 0xEC, 0xED) else "out"
    if opcode in _STRING_IN:
        return "ins"
    if opcode in _STRING_OUT:
        return "outs"
    return None


def software_interrupt_gate_error(vector: int) -> int:
    """The #GP error code for `int vector` through a gate of too low a DPL: the IDT
    entry's index, with the IDT bit (2) set (Intel SDM vol. 3, 6.13)."""
    return vector * 8 + 2
