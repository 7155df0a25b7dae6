"""Processes: an address space, a saved CPU context, open files, a state.

A process is created from a loaded image by kernel.spawn(); its first time
slice starts at the ring-0 `user_entry` trampoline whose `iretq` drops the
CPU to ring 3 for real. A kernel thread (a ring-0 driver) is a Process with
ring 0 and no user half. Scheduling decisions are in sched.py.
"""
from __future__ import annotations

from typing import Any, Callable

from ..assembler import Image
from ..machine.paging import AddressSpace
from ..record import dataclass, field

RUNNABLE = "runnable"
BLOCKED = "blocked"      # waiting; `wait_until` says what for
ZOMBIE = "zombie"        # exited or killed; parent has not collected it

EXITED, KILLED = "exited", "killed"

FIRST_FILE_FD = 3           # 0, 1, 2 are the console
MAX_OPEN_FILES = 64         # per process, like RLIMIT_NOFILE: one more open gets -EMFILE


@dataclass
class Process:
    """One process (or kernel thread) and everything the kernel knows of it."""
    pid: int
    name: str
    space: AddressSpace
    image: Image | None
    ring: int = 3
    argument: str = ""                       # the argument string it was started with
    parent: int = 0
    context: Any = None                      # the CPU's saved register context
    state: str = RUNNABLE
    files: dict[int, Any] = field(default_factory=dict)
    frames: list[int] = field(default_factory=list)   # physical frames to free at exit
    fate: str | None = None                  # EXITED or KILLED
    exit_code: int | None = None
    trap: Any = None                         # the Trap that killed it, if any
    death_cause: str | None = None           # why the kernel killed it: "crash" or "no-reply"
    # While BLOCKED: a function that returns the system call's result once the
    # process can go on, or None to keep waiting. `wake_at` is a clock deadline.
    wait_until: Callable[[], int | None] | None = None
    wake_at: int | None = None
    reaped: bool = False                     # the parent has collected its exit code
    pending_result: int | None = None        # a blocked call's result, for rax on resume
    instructions: int = 0                    # instructions retired, for accounting
    cpu_cycles: int = 0                      # virtual CPU time charged to it
    cycles_since_block: int = 0              # for the ring-0 watchdog
    cpu_limit: int | None = None             # its RLIMIT_CPU in cycles (None: the kernel's default)
    domain: Any = None                       # explicit authority (placement.py): its capability table or
                                             # secure bindings; None: the ambient authority of a process
    kapi: Any = None                         # a ring-3 driver: the kapi stubs mapped into it (placement.py)
    _fd_bits: int = 0                        # bit i set: descriptor FIRST_FILE_FD + i is open

    def __str__(self) -> str:
        return f"{self.name}[{self.pid}]"

    @property
    def alive(self) -> bool:
        """Still able to run (not exited or killed)."""
        return self.state != ZOMBIE

    @property
    def can_open_file(self) -> bool:
        """Is there room for one more open file (RLIMIT_NOFILE: MAX_OPEN_FILES)?"""
        return len(self.files) < MAX_OPEN_FILES

    def add_file(self, handle) -> int:
        """Give `handle` the lowest free file descriptor (0..2 are the console): found in
        constant time from a bit map of the descriptors in use. Check can_open_file first."""
        lowest_free = ~self._fd_bits & (self._fd_bits + 1)
        self._fd_bits |= lowest_free
        fd = FIRST_FILE_FD + lowest_free.bit_length() - 1
        self.files[fd] = handle
        return fd

    def remove_file(self, fd: int):
        """Close descriptor `fd`: its handle, or None if it was not open."""
        handle = self.files.pop(fd, None)
        if handle is not None:
            self._fd_bits &= ~(1 << (fd - FIRST_FILE_FD))
        return handle
