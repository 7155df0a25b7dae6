"""What QEMU's gdb stub answers beyond the remote protocol: its single-step bits and its monitor.

GEF and pwndbg recognise QEMU's system-mode stub by two answers -- a
`Qqemu.sstepbits` packet answered `ENABLE=1,NOIRQ=2,NOTIMER=4` and an
empty reply to `qOffsets` -- and then ask its monitor, through `qRcmd`,
for what gdb alone cannot tell them: `info mem` (the memory map, their
vmmap), `info registers` (segment bases, control registers). This module
gives SimpleOS's stub those answers in QEMU's exact formats
(target/i386/monitor.c, target/i386/cpu-dump.c, monitor/hmp-cmds-target.c):

  info mem            start-end size urw per mapped range (U/S and R/W; QEMU shows no NX)
  info tlb            one line per leaf entry: virtual: physical XGPDACTUW
  info registers      RAX=... RIP=... RFL=... CPL=..., segments from the GDT, CR0..CR4
  xp /fmt addr        physical memory, QEMU's x/xp layout
  help                the commands above

An unknown command gets QEMU's `unknown command: 'NAME'` line. SimpleOS's
stepping never takes an interrupt or a timer tick whatever the flags, so
`qemu.sstep` only records them, as a real QEMU with them all set behaves.
Reads the target; never changes the machine.
"""
from __future__ import annotations

import re

from ...machine import pagemap
from ...machine.paging import ACCESSED, DIRTY, GLOBAL, HUGE, NO_EXECUTE, USER, WRITABLE
from ..gdtview import decode_descriptor

SSTEP_ENABLE, SSTEP_NOIRQ, SSTEP_NOTIMER = 0x1, 0x2, 0x4
SSTEP_ALL = SSTEP_ENABLE | SSTEP_NOIRQ | SSTEP_NOTIMER
PCD, PWT = 1 << 4, 1 << 3
MAX_XP_BYTES = 0x10000
HELP = [
    "help|?                         -- show this help",
    "info mem                       -- show the active virtual memory mappings",
    "info registers                 -- show the cpu registers",
    "info tlb                       -- show virtual to physical memory mappings",
    "xp /fmt addr                   -- physical memory dump starting at 'addr'",
]
_XP = re.compile(r"^xp\s*(?:/(\d*)([xduoc]?)([bhwg]?)([xduoc]?))?\s+(\S+)\s*$")
_SIZES = {"b": 1, "h": 2, "w": 4, "g": 8}


class QemuState:
    """The single-step flags one gdb connection has set (QEMU's sstep_flags)."""

    def __init__(self) -> None:
        self.sstep_flags = SSTEP_ALL

    def answer(self, packet: bytes) -> bytes | None:
        """The reply to a `qemu.*` query or set packet (q or Q), None if it is not one."""
        name = packet[1:]
        if name == b"qemu.sstepbits":
            return b"ENABLE=%x,NOIRQ=%x,NOTIMER=%x" % (SSTEP_ENABLE, SSTEP_NOIRQ, SSTEP_NOTIMER)
        if name == b"qemu.sstep":
            return b"0x%x" % self.sstep_flags
        if name.startswith(b"qemu.sstep="):
            try:
                flags = int(name[len(b"qemu.sstep="):], 16)
            except ValueError:
                return b"E22"
            if flags & ~SSTEP_ALL:
                return b"E22"
            self.sstep_flags = flags
            return b"OK"
        if name == b"qemu.Supported":
            return b"sstepbits;sstep"
        return None


def monitor_command(target, line: str) -> list[str]:
    """The output lines of one monitor command, as QEMU's monitor prints them."""
    words = line.split()
    if not words:
        return []
    if words in (["help"], ["?"], ["info"]):
        return HELP
    if words == ["info", "mem"]:
        return info_mem(target.cpu.address_space())
    if words == ["info", "tlb"]:
        return info_tlb(target.cpu.address_space())
    if words == ["info", "registers"]:
        return info_registers(target)
    if words[0] == "xp":
        return physical_dump(target, line.strip())
    return [f"unknown command: '{' '.join(words[:2]) if words[0] == 'info' else words[0]}' "
            f"(this stub's monitor knows: info mem, info tlb, info registers, xp, help)"]


def info_mem(space) -> list[str]:
    """`info mem`: ranges merged where U/S and R/W agree (QEMU's mem_print)."""
    lines = []
    for start, end, leaf in pagemap.merge(pagemap.leaves(space), key=lambda leaf: (leaf.user, leaf.writable)):
        rights = ("u" if leaf.user else "-") + "r" + ("w" if leaf.writable else "-")
        lines.append(f"{start:016x}-{_canonical_end(end):016x} {end - start:016x} {rights}")
    return lines


def info_tlb(space) -> list[str]:
    """`info tlb`: every leaf entry, its physical address and its own flag bits (print_pte)."""
    lines = []
    for leaf in pagemap.leaves(space):
        entry = leaf.entry
        flags = "".join(letter if entry & bit else "-" for bit, letter in (
            (NO_EXECUTE, "X"), (GLOBAL, "G"), (HUGE, "P"), (DIRTY, "D"), (ACCESSED, "A"), (PCD, "C"), (PWT, "T"),
            (USER, "U"), (WRITABLE, "W")))
        lines.append(f"{leaf.virtual:016x}: {leaf.physical:016x} {flags}")
    return lines


