"""The instruction counter: the machine's virtual clock source, time-slice budget and breakpoints.

Installs the native block hook of _icount.c on a unicorn engine and reads
its results. `retired` says how many guest instructions the current run has
counted (whole blocks as they are entered); the CPU stops before a block
that would pass `budget` or that holds a breakpoint, and cpu.py then runs
that one block instruction by instruction (run_tail) to stop at the exact
instruction. This module only counts and stops; what a slice is worth is
the kernel's business, and what a trap means is cpu.py's.

No unicorn hook is added per breakpoint: breakpoints are an array the
native code checks when it first sees a block, so setting one costs
nothing while code runs elsewhere. The only per-instruction hook is the
tail hook, and it covers one block at a time (begin_tail moves its range
there, end_tail moves it to where no code can be).
"""
from __future__ import annotations

import ctypes

from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE
from unicorn import x86_const as X
from unicorn import unicorn_const as uc_const
from unicorn.unicorn_py3 import unicorn as _unicorn_binding

from . import _icount

_native = ctypes.CDLL(_icount.__file__)
_uclib = _unicorn_binding.uclib
_uc_ctl = ctypes.cast(_uclib.uc_ctl, ctypes.c_void_p)
_REQUEST_CACHE = (uc_const.UC_CTL_IO_READ_WRITE << 30) | (2 << 26) | uc_const.UC_CTL_TB_REQUEST_CACHE
_RFLAGS_ID = X.UC_X86_REG_RFLAGS
_RF = 1 << 16                   # RFLAGS.RF, the resume flag
# A range no instruction is ever at (non-canonical addresses cannot be executed), and two
# distinct numbers, so that the hook record's fields can be recognised (_TailRange).
_NOWHERE = (0x8000_0000_5A5A_0000, 0x8000_0000_5A5A_0001)
CACHE_ENTRIES = 4096            # blocks remembered (direct-mapped; a miss asks unicorn again)
MAX_BREAKPOINTS = 256

# Why the native code stopped the CPU (_icount.c, STOP_*).
STOP_NONE, STOP_BUDGET, STOP_BREAKPOINT_BLOCK, STOP_BREAKPOINT, STOP_UNKNOWN_BLOCK, STOP_TAIL_DONE = range(6)


class _Block(ctypes.Structure):
    _fields_ = [("address", ctypes.c_uint64), ("space", ctypes.c_uint64), ("size", ctypes.c_uint32),
                ("generation", ctypes.c_uint32), ("count", ctypes.c_uint32), ("holds_breakpoint", ctypes.c_uint32)]


_NO_BLOCK = ctypes.POINTER(_Block)()


class _Counter(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "retired", "budget", "block_budget", "space", "space_hash", "tail_begin", "tail_end")] + [
        ("last", ctypes.POINTER(_Block)), ("last_copy", _Block)] + [(name, ctypes.c_uint64) for name in (
            "stop_reason", "stop_address", "stop_size", "misses")] + [
        ("breakpoints", ctypes.POINTER(ctypes.c_uint64)), ("breakpoint_count", ctypes.c_uint64),
        ("cache", ctypes.POINTER(_Block)), ("cache_mask", ctypes.c_uint64), ("generation", ctypes.c_uint64),
        ("emu_stop", ctypes.c_void_p), ("ctl", ctypes.c_void_p), ("request_cache", ctypes.c_uint64)]


class _TailRange:
    """The [begin, end] range of unicorn's hook record for the permanent tail hook, to move it.
    unicorn 2.1.4 has no call for that; the fields are found by experiment (the hook was
    added with the sentinel range _NOWHERE, and the handle is the record's address), as
    exception_state.py finds its fields. Not found: None, and tails add and remove a hook."""

    def __init__(self, address: int) -> None:
        self._fields = (ctypes.c_uint64 * 2).from_address(address)

    @classmethod
    def of(cls, handle: int) -> "_TailRange | None":
        record = (ctypes.c_uint64 * 8).from_address(handle)     # the record is 64 bytes
        found = [i for i in range(7) if (record[i], record[i + 1]) == _NOWHERE]
        return cls(handle + 8 * found[0]) if len(found) == 1 else None

    def move(self, begin: int, end: int) -> None:
        """Make the hook cover [begin, end] (for instructions translated from now on, and
        for the calls of those already translated with it)."""
        self._fields[0], self._fields[1] = begin, end


