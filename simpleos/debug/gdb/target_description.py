"""The x86-64 target description gdb reads (qXfer:features:read:target.xml).

One table, REGISTERS, fixes gdb's remote register numbers: the order of the
`g` packet, the numbers of `p`/`P`, and the regnum attributes of the XML are
all derived from it, so they cannot disagree. Registers the machine does not
model (the x87 stack, which gdb's amd64 support requires in the core
feature) read as zero and ignore writes. This module only describes; it
never talks to a target or a socket.
"""
from __future__ import annotations

from dataclasses import dataclass

CORE = "org.gnu.gdb.i386.core"
SEGMENTS = "org.gnu.gdb.i386.segments"      # gdb's feature for fs_base / gs_base
CONTROL = "org.simpleos.x86.control"        # ours: gdb shows it as $cr0 .. $cr4

ARCHITECTURE = "i386:x86-64"


@dataclass(frozen=True)
class Register:
    """One register as gdb sees it."""
    name: str                 # gdb's name, also the key of DebugTarget.registers() if `modelled`
    bits: int
    type: str
    feature: str
    modelled: bool = True     # False: not in the machine; reads 0, writes are ignored
    group: str | None = None

    @property
    def size(self) -> int:
        """Width in bytes (the `g` packet carries it in little-endian hex)."""
        return self.bits // 8


def _table() -> list[Register]:
    table = [Register(name, 64, "int64", CORE) for name in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi")]
    table += [Register("rbp", 64, "data_ptr", CORE), Register("rsp", 64, "data_ptr", CORE)]
    table += [Register(f"r{n}", 64, "int64", CORE) for n in range(8, 16)]
    table += [Register("rip", 64, "code_ptr", CORE), Register("eflags", 32, "i386_eflags", CORE)]
    table += [Register(name, 32, "int32", CORE) for name in ("cs", "ss", "ds", "es", "fs", "gs")]
    table += [Register(f"st{n}", 80, "i387_ext", CORE, modelled=False) for n in range(8)]
    table += [Register(name, 32, "int", CORE, modelled=False, group="float")
              for name in ("fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop")]
    table += [Register("fs_base", 64, "int", SEGMENTS), Register("gs_base", 64, "int", SEGMENTS)]
    table += [Register(name, 64, "int", CONTROL, group="system") for name in ("cr0", "cr2", "cr3", "cr4")]
    return table


REGISTERS: list[Register] = _table()
NUMBER = {register.name: number for number, register in enumerate(REGISTERS)}
G_PACKET_BYTES = sum(register.size for register in REGISTERS)

_EFLAGS_FIELDS = [("CF", 0), ("", 1), ("PF", 2), ("AF", 4), ("ZF", 6), ("SF", 7), ("TF", 8), ("IF", 9),
                  ("DF", 10), ("OF", 11), ("NT", 14), ("RF", 16), ("VM", 17), ("AC", 18), ("VIF", 19),
                  ("VIP", 20), ("ID", 21)]


def encode(register: Register, value: int) -> bytes:
    """The register's value as gdb wants it on the wire: little-endian hex."""
    mask = (1 << register.bits) - 1
    return (value & mask).to_bytes(register.size, "little").hex().encode("ascii")


def decode(register: Register, raw: bytes) -> int:
    """The value of `register` from its little-endian bytes."""
    return int.from_bytes(raw[:register.size], "little")


def target_xml() -> bytes:
    """The whole description: architecture and features, registers numbered as REGISTERS."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">', "<target>",
             f"  <architecture>{ARCHITECTURE}</architecture>"]
    feature = None
    for number, register in enumerate(REGISTERS):
        if register.feature != feature:
            if feature is not None:
                lines.append("  </feature>")
            feature = register.feature
            lines.append(f'  <feature name="{feature}">')
            if feature == CORE:
                lines += _eflags_type()
        group = f' group="{register.group}"' if register.group else ""
        lines.append(f'    <reg name="{register.name}" bitsize="{register.bits}" type="{register.type}" '
                     f'regnum="{number}"{group}/>')
    lines += ["  </feature>", "</target>", ""]
    return "\n".join(lines).encode("ascii")


def _eflags_type() -> list[str]:
    lines = ['    <flags id="i386_eflags" size="4">']
    lines += [f'      <field name="{name}" start="{bit}" end="{bit}"/>' for name, bit in _EFLAGS_FIELDS]
    lines.append("    </flags>")
    return lines
