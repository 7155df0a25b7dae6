"""Hidden CPU state that unicorn keeps but does not expose: a stale field to repair, one to read.

QEMU (inside unicorn) remembers the exception being delivered in
`env->old_exception`, to turn a fault during delivery into a double fault
(#DF) and then a triple fault (reset). It clears it when delivery
completes -- but unicorn hands every exception to our hook and never
delivers it, so the field keeps its value. The next #PF or #GP after a
resumed context then arrives as #DF, and the one after that stops the CPU
silently. Seen here: a process preempted once reported #DF for a plain
page fault.

There is no register for the field, so its offset inside a saved context is
found once by experiment (raise #DE and see which 4 bytes went from -1 to
0), and every context is given old_exception = -1 before it is
resumed.

The other field is `env->exception_is_int`: 1 when the exception being
delivered was raised by an `int n` instruction, 0 when the CPU raised it.
unicorn hands both to the same hook with the same vector, so an `int 14`
looks like a page fault; this field tells them apart (found the same way:
`int` sets it, #DE does not). Mechanism only: no policy.
"""
from __future__ import annotations

import ctypes
from functools import lru_cache

from unicorn import UC_ARCH_X86, UC_HOOK_INTR, UC_MODE_64, Uc, UcError

_NONE = (-1).to_bytes(4, "little", signed=True)
_EXPERIMENT_TRANSLATION_BUFFER = 1 << 20     # the experiments run a few instructions


def _engine() -> Uc:
    """A throw-away x86-64 engine for an experiment (with a small translation buffer)."""
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.ctl_set_tcg_buffer_size(_EXPERIMENT_TRANSLATION_BUFFER)
    return uc


def _context_after(code: bytes, inside_hook: bool = False) -> bytes:
    """Bytes of a saved context after `code` raised an exception caught by a hook
    (saved inside the hook, while the exception is being delivered, if `inside_hook`)."""
    uc = _engine()
    uc.mem_map(0x1000, 0x2000)
    uc.mem_write(0x1000, code)
    seen = []

    def on_interrupt(u, number, data):
        seen.append(bytes(u.context_save()))
        u.emu_stop()
    uc.hook_add(UC_HOOK_INTR, on_interrupt)
    try:
        uc.emu_start(0x1000, 0x1000 + len(code), count=10)
    except UcError:
        pass
    return seen[0] if inside_hook and seen else bytes(uc.context_save())


@lru_cache(maxsize=1)
def old_exception_offset() -> int | None:
    """Offset of env->old_exception in a unicorn x86-64 context, or None if not found."""
    fresh = bytes(_engine().context_save())
    divide_error = _context_after(bytes.fromhex("31c9f7f1"))   # xor ecx,ecx; div ecx -> #DE (vector 0)
    candidates = [offset for offset in range(0, len(fresh) - 3, 4)
                  if fresh[offset:offset + 4] == _NONE and divide_error[offset:offset + 4] == bytes(4)]
    return candidates[0] if len(candidates) == 1 else None


@lru_cache(maxsize=1)
def exception_is_int_offset() -> int | None:
    """Offset of env->exception_is_int in a context saved inside the interrupt hook, or None."""
    one, zero = (1).to_bytes(4, "little"), bytes(4)
    fresh = bytes(_engine().context_save())
    software = [_context_after(code, inside_hook=True) for code in (bytes.fromhex("cd22"), bytes.fromhex("cd0d"))]
    divide_error = _context_after(bytes.fromhex("31c9f7f1"), inside_hook=True)
    candidates = [offset for offset in range(0, len(fresh) - 3, 4)
                  if fresh[offset:offset + 4] == zero and divide_error[offset:offset + 4] == zero
                  and all(context[offset:offset + 4] == one for context in software)]
    return candidates[0] if len(candidates) == 1 else None


def raised_by_int_instruction(context) -> bool | None:
    """Was the exception being delivered raised by an `int n` instruction? (`context`:
    saved inside the interrupt hook.) None if the field could not be found."""
    offset = exception_is_int_offset()
    if offset is None:
        return None
    return ctypes.string_at(context.context.value + offset, 4) != bytes(4)


def clear_old_exception(context) -> None:
    """Set old_exception = -1 inside a saved unicorn context (in place)."""
    offset = old_exception_offset()
    if offset is not None:
        ctypes.memmove(context.context.value + offset, _NONE, 4)
