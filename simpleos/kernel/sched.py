"""The scheduler: round robin, preemption by instruction budget.

Every runnable process gets a time slice of SLICE_INSTRUCTIONS (1 ms of
virtual time); a process that blocks in a system call gives up the rest.
(A slice this long keeps the host's cost per slice -- the Python between two
runs of the CPU -- small against the guest code it runs; the kernel ends a
slice early, exactly, where a CPU time limit runs out.) Blocked processes are polled
in pid order; with nothing runnable, virtual time jumps to the next timer.
Deterministic by construction: no host time, no hash order.
"""
from __future__ import annotations

from collections import deque

from .proc import BLOCKED, RUNNABLE, Process

SLICE_INSTRUCTIONS = 1_000_000


def slice_length(process: Process, cpu_limit: int, ring0_watchdog: int) -> int:
    """SLICE_INSTRUCTIONS, or fewer: up to the instruction that takes `process` over its
    limit -- CPU time (`cpu_limit` cycles) at ring 3, `ring0_watchdog` cycles without
    blocking at ring 0."""
    if process.ring == 0:
        left = ring0_watchdog - process.cycles_since_block
    else:
        left = cpu_limit - process.cpu_cycles
    return max(1, min(SLICE_INSTRUCTIONS, left + 1))


class Scheduler:
    """Round-robin run queue."""

    def __init__(self) -> None:
        self.queue: deque[Process] = deque()

    def add(self, process: Process) -> None:
        """Make a process eligible to run (at the back of the queue)."""
        if process not in self.queue:
            self.queue.append(process)

    def remove(self, process: Process) -> None:
        """Take a process out of the queue for good."""
        if process in self.queue:
            self.queue.remove(process)

    def pick_next(self, now: int) -> Process | None:
        """The next process that can run now, waking blocked ones whose wait is over."""
        for _ in range(len(self.queue)):
            process = self.queue[0]
            self.queue.rotate(-1)
            if process.state == BLOCKED and self._try_wake(process, now):
                return process
            if process.state == RUNNABLE:
                return process
        return None

    @staticmethod
    def _try_wake(process: Process, now: int) -> bool:
        """If the blocked process's wait is over, deliver its result and make it runnable."""
        result = process.wait_until() if process.wait_until else None
        if result is None:
            return False
        process.state = RUNNABLE
        process.wait_until = None
        process.wake_at = None
        process.pending_result = result
        return True

    def next_timer(self) -> int | None:
        """The earliest clock deadline among blocked processes."""
        deadlines = [p.wake_at for p in self.queue if p.state == BLOCKED and p.wake_at is not None]
        return min(deadlines) if deadlines else None

    def __len__(self) -> int:
        return len(self.queue)
