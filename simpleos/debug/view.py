"""The context view (pwndbg / GEF style): what a student looks at each time the machine stops.

Five panes: the state line (position, process, pid, ring = CPL, CR3, why
it stopped), the registers (the ones changed since the last view marked),
the source lines around RIP with their comments (the .asm or .c file, from
the line table), the code around RIP with symbol+offset names (and the current
instruction's memory operand dereferenced), and the stack with a symbol
for every word that points into known code. Builds lines for an Output;
it must not run the machine or change it.
"""
from __future__ import annotations

from . import disasm, sourceview
from .output import ADDRESS, CHANGED, CURRENT, DIM, HEADING, SYMBOL, Line

GENERAL = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
           "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
FLAG_BITS = [(0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"), (11, "OF")]
STACK_WORDS = 8
WIDTH = 78


def heading(title: str) -> Line:
    """'──── title ─────...'"""
    text = f"──── {title} "
    return [(text + "─" * max(4, WIDTH - len(text)), HEADING)]


def describe_flags(rflags: int) -> str:
    """'[ZF PF IF]'-style names of the set flags."""
    return "[" + " ".join(name for bit, name in FLAG_BITS if rflags >> bit & 1) + "]"


def state_line(target) -> Line:
    """Position, process, pid, ring, CR3 and the last stop."""
    process = target.current_process
    registers = target.registers()
    cpl = target.cpu.cpl
    who = f"{process.name} pid {process.pid}" if process is not None else "no process"
    between = "" if target.kernel.slice is not None else "  (between time slices)"
    machine = {"bugcheck": "  machine: bugchecked", "idle": "  machine: idle"}.get(target.state, "")
    return [(f"position {target.position}  ", ""), (who, CURRENT),
            (f"  ring {cpl} (CPL {cpl})  cr3 {registers['cr3']:#x}{machine}{between}", "")]


def register_lines(registers: dict[str, int], previous: dict[str, int] | None) -> list[Line]:
    """The general registers two per line; changed ones marked '*' (and red on a terminal)."""
    lines = []
    for index in range(0, len(GENERAL), 2):
        line: Line = []
        for name in GENERAL[index:index + 2]:
            value = registers[name]
            changed = previous is not None and previous.get(name) != value
            line += [(f" {name:>3} ", ""), (f"{value:#018x}", CHANGED if changed else ""),
                     ("*" if changed else " ", CHANGED if changed else ""), ("   ", "")]
        lines.append(line)
    rflags = registers["rflags"]
    flags_changed = previous is not None and previous.get("rflags") != rflags
    lines.append([(" rflags ", ""), (f"{rflags:#x} {describe_flags(rflags)}", CHANGED if flags_changed else ""),
                  ("*" if flags_changed else "", CHANGED)])
    return lines


def code_lines(target, rip: int, before: int = 3, after: int = 6) -> list[Line]:
    """Disassembly around RIP; the current instruction marked '=>'."""
    found = disasm.window(target, rip, before, after)
    if not found:
        return [[(f"    {rip:#x}: cannot read memory", DIM)]]
    lines = []
    for address, size, mnemonic, operands in found:
        here = address == rip
        comment = disasm.annotate(target, address, size, mnemonic, operands)
        name = target.symbolize(address)
        line: Line = [("=> " if here else "   ", CURRENT if here else ""), (f"{address:#x}", ADDRESS),
                      ("" if name.startswith("0x") else f" <{name}>", SYMBOL),
                      (f"  {mnemonic} {operands}".rstrip(), CURRENT if here else "")]
        if comment:
            line.append((f"    ; {comment}", DIM))
        lines.append(line)
    return lines


def stack_lines(target, rsp: int, words: int = STACK_WORDS) -> list[Line]:
    """The top of the stack: address, offset from RSP, value, and a symbol if it points into code."""
    lines = []
    for index in range(words):
        address = rsp + 8 * index
        try:
            value = int.from_bytes(target.read_memory(address, 8), "little")
        except MemoryError:
            lines.append([(f" {address:#x}│+{8 * index:#04x}: ", ADDRESS), ("<unmapped>", DIM)])
            break
        name = target.symbolize(value)
        line: Line = [(f" {address:#x}│+{8 * index:#04x}: ", ADDRESS), (f"{value:#018x}", "")]
        if not name.startswith("0x"):
            line.append((f"  <{name}>", SYMBOL))
        lines.append(line)
    return lines


def operand_lines(target, rip: int) -> list[Line]:
    """The current instruction's memory operand, worked out and dereferenced (operand.py)."""
    from .operand import memory_operand
    text = memory_operand(target, rip)
    return [[("   " + text, DIM)]] if text else []


def context(target, previous: dict[str, int] | None = None) -> list[Line]:
    """The whole context view."""
    registers = target.registers()
    lines = [heading("state"), state_line(target), [(f" stopped: {target.last_stop}", "")]]
    lines += [heading("registers")] + register_lines(registers, previous)
    lines += [heading(f"source {sourceview.where(target, registers['rip'])}".rstrip())]
    lines += sourceview.source_pane(target, registers["rip"])
    lines += [heading("code")] + code_lines(target, registers["rip"]) + operand_lines(target, registers["rip"])
    lines += [heading("stack")] + stack_lines(target, registers["rsp"])
    return lines
