"""System calls: the kernel's services to ring 3, one small function each.

ABI (docs/syscalls.md): `syscall` with the number in rax, arguments in rdi,
rsi, rdx, r10, r8, r9; the result in rax; errors as negative errno. Linux
numbers where Linux has the call; our own from 500. Every pointer argument
goes through usercopy (EFAULT, never a kernel dereference of it).

A call that must wait raises Block; one that ends the caller raises Gone.
The scheduler and dispatch are in kernel.py.
"""
from __future__ import annotations

from typing import Callable

from ..machine.clock import CYCLES_PER_SECOND
from ..record import dataclass
from . import errno
from .fs import FsError
from .pipes import PipeEnd
from .operations import authorize, exec_operation, pipe_operation
from .capabilities import CAPABILITY_SYSCALLS
from .proclist import PROCESS_SYSCALLS
from .sensor.kapi import SENSOR_SYSCALLS
from .proc import BLOCKED, ZOMBIE
from .usercopy import BadUserPointer, copy_from_user, copy_to_user, string_from_user
from .waiting import Block, Gone

MAX_IO = 1 << 20
STDIN, STDOUT, STDERR = 0, 1, 2
PIPE_PREFIX = "\\\\.\\pipe\\"


@dataclass
class OpenFile:
    """A file of the disk opened for reading: a snapshot and a position."""
    path: str
    content: bytes
    position: int = 0


def sys_read(k, p, fd, buf, count, *_):
    """read(fd, buf, count): bytes read, 0 at end of file."""
    count = min(count, MAX_IO)
    if fd == STDIN:
        return 0  # the console has no keyboard input: end of file
    handle = p.files.get(fd)
    if isinstance(handle, OpenFile):
        data = handle.content[handle.position:handle.position + count]
        copy_to_user(p.space, buf, data)
        handle.position += len(data)
        return len(data)
    if isinstance(handle, PipeEnd):
        pipe = handle.pipe

        def ready():  # a pipe server waits until a client has written something
            if not pipe.buffer:
                return None
            data = pipe.peek(count)
            copy_to_user(p.space, buf, data)     # a bad buffer fails here: the bytes stay in the pipe
            pipe.consume(len(data))
            return len(data)
        result = ready()
        if result is None:
            raise Block(ready)
        return result
    return -errno.EBADF


def sys_write(k, p, fd, buf, count, *_):
    """write(fd, buf, count): bytes written. fd 1 and 2 are the console."""
    count = min(count, MAX_IO)
    data = copy_from_user(p.space, buf, count)
    if fd in (STDOUT, STDERR):
        k.charge(p, k.console.accept(len(data), k.clock.cycles))   # waiting for a slow device is CPU time
        k.console.write(data, stream=p.pid)
        return len(data)
    handle = p.files.get(fd)
    if isinstance(handle, PipeEnd):
        return handle.pipe.write(data)
    return -errno.EBADF


def sys_open(k, p, path_ptr, flags, *_):
    """open(path, flags): a disk file for reading, or a named pipe by name."""
    path = string_from_user(p.space, path_ptr).decode("utf-8", "replace")
    if not p.can_open_file:
        return -errno.EMFILE
    if path.startswith(PIPE_PREFIX):
        pipe = k.pipes.lookup(path)
        if pipe is None:
            return -errno.ENOENT
        return p.add_file(k.pipes.open_end(pipe))
    kind = _kind_of(k, path)
    if kind == "directory":
        return -errno.EISDIR
    if kind == "file" and path.endswith("/"):
        return -errno.ENOTDIR            # "file/": a file is not a directory
    content = k.read_file(path)
    if content is None:
        return -errno.ENOENT
    return p.add_file(OpenFile(path, content))


def _kind_of(k, path: str) -> str | None:
    """'file', 'directory' or None (no disk, no such path, or not a valid path)."""
    try:
        if k.fs is None or not k.fs.exists(path):
            return None
        return "directory" if k.fs.is_dir(path) else "file"
    except FsError:
        return None


def sys_close(k, p, fd, *_):
    """close(fd)."""
    handle = p.remove_file(fd)
    if handle is None:
        return -errno.EBADF
    if isinstance(handle, PipeEnd):
        k.pipes.close_end(handle)
    return 0


def sys_sched_yield(k, p, *_):
    """sched_yield(): give the CPU to the next process."""
    k.cpu.request_stop()
    return 0


def sys_nanosleep(k, p, req_ptr, rem_ptr, *_):
    """nanosleep(&{seconds, nanoseconds}, rem): sleep in virtual time."""
    request = copy_from_user(p.space, req_ptr, 16)
    seconds = int.from_bytes(request[:8], "little", signed=True)
    nanos = int.from_bytes(request[8:], "little", signed=True)
    if seconds < 0 or not 0 <= nanos < 1_000_000_000:
        return -errno.EINVAL
    deadline = k.clock.cycles + seconds * CYCLES_PER_SECOND + nanos * CYCLES_PER_SECOND // 1_000_000_000
    raise Block(lambda: 0 if k.clock.cycles >= deadline else None, wake_at=deadline)


