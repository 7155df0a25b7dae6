"""Backtraces: who called the code that is running now, frame by frame.

Each frame is unwound with the rule cfi.py works out from the code for the
instruction it stands at (the same rules gdb reads from the symbol file's
.debug_frame, so both debuggers show the same frames): the CFA is rsp+N
or rbp+16, the return address is at CFA-8, and the callee-saved registers
the routine pushed are read back from their slots, so each caller frame
has its own rsp, rbp, rbx, r12-r15. The walk ends at the outermost frame
(an image's `_start`), or where a return address points outside known code.

Where no rule is known (code of a C program, code the analysis cannot
follow) it does what WinDbg and gdb fall back to: scan the stack upward for
words that are *return addresses* -- an address inside known code whose
preceding bytes decode as a `call`. A stale return address left in a
frame's locals can show up there as an extra frame. Reads memory and
decodes; never runs code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..kernel.elfload import ElfImage
from ..machine import decode
from .cfi import CALLEE_SAVED, frame_table
from .symbols import target_regions

MAX_STACK_WORDS = 1024
CALL_LENGTHS = (5, 6, 2, 3, 7, 4)    # call rel32; call [rip+d]; call reg; call r64/[reg]; ...
UNWOUND = ("rip", "rsp") + CALLEE_SAVED


@dataclass
class Frame:
    """One frame: where it executes (frame 0: RIP; others: the return address)."""
    number: int
    address: int
    slot: int | None        # the stack address holding this return address (None for frame 0)
    symbol: str
    registers: dict[str, int] = field(default_factory=dict)   # rip, rsp and callee-saved, as unwound
    cfa: int | None = None      # the frame's CFA: its caller's rsp once it returns (None if unknown)
    saved: dict[str, int] = field(default_factory=dict)       # caller's register -> where this frame saved it
    found_by: str = "cfi"       # "cfi" (unwind rule) or "scan" (a return address found on the stack)
    rule: str = ""              # how its CFA is found: 'rbp+16', 'rsp+8' ('' if no rule is known)
    outermost: bool = False     # the entry routine's frame: it has no caller


def backtrace(target, max_frames: int = 32) -> list[Frame]:
    """Frame 0 at RIP, then each caller, innermost first."""
    registers = target.registers()
    known = target_regions(target)
    first = {name: registers[name] for name in UNWOUND if name in registers}
    frames = [Frame(0, registers["rip"], None, target.symbolize(registers["rip"]), first)]
    while len(frames) < max_frames:
        frame = frames[-1]
        rule = _rule_for(known, frame.address if frame.number == 0 else frame.address - 1)
        if rule is None:
            frames += _scan(target, frame.registers.get("rsp"), len(frames), max_frames)
            break
        caller = _unwind(target, frame, rule)
        if rule.outermost or caller is None or not target.code_contains(caller.address):
            break
        if caller.registers["rsp"] <= frame.registers.get("rsp", 0):
            break                   # callers live higher on the stack: anything else is a loop
        frames.append(caller)
    return frames


def _rule_for(known, address: int):
    """The unwind rule at `address`, from the image of an assembled program that holds it."""
    for region in known:
        if region.contains(address) and not isinstance(region.image, ElfImage):
            return frame_table(region.image).rule_at(address)
    return None


def _unwind(target, frame: Frame, rule) -> Frame | None:
    """The caller of `frame` under `rule` (None if its slots cannot be read); fills frame.cfa/saved."""
    base = frame.registers.get(rule.cfa_register)
    if base is None:
        return None
    cfa = (base + rule.cfa_offset) & ((1 << 64) - 1)
    frame.cfa, frame.rule, frame.outermost = cfa, f"{rule.cfa_register}+{rule.cfa_offset}", rule.outermost
    frame.saved = {name: cfa + offset for name, offset in rule.saved}
    if rule.outermost:
        return None
    frame.saved["rip"] = cfa - 8
    try:
        values = {name: _word(target, slot) for name, slot in frame.saved.items()}
    except MemoryError:
        return None
    registers = dict(frame.registers, rsp=cfa, **values)
    return Frame(frame.number + 1, values["rip"], cfa - 8, target.symbolize(values["rip"]), registers)


def _word(target, address: int) -> int:
    return int.from_bytes(target.read_memory(address, 8), "little")


def _scan(target, rsp: int | None, number: int, max_frames: int) -> list[Frame]:
    """Frames from return addresses found on the stack above `rsp` (no unwind rule known)."""
    frames: list[Frame] = []
    if rsp is None:
        return frames
    for index in range(MAX_STACK_WORDS):
        slot = rsp + 8 * index
        try:
            value = _word(target, slot)
        except MemoryError:
            break
        if target.code_contains(value) and follows_a_call(target, value):
            frames.append(Frame(number + len(frames), value, slot, target.symbolize(value),
                                {"rip": value, "rsp": slot + 8}, found_by="scan"))
            if number + len(frames) >= max_frames:
                break
    return frames


def follows_a_call(target, address: int) -> bool:
    """Do the bytes just before `address` decode as one `call` instruction ending there?"""
    for length in CALL_LENGTHS:
        try:
            code = target.read_memory(address - length, length)
        except MemoryError:
            continue
        found = decode.disassemble(code, address - length, 1)
        if found and found[0][1] == length and found[0][2] == "call":
            return True
    return False