def info_registers(target) -> list[str]:
    """`info registers` in QEMU's 64-bit layout (x86_cpu_dump_state), as far as SimpleOS models it."""
    r = target.registers()
    flags = r["rflags"]
    letters = "".join(letter if flags & bit else "-" for bit, letter in (
        (1 << 10, "D"), (1 << 11, "O"), (1 << 7, "S"), (1 << 6, "Z"), (1 << 4, "A"), (1 << 2, "P"), (1, "C")))
    names = [("RAX", "rax"), ("RBX", "rbx"), ("RCX", "rcx"), ("RDX", "rdx"), ("RSI", "rsi"), ("RDI", "rdi"),
             ("RBP", "rbp"), ("RSP", "rsp"), ("R8 ", "r8"), ("R9 ", "r9"), ("R10", "r10"), ("R11", "r11"),
             ("R12", "r12"), ("R13", "r13"), ("R14", "r14"), ("R15", "r15")]
    lines = [" ".join(f"{label}={r[name]:016x}" for label, name in names[row:row + 4]) for row in range(0, 16, 4)]
    lines.append(f"RIP={r['rip']:016x} RFL={flags:08x} [{letters}] CPL={target.cpu.cpl} II=0 A20=1 SMM=0 HLT=0")
    gdt_base, gdt_limit = target.cpu.descriptor_table()
    for label in ("ES", "CS", "SS", "DS", "FS", "GS"):
        lines.append(_segment_line(target, label, r[label.lower()], gdt_base, gdt_limit, r))
    lines.append("LDT=0000 0000000000000000 00000000 00000000")
    lines.append("TR =0000 0000000000000000 00000000 00000000")
    lines.append(f"GDT=     {gdt_base:016x} {gdt_limit:08x}")
    lines.append(f"CR0={r['cr0'] & 0xFFFFFFFF:08x} CR2={r['cr2']:016x} CR3={r['cr3']:016x} CR4={r['cr4'] & 0xFFFFFFFF:08x}")
    return lines


def _segment_line(target, label: str, selector: int, gdt_base: int, gdt_limit: int, registers) -> str:
    """'CS =0008 0000000000000000 000fffff 00209b00 DPL=0 CS64 [-RA]' from the GDT descriptor."""
    index = selector >> 3
    base = {"FS": registers["fs_base"], "GS": registers["gs_base"]}.get(label, 0)
    if index == 0 or index * 8 + 7 > gdt_limit:
        return f"{label:<3}={selector:04x} {base:016x} 00000000 00000000"
    value = int.from_bytes(target.read_memory(gdt_base + index * 8, 8), "little")
    fields = decode_descriptor(value)
    high = value >> 32
    line = f"{label:<3}={selector:04x} {base or fields['base']:016x} {fields['limit']:08x} {high & 0x00FFFF00:08x}"
    if not fields["present"]:
        return line
    line += f" DPL={fields['dpl']} "
    if fields["type"] & 0x8:
        line += ("CS64" if fields["long"] else "CS32" if high >> 22 & 1 else "CS16")
        line += f" [{'C' if high >> 10 & 1 else '-'}{'R' if high >> 9 & 1 else '-'}"
    else:
        line += f"DS   [{'E' if high >> 10 & 1 else '-'}{'W' if high >> 9 & 1 else '-'}"
    return line + f"{'A' if high >> 8 & 1 else '-'}]"


def physical_dump(target, line: str) -> list[str]:
    """`xp /NFU addr`: physical memory in QEMU's memory_dump layout (default /1xw)."""
    match = _XP.match(line)
    if not match:
        return ["xp: use xp /fmt addr, e.g. xp /8xg 0x100000 (count, format x d u o c, size b h w g)"]
    count = int(match.group(1)) if match.group(1) else 1
    format_letter = match.group(2) or match.group(4) or "x"
    size = 1 if format_letter == "c" else _SIZES.get(match.group(3), 4)
    try:
        address = int(match.group(5), 0)
    except ValueError:
        return [f"xp: '{match.group(5)}' is not a physical address (a number such as 0x100000)"]
    length = count * size
    memory = target.machine.memory
    if length > MAX_XP_BYTES:
        return [f"xp: at most {MAX_XP_BYTES} bytes at a time"]
    lines, line_size = [], 8 if size == 1 else 16
    digits = {"x": size * 2, "o": (size * 8 + 2) // 3, "u": (size * 80 + 32) // 33, "d": (size * 80 + 32) // 33}
    while length > 0:
        chunk = min(length, line_size)
        if address + chunk > memory.size:
            lines.append(f"{address:016x}: Cannot access memory (beyond the {memory.size >> 20} MiB of RAM)")
            break
        data = memory.read(address, chunk)
        items = [int.from_bytes(data[i:i + size], "little") for i in range(0, chunk, size)]
        lines.append(f"{address:016x}:" + "".join(" " + _item(v, format_letter, size, digits) for v in items))
        address += chunk
        length -= chunk
    return lines


def _item(value: int, letter: str, size: int, digits: dict) -> str:
    if letter == "x":
        return f"0x{value:0{digits['x']}x}"
    if letter == "o":
        return f"{'0' + format(value, 'o') if value else '0':>{digits['o']}}"
    if letter == "d" and value >= 1 << (8 * size - 1):
        value -= 1 << (8 * size)
    if letter == "c":
        return repr(chr(value)) if 32 <= value <= 126 else f"'\\x{value:02x}'"
    return f"{value:>{digits['u']}}"


def _canonical_end(end: int) -> int:
    """The end of a range as a 64-bit number (a range that reaches the top wraps to 0, as in C)."""
    return end & ((1 << 64) - 1)
