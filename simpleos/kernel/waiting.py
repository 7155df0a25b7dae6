"""Waiting in a system call: the two ways a call can leave without an answer for rax yet.

Block: the caller waits. `ready()` is polled by the scheduler (sched.py) and
returns the call's result once the caller can go on (None: keep waiting);
`wake_at` is a clock deadline at which to poll again even if nothing else
happens. Gone: the caller no longer runs (it exited). Raised by system
calls, caught by dispatch (syscalls.py) and the kernel's syscall entry.
"""
from __future__ import annotations

from typing import Callable


class Block(Exception):
    """The caller waits: `ready()` returns the call's result once it can go on."""

    def __init__(self, ready: Callable[[], int | None], wake_at: int | None = None) -> None:
        super().__init__()
        self.ready = ready
        self.wake_at = wake_at


class Gone(Exception):
    """The caller no longer runs (it exited)."""
