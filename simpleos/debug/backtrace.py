"""Backtraces: who called the code that is running now.

SimpleOS's guest code keeps no frame pointers (the sensor uses rbp as an
ordinary register) and has no unwind tables, so this does what WinDbg and
gdb fall back to without them: scan the stack upward from RSP for words
that are *return addresses* -- an address inside known code (a kernel
module or the current process's image) whose preceding bytes decode as a
`call` instruction. Each one found is a caller's frame. A stale return
address left in a frame's locals can show up as an extra frame; the call
check keeps that rare. Reads memory and decodes; never runs code.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..machine import decode

MAX_STACK_WORDS = 1024
CALL_LENGTHS = (5, 6, 2, 3, 7, 4)    # call rel32; call [rip+d]; call reg; call r64/[reg]; ...


@dataclass
class Frame:
    """One frame: where it executes (frame 0: RIP; others: the return address)."""
    number: int
    address: int
    slot: int | None        # the stack address holding this return address (None for frame 0)
    symbol: str


def backtrace(target, max_frames: int = 32) -> list[Frame]:
    """Frame 0 at RIP, then each return address found on the stack, innermost first."""
    registers = target.registers()
    rip, rsp = registers["rip"], registers["rsp"]
    frames = [Frame(0, rip, None, target.symbolize(rip))]
    for index in range(MAX_STACK_WORDS):
        slot = rsp + 8 * index
        try:
            value = int.from_bytes(target.read_memory(slot, 8), "little")
        except MemoryError:
            break
        if target.code_contains(value) and follows_a_call(target, value):
            frames.append(Frame(len(frames), value, slot, target.symbolize(value)))
            if len(frames) >= max_frames:
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