def sys_getpid(k, p, *_):
    """getpid()."""
    return p.pid


def sys_exit(k, p, code, *_):
    """exit(code): the process ends; its parent can collect the code."""
    k.exit_process(p, code & 0xFF)
    raise Gone()


def sys_getrandom(k, p, buf, length, flags, *_):
    """getrandom(buf, len, flags): bytes from the kernel's seeded generator."""
    length = min(length, 256)
    copy_to_user(p.space, buf, k.random.randbytes(length))
    return length


def sys_spawn(k, p, name_ptr, argument_ptr, *_):
    """spawn(name, argument): start program `name` (from /bin) as a child, with an
    optional argument string (0 for none) that it finds in rdi; returns its pid."""
    name = string_from_user(p.space, name_ptr, 64).decode("utf-8", "replace")
    argument = string_from_user(p.space, argument_ptr, 256) if argument_ptr else b""
    operation = exec_operation(k, p, name, argument)
    if operation is None:
        return -errno.ENOENT
    return authorize(k, operation, lambda: k.spawn_program(name, parent=p, argument=argument))


def sys_pipe_create(k, p, name_ptr, *_):
    """pipe_create(name): create the named pipe `name`; returns an fd on it."""
    name = string_from_user(p.space, name_ptr, 256).decode("utf-8", "replace")
    if not name.startswith(PIPE_PREFIX) or len(name) == len(PIPE_PREFIX):
        return -errno.EINVAL

    def create():
        if not p.can_open_file:
            return -errno.EMFILE
        pipe = k.pipes.create(name, p.pid)
        if pipe is None:
            return -errno.EEXIST
        return p.add_file(k.pipes.open_end(pipe))
    return authorize(k, pipe_operation(k, p, name), create)


def sys_waitpid(k, p, pid, *_):
    """waitpid(pid): wait for child `pid` (-1: any child) to end; returns its exit
    code, 128 + the trap vector if it was killed, -ECHILD if there is none."""
    pid = pid - (1 << 64) if pid >= 1 << 63 else pid
    children = [c for c in k.processes.values() if c.parent == p.pid and not c.reaped
                and (pid == -1 or c.pid == pid)]
    if not children:
        return -errno.ECHILD

    def ready():
        for child in children:
            if child.state == ZOMBIE:
                child.reaped = True
                return wait_status(child)
        return None
    result = ready()
    if result is None:
        raise Block(ready)
    return result


def wait_status(child) -> int:
    """What waitpid reports for a child that ended: its exit code (0..255), or 128 plus
    what killed it -- the trap vector (0..31 at ring 3), 9 for a kill without a trap.
    Always one byte, as a Unix wait status."""
    if child.exit_code is not None:
        return child.exit_code & 0xFF
    return min(128 + (child.trap.vector if child.trap else 9), 255)


def sys_boot_complete(k, p, *_):
    """boot_complete(): init says the system is up (clears the boot-status flag).
    Only init (the first user process) may say so."""
    if p.pid != k.init_pid:
        return -errno.EPERM
    k.mark_boot_complete(p)
    return 0


SYSCALLS: dict[int, tuple[str, Callable]] = {
    0: ("read", sys_read),
    1: ("write", sys_write),
    2: ("open", sys_open),
    3: ("close", sys_close),
    24: ("sched_yield", sys_sched_yield),
    35: ("nanosleep", sys_nanosleep),
    39: ("getpid", sys_getpid),
    60: ("exit", sys_exit),
    318: ("getrandom", sys_getrandom),
    500: ("spawn", sys_spawn),
    501: ("pipe_create", sys_pipe_create),
    502: ("waitpid", sys_waitpid),
    503: ("boot_complete", sys_boot_complete),
    **SENSOR_SYSCALLS,          # 510..515: the sensor driver's kernel API (kernel/sensor/kapi.py)
    **PROCESS_SYSCALLS,         # 505 process_list, 516 ps_wait_created (kernel/proclist.py)
    **CAPABILITY_SYSCALLS,      # 520 cap_invoke (kernel/capabilities.py)
}
SYSCALL_NUMBERS = {name: number for number, (name, _) in SYSCALLS.items()}


def dispatch(kernel, process, number: int, args: tuple[int, ...]) -> int:
    """Run system call `number` for `process`; returns the value for rax."""
    entry = SYSCALLS.get(number)
    if entry is None:
        return -errno.ENOSYS
    if process.domain is not None and not process.domain.permits_syscall(number):
        return -errno.EPERM         # no ambient authority (a capability holder: capabilities.py)
    try:
        return entry[1](kernel, process, *args)
    except BadUserPointer:
        return -errno.EFAULT
    except Block as block:
        process.state = BLOCKED
        process.wait_until = _faults_as_efault(block.ready)
        process.wake_at = block.wake_at
        kernel.cpu.request_stop()
        return 0


def _faults_as_efault(ready):
    """A blocked call's ready(), as the scheduler polls it: a bad user pointer met
    when the call finally completes is -EFAULT, as it would have been at once."""
    def poll():
        try:
            return ready()
        except BadUserPointer:
            return -errno.EFAULT
    return poll
