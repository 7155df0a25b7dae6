"""Positions inside a counted block: how many instructions ran before the one executing now.

The instruction counter (icount.py) counts a whole translated block when the
block is entered, and a tail (a block run alone) one instruction as each
starts. So inside a hook the count already holds the block's instructions
after the executing one. This mixin of CPU (cpu.py) turns the count into
exact positions: retired_before(rip), for hooks that must say where an
access happened (machine/memwatch.py); pause_after_current_instruction(),
to end a run as a spent budget would; and the correction after a trap ends
a block early. It decodes the block's bytes (capstone, remembered until code
changes) only on these paths, never while code runs normally. Counting
only: what a position means is the caller's business.
"""
from __future__ import annotations

from . import decode


class BlockPositions:
    """Exact positions inside the block being run (a mixin of CPU: uses its counter and code)."""

    _before_cache: dict | None = None

    def retired_before(self, rip: int) -> int:
        """Inside a hook: the instructions of the current slice retired before the one at
        `rip`, which is executing (the count before its block plus the block's instructions
        before `rip`; in a tail, each instruction is counted as it starts)."""
        counter = self.counter
        block = None if counter.in_tail else counter.last_block
        if block is None or not block[0] <= rip < block[0] + block[1]:
            return self.retired - 1
        address, _, count = block
        return self.retired - count + self._instructions_before(address, rip)

    def pause_after_current_instruction(self) -> None:
        """Inside a hook: end this run as if its budget were spent -- in a tail right after
        the executing instruction, in a whole block when the block ends (the next one is not
        entered). resume() then returns BUDGET with the exact count, so a time slice paused
        this way goes on later and the schedule does not change; `retired` says where it
        stopped."""
        self._pause_requested = True
        self.counter.stop_after_counted()

    def _uncount_rest_of_block(self, rip: int, started: bool) -> None:
        """The last block was counted whole, but a fault (or a trap) at `rip` ended it early:
        keep the instructions before `rip`, and the one at `rip` if it `started`."""
        block = self.counter.last_block
        if block is None:
            return
        address, size, count = block
        if not address <= rip < address + size:
            return                                  # not in that block: it ran to its end
        self.counter.uncount(count - self._instructions_before(address, rip) - (1 if started else 0))

    def _instructions_before(self, address: int, rip: int) -> int:
        """How many instructions of the block at `address` come before `rip` (decoded once per
        place and address space; forgotten whenever translations are)."""
        if self._before_cache is None:
            self._before_cache = {}
            self.memory.translation_listeners.append(self._before_cache.clear)
        key = (address, rip, self.counter.space)
        before = self._before_cache.get(key)
        if before is None:
            before = decode.count_instructions(self._code_between(address, rip), address, rip)
            if before is None:
                raise RuntimeError(f"cannot count the instructions of the block at {address:#x} up to {rip:#x}")
            self._before_cache[key] = before
        return before