def _add_native_hook(uc, kind: int, function, counter, begin: int, end: int) -> int:
    """uc_hook_add for a C callback with the counter as its user data; returns the handle."""
    handle = ctypes.c_size_t()
    status = _uclib.uc_hook_add(uc._uch, ctypes.byref(handle), kind, ctypes.cast(function, ctypes.c_void_p),
                                ctypes.cast(ctypes.pointer(counter), ctypes.c_void_p),
                                ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if status != 0:
        raise RuntimeError(f"cannot install the instruction counter (uc_err {status})")
    return handle.value


class InstructionCounter:
    """Counts instructions retired on one unicorn engine, with a per-run budget and breakpoints."""

    def __init__(self, uc) -> None:
        self._cache = (_Block * CACHE_ENTRIES)()
        self._breakpoints = (ctypes.c_uint64 * MAX_BREAKPOINTS)()
        self._counter = _Counter(
            breakpoints=self._breakpoints, cache=self._cache, cache_mask=CACHE_ENTRIES - 1, generation=1,
            emu_stop=ctypes.cast(_uclib.uc_emu_stop, ctypes.c_void_p), ctl=_uc_ctl, request_cache=_REQUEST_CACHE)
        self._uc = uc  # keep the engine alive as long as the hook
        self._handle = _add_native_hook(uc, UC_HOOK_BLOCK, _native.icount_on_block, self._counter, 1, 0)
        self._tail_handle: int | None = None
        self._scratch = ctypes.c_uint64()
        self._tail_range = _TailRange.of(_add_native_hook(uc, UC_HOOK_CODE, _native.icount_on_tail_instruction,
                                                          self._counter, *_NOWHERE))
        self.breakpoints: tuple[int, ...] = ()
        self.suspended = False

    def suspend(self) -> None:
        """Take the block hook out: nothing is counted, and no budget or breakpoint holds until
        resume(). Only for a caller that bounds runs another way (the fuzzer: machine/edges.py's
        block budget)."""
        if not self.suspended:
            _uclib.uc_hook_del(self._uc._uch, ctypes.c_size_t(self._handle))
            self._uc.ctl_flush_tb()      # translated code still calls a hook until retranslated
            self.suspended = True

    def resume(self) -> None:
        """Put the block hook back (the cached block counts are still right: the cache is
        told of every code change, suspended or not)."""
        if self.suspended:
            self._handle = _add_native_hook(self._uc, UC_HOOK_BLOCK, _native.icount_on_block,
                                            self._counter, 1, 0)
            self._uc.ctl_flush_tb()
            self.suspended = False

    # --- a run ---------------------------------------------------------------------------

    def arm(self, budget: int) -> None:
        """Start a run: zero the count, allow `budget` instructions, forget the last stop."""
        counter = self._counter
        counter.retired = 0
        counter.budget = counter.block_budget = budget
        counter.stop_reason = STOP_NONE
        counter.last = _NO_BLOCK

    @property
    def retired(self) -> int:
        """Instructions counted in the current run (whole blocks: see cpu.py for mid-block exits)."""
        return self._counter.retired

    @property
    def budget(self) -> int:
        """The current run's budget."""
        return self._counter.budget

    def stop_after_counted(self) -> None:
        """Allow no more than has been counted: a tail stops before its next instruction, a
        whole-block run before its next block (icount_on_block sees it over the budget)."""
        counter = self._counter
        counter.budget = counter.retired
        if counter.tail_begin == counter.tail_end:
            counter.block_budget = counter.retired

    @property
    def in_tail(self) -> bool:
        """Is a tail (one block run instruction by instruction) running?"""
        return self._counter.tail_begin != self._counter.tail_end

    @property
    def space(self) -> int:
        """The address space (CR3) the cache keys blocks by now."""
        return self._counter.space

    def uncount(self, instructions: int) -> None:
        """Take back instructions counted but not run (a block left in the middle by a trap)."""
        self._counter.retired -= instructions

    @property
    def exhausted(self) -> bool:
        """True when the run has used its whole budget."""
        return self._counter.retired >= self._counter.budget

    @property
    def stop_reason(self) -> int:
        """Why the native code stopped the CPU (STOP_*), STOP_NONE if it did not."""
        return self._counter.stop_reason

    @property
    def stopped_at(self) -> tuple[int, int]:
        """(address, size) of the block the native code stopped before (or the instruction, size 0)."""
        return self._counter.stop_address, self._counter.stop_size

    @property
    def last_block(self) -> tuple[int, int, int] | None:
        """(address, size, instructions) of the last block counted whole in this run, if any."""
        if not self._counter.last:
            return None
        block = self._counter.last.contents
        return block.address, block.size, block.count

    @property
    def misses(self) -> int:
        """Blocks the cache had to ask unicorn about (since the counter was made)."""
        return self._counter.misses

    # --- the exact tail ----------------------------------------------------------------

    def begin_tail(self, address: int, size: int) -> None:
        """Count [address, address + size) instruction by instruction (one block), until end_tail.
        unicorn decides at translation time which instructions call hooks, so the block must be
        translated anew with the hook. The usual way: a bounded hook plus dropping the block's
        translation. The fast way (when the hook's range can be moved, see _TailRange): one
        permanent hook whose range is moved here, and RFLAGS.RF set for the tail run -- RF is
        part of unicorn's key for a translation, so the hooked translation is kept apart from
        the plain one (neither is dropped, and the next tail there reuses it). RF only
        suppresses debug-register breakpoints, which this machine never sets, and PUSHF never
        shows it; it is cleared again before anyone reads the registers."""
        counter = self._counter
        counter.tail_begin, counter.tail_end = address, address + size
        counter.block_budget = 0                  # no block is counted whole during a tail run
        if self._tail_range is not None:
            self._tail_range.move(address, address + size - 1)
            self._rflags_or(_RF)
            return
        self._tail_handle = _add_native_hook(self._uc, UC_HOOK_CODE, _native.icount_on_tail_instruction,
                                             counter, address, address + size - 1)
        self._uc.ctl_remove_cache(address, address + size)

    def end_tail(self) -> None:
        """Stop counting per instruction (the tail's hooked translation stays out of the way)."""
        if self._tail_range is not None:
            self._tail_range.move(*_NOWHERE)
            self._rflags_or(0, clear=_RF)
            if self._counter.stop_reason == STOP_TAIL_DONE:
                # The tail's block ran to its end and chained to the next block with RF still
                # set: that block was translated under the RF key without the hook. Drop it, or
                # a later tail there would reuse it and not count.
                address, size = self.stopped_at
                self._uc.ctl_remove_cache(address, address + size)
        elif self._tail_handle is not None:
            _uclib.uc_hook_del(self._uc._uch, ctypes.c_size_t(self._tail_handle))   # drops its translation
            self._tail_handle = None
        self._counter.tail_begin = self._counter.tail_end = 0

    def _rflags_or(self, bits: int, clear: int = 0) -> None:
        """RFLAGS |= bits, &= ~clear, with raw calls (this runs twice per tail)."""
        _uclib.uc_reg_read(self._uc._uch, _RFLAGS_ID, ctypes.byref(self._scratch))
        self._scratch.value = (self._scratch.value | bits) & ~clear
        _uclib.uc_reg_write(self._uc._uch, _RFLAGS_ID, ctypes.byref(self._scratch))

    # --- what the cache is keyed by, and when it must forget ---------------------------

    def set_space(self, root: int) -> None:
        """The address space now running (its CR3), part of every block's key."""
        self._counter.space = root
        self._counter.space_hash = ((root >> 12) * 0x9E3779B1) & ((1 << 64) - 1)

    def forget_blocks(self) -> None:
        """Forget every cached block count (code or breakpoints changed)."""
        counter = self._counter
        counter.generation += 1
        if counter.generation >= 1 << 32:      # entries hold 32 bits of it: start over
            ctypes.memset(self._cache, 0, ctypes.sizeof(self._cache))
            counter.generation = 1

    def set_breakpoints(self, addresses) -> None:
        """Stop before any of `addresses` (replacing the previous set)."""
        addresses = tuple(sorted(set(addresses)))
        if len(addresses) > MAX_BREAKPOINTS:
            raise ValueError(f"at most {MAX_BREAKPOINTS} breakpoints")
        if addresses == self.breakpoints:
            return
        for index, address in enumerate(addresses):
            self._breakpoints[index] = address
        self._counter.breakpoint_count = len(addresses)
        self.breakpoints = addresses
        self.forget_blocks()
