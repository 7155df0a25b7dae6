"""Checkpoints for time travel: the whole machine at points of a run, to go back to.

A Checkpoint is the state of a debugged machine at one position, taken
between two time slices: RAM, allocator and registers (machine/ramstate.py)
plus the kernel's Python state as bytes (statecopy.py). Going back to
position P (timetravel.py) puts back the nearest checkpoint at or before P
and runs forward from there -- at most a few million instructions instead
of everything since power-on. The machine is deterministic, so the state
reached is exactly the one the first run had.

The first checkpoint is the power-on one (take_power_on): the machine as
the session's boot leaves it, before the first slice, at position 0; kept
apart from the others, never thinned out or forgotten, counted in the
memory budget, it is what a replay from position 0 puts back instead of
booting again, and what the first forward checkpoint shares its pages
with. Then the store takes a checkpoint at a slice boundary once EVERY
instructions have passed since the one before.
While the debugger merely runs forward (cont, stepi), each one must also
keep the cost of checkpoints under OVERHEAD of the host CPU time spent
running (a checkpoint's cost taken as the median of the last COSTS_KEPT --
the power-on one's to begin with -- so that one slow take on a shared host
does not space out the next ones), so that `continue` stays as fast as the machine -- which makes
where those fall depend on the host's speed, never what the machine does. While time travel replays, checkpoints come every EVERY
instructions, where they pay off. Memory stays bounded: the NEWEST
checkpoints by position, older ones thinned out to one per doubling of the
distance (log-spaced), and never more than MEMORY_BUDGET bytes (pages that
did not change are shared between checkpoints). What is kept needs no
fork(), so it works the same on every platform; where a state cannot be
copied, time travel boots again to replay from power-on, as it always can. This module
never decides what the machine does.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..machine import ramstate
from .statecopy import StateNotCopyable, freeze, thaw

EVERY = 5_000_000                 # instructions between checkpoints
NEWEST = 8                        # checkpoints kept at full density
MEMORY_BUDGET = 200 << 20         # bytes all checkpoints may hold
OVERHEAD = 0.03                   # at most this share of the CPU time spent running forward
COSTS_KEPT = 4                    # checkpoint costs remembered for that budget


@dataclass(eq=False)
class Checkpoint:
    """The machine at `position`, between two time slices."""
    position: int
    state: bytes                  # (machine, kernel, fs, PROG's state) frozen by statecopy
    machine: ramstate.MachineState
    seconds: float                # what taking it cost (host CPU time)


class CheckpointStore:
    """The checkpoints of one debugging session, ordered by position."""

    def __init__(self) -> None:
        self.checkpoints: list[Checkpoint] = []  # taken while running (not the power-on one)
        self.power_on: Checkpoint | None = None   # the machine at position 0 (take_power_on)
        self.kept: dict[int, object] = {}         # what the frozen states refer to (statecopy)
        self.unavailable: str | None = None       # why the state cannot be copied, once seen
        self.taken = 0                            # checkpoints taken (for the curious)
        self.restored = 0                         # times one was put back
        self._costs: list[float] = []             # host CPU seconds of the last few checkpoints (none: free)
        self._since = time.process_time()         # host CPU time at the last checkpoint
        self._page_users: dict[int, int] = {}    # id of a RAM page -> checkpoints holding it
        self._bytes = 0                           # what bytes() returns, kept up to date

    # --- taking -------------------------------------------------------------------------

    def consider(self, target, replaying: bool) -> None:
        """Take a checkpoint of `target` if it is due (called after each run_once)."""
        kernel = target.kernel
        if kernel.slice is not None or kernel.pending_trap is not None or target.bugcheck is not None:
            return
        position = target.position
        last = self._last_before(position + 1)
        if position - (last.position if last is not None else 0) < EVERY:
            return
        if not replaying and time.process_time() - self._since < self._cost() / OVERHEAD:
            return
        if self.unavailable is None:
            self.take(target)

    def take(self, target) -> Checkpoint | None:
        """A checkpoint of `target` now (between slices); None if its state cannot be copied."""
        previous = self._last_before(target.position + 1) or self.power_on
        checkpoint = self._capture(target, previous)
        if checkpoint is None:
            return None
        self.add(checkpoint)
        self._since = time.process_time()
        self._costs = self._costs[-(COSTS_KEPT - 1):] + [checkpoint.seconds]
        return checkpoint

    def take_power_on(self, target) -> Checkpoint | None:
        """The power-on checkpoint: `target` as power-on leaves it, at position 0 between
        slices, kept for the whole session (never thinned out, never forgotten: no edit comes
        before it); None if its state cannot be copied. Its cost is the session start's, not
        running's; it is what the forward budget expects the first checkpoint of a run to
        cost, so that the first one too is taken within OVERHEAD (without it the first would
        be free, and a `continue` would pay for it on top of the budget)."""
        checkpoint = self._capture(target, None)
        if checkpoint is not None:
            self.power_on = checkpoint
            self._count(checkpoint, +1)
            self._costs = [checkpoint.seconds]
            self._since = time.process_time()
        return checkpoint

    def _capture(self, target, previous: Checkpoint | None) -> Checkpoint | None:
        """`target` now as a Checkpoint, RAM pages shared with `previous` where equal (None,
        and `unavailable` says why, if its state cannot be copied)."""
        started = time.process_time()
        try:
            state = freeze((target.machine, target.kernel, target.fs, _program_state(target)), _shared(target),
                           self.kept)
        except StateNotCopyable as reason:
            self.unavailable = str(reason)
            return None
        machine = ramstate.capture(target.cpu, previous.machine if previous is not None else None)
        self.taken += 1
        return Checkpoint(target.position, state, machine, time.process_time() - started)

    def add(self, checkpoint: Checkpoint) -> None:
        """Keep `checkpoint` (replacing one at the same position), then thin out the old ones."""
        for old in [c for c in self.checkpoints if c.position == checkpoint.position]:
            self._drop(old)
        self.checkpoints.append(checkpoint)
        self.checkpoints.sort(key=lambda c: c.position)
        self._count(checkpoint, +1)
        self._thin()

    def _cost(self) -> float:
        """What a checkpoint costs, for the forward budget: the median of the last few (one
        taken during a slow spell of a shared host must not space out the ones after it, and
        the least would be the power-on one, taken with warm caches: too little for one taken
        in the middle of a long run, which would then overrun the budget)."""
        return sorted(self._costs)[len(self._costs) // 2] if self._costs else 0.0

    # --- using ----------------------------------------------------------------------------

    def nearest(self, position: int) -> Checkpoint | None:
        """The checkpoint at or before `position`, nearest to it."""
        return self._last_before(position + 1)

    def before(self, position: int) -> list[Checkpoint]:
        """Checkpoints strictly before `position`, nearest first."""
        return [c for c in reversed(self.checkpoints) if c.position < position]

    def restore(self, target, checkpoint: Checkpoint) -> None:
        """Put `checkpoint` back into `target`'s CPU; the target's machine, kernel and disk
        become a fresh copy of the ones it holds (the checkpoint stays as it was)."""
        machine, kernel, fs, program = thaw(checkpoint.state, _shared(target), self.kept)
        ramstate.restore(target.cpu, checkpoint.machine)
        kernel.connect_cpu()
        target.machine, target.kernel, target.fs = machine, kernel, fs
        if target.program is not None:
            target.program.set_state(program)
        self.restored += 1

    def forget_after(self, position: int) -> None:
        """Drop the checkpoints after `position` (an edit made there changed the future)."""
        for checkpoint in [c for c in self.checkpoints if c.position > position]:
            self._drop(checkpoint)

    @property
    def bytes(self) -> int:
        """Memory the checkpoints hold: their frozen states and the RAM pages, each page once."""
        return self._bytes

    def _drop(self, checkpoint: Checkpoint) -> None:
        self.checkpoints.remove(checkpoint)
        self._count(checkpoint, -1)

    def _count(self, checkpoint: Checkpoint, sign: int) -> None:
        """Account for a checkpoint coming (+1) or going (-1); a page shared by several counts once."""
        self._bytes += sign * (len(checkpoint.state) + len(checkpoint.machine.registers))
        users = self._page_users
        for page in checkpoint.machine.pages:
            key = id(page)
            before = users.get(key, 0)
            if before + sign:
                users[key] = before + sign
            else:
                del users[key]
            if before == 0 or before + sign == 0:
                self._bytes += sign * len(page)

    # --- keeping memory bounded -------------------------------------------------------

    def _thin(self) -> None:
        """Keep the NEWEST, then one per doubling of the distance from the newest, then
        drop the oldest while over MEMORY_BUDGET."""
        newest, older = self.checkpoints[-NEWEST:], self.checkpoints[:-NEWEST]
        if older:
            top = newest[0].position
            buckets: dict[int, Checkpoint] = {}
            for checkpoint in older:                  # ascending: the newest of a bucket wins
                buckets[int(math.log2(max(1, (top - checkpoint.position) // EVERY)))] = checkpoint
            kept = {id(c) for c in buckets.values()}
            for checkpoint in older:
                if id(checkpoint) not in kept:
                    self._drop(checkpoint)
        while len(self.checkpoints) > 1 and self._bytes > MEMORY_BUDGET:
            self._drop(self.checkpoints[0])

    def _last_before(self, position: int) -> Checkpoint | None:
        found = None
        for checkpoint in self.checkpoints:
            if checkpoint.position >= position:
                break
            found = checkpoint
        return found


def _program_state(target):
    """`debug PROG`: where the program is (its process in the kernel being frozen), or None."""
    return target.program.state() if target.program is not None else None


def _shared(target) -> dict[str, object]:
    """What a frozen state refers to by name: the objects that outlive a restore."""
    return {"target": target, "cpu": target.cpu, "uc": target.cpu.uc, "memory": target.cpu.memory,
            "snapshot": target.snapshot, "options": target.options}
