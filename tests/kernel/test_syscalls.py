"""System calls, exercised by small ring-3 programs run with `simpleos run` (run_program).

ABI (docs/syscalls.md): `syscall`, number in rax, arguments in rdi, rsi, rdx,
r10, r8, r9, result in rax, errors as negative errno. Most programs below report what they got
through their exit code: either exit(-rax) (so an error shows as its errno) or a check in asm
that exits 42 when everything was as expected and a distinct small code at the first surprise.
"""
from __future__ import annotations

import re

import pytest

from simpleos.kernel import errno
from simpleos.kernel.processes import MAX_PROCESSES
from simpleos.kernel.loader import USER_DEFINES
from simpleos.kernel.proc import BLOCKED, EXITED, ZOMBIE
from simpleos.kernel.syscalls import SYSCALL_NUMBERS
from simpleos.machine.clock import CYCLES_PER_SECOND

ALL_GOOD = 42


@pytest.fixture
def run_asm(tmp_path, run_machine_program):
    """run_asm(NAME, SOURCE, seed=0, machine="machine"): run `source` as NAME.asm after a
    boot; (session, result, process). The session is closed when the test ends."""
    def run_asm(name: str, source: str, seed: int = 0, machine: str = "machine"):
        program = tmp_path / f"{name}.asm"
        program.write_text(source)
        session, result = run_machine_program(str(program), tmp_path / machine, seed=seed)
        [process] = [p for p in session.kernel.processes.values() if p.name == name]
        assert result.kernel == "up"
        return session, result, process
    return run_asm


def errno_program(setup: str, data: str = "") -> str:
    """A program that makes one system call (set up by `setup`) and exits with -result."""
    return f"""
_start:
{setup}
    syscall
    neg rax                     ; exit code: -result, i.e. the errno of an error
    mov rdi, rax
    call exit
.include "lib.asm"
.data
{data}
"""


@pytest.fixture
def exit_code_of(run_asm):
    """exit_code_of(NAME, SOURCE): run a program that must exit normally; its exit code."""
    def exit_code_of(name: str, source: str) -> int:
        session, result, _ = run_asm(name, source)
        assert (result.fate, result.trap) == ("exited", None), session.machine.console.transcript()
        return result.exit_code
    return exit_code_of


def started_at(session, name: str) -> int:
    """The virtual time (cycles) of the kernel's 'run: started NAME' line."""
    for line in session.machine.console.lines:
        if f"run: started {name} " in line:
            seconds = float(line[1:line.index("]")])
            return round(seconds * CYCLES_PER_SECOND)
    raise AssertionError(f"no 'run: started {name}' line")


# --- getpid ----------------------------------------------------------------------------------------

GETPID = """
_start:
    mov rax, SYS_GETPID
    syscall
    mov rdi, rax                ; exit code = our pid
    call exit
.include "lib.asm"
"""


def test_getpid_returns_the_pid_the_kernel_gave(run_asm):
    session, result, process = run_asm("whoami", GETPID)
    assert result.fate == "exited"
    assert result.exit_code == process.pid
    assert f"run: started whoami as pid {process.pid} (ring 3)" in session.machine.console.transcript()
    assert process.pid not in (p.pid for p in session.kernel.processes.values() if p is not process)


# --- nanosleep: virtual time ------------------------------------------------------------------------

def sleep_program(seconds: int, nanoseconds: int) -> str:
    return errno_program("""
    lea rdi, [rip + request]    ; struct timespec *
    xor rsi, rsi                ; no remainder wanted
    mov rax, SYS_NANOSLEEP""", f"""
.balign 8
request: .quad {seconds}, {nanoseconds}   ; {{ seconds, nanoseconds }}""")


def test_nanosleep_advances_virtual_time_without_using_the_cpu(run_asm):
    session, result, process = run_asm("sleeper", sleep_program(1, 500_000_000))
    assert (result.fate, result.exit_code) == ("exited", 0)
    start, end = started_at(session, "sleeper"), session.kernel.clock.cycles
    assert end - start >= 1_500_000_000, "slept at least 1.5 s of virtual time"
    assert end - start < 1_500_000_000 + 1_000_000, "and not much more (the machine was idle)"
    assert process.instructions < 100, "sleeping is not spinning"


def test_nanosleep_is_deterministic(run_asm):
    ends = []
    for machine in ("a", "b"):
        session, result, _ = run_asm("sleeper", sleep_program(0, 250_000), machine=machine)
        ends.append((session.kernel.clock.cycles, session.machine.console.transcript()))
    assert ends[0] == ends[1]


@pytest.mark.parametrize("seconds, nanoseconds", [(0, 1_000_000_000), (-1, 0), (0, -1)])
def test_nanosleep_rejects_a_malformed_timespec(exit_code_of, seconds, nanoseconds):
    assert exit_code_of("badsleep", sleep_program(seconds, nanoseconds)) == errno.EINVAL


def test_nanosleep_with_a_kernel_pointer_is_efault(exit_code_of):
    source = errno_program("""
    mov rdi, 0xffff800000001000 ; a kernel address as the timespec
    xor rsi, rsi
    mov rax, SYS_NANOSLEEP""")
    assert exit_code_of("sleepfault", source) == errno.EFAULT


# --- getrandom: seeded, deterministic ---------------------------------------------------------------

RANDOM = """
; getrandom(buffer, 16, 0), then print "random <32 hex digits>".
_start:
    lea rdi, [rip + buffer]
    mov rsi, 16
    xor rdx, rdx
    mov rax, SYS_GETRANDOM
    syscall
    cmp rax, 16                 ; all 16 bytes?
    jne .Lfail
    lea rsi, [rip + buffer]     ; rsi: next byte
    lea rdi, [rip + hex]        ; rdi: next two digits
    lea r8, [rip + digits]
    mov rcx, 16
.Lnext:
    movzx eax, byte ptr [rsi]
    mov edx, eax
    shr eax, 4                  ; high nibble
    and edx, 15                 ; low nibble
    mov al, byte ptr [r8 + rax]
    mov byte ptr [rdi], al
    mov dl, byte ptr [r8 + rdx]
    mov byte ptr [rdi + 1], dl
    inc rsi
    add rdi, 2
    dec rcx
    jnz .Lnext
    lea rdi, [rip + line]
    call print
    xor rdi, rdi
    call exit
.Lfail:
    mov rdi, 1
    call exit
.include "lib.asm"
.data
digits: .ascii "0123456789abcdef"
line:   .ascii "random "
hex:    .space 32
        .asciz "\\n"
buffer: .space 16
"""


def random_line(run_asm, seed: int, machine: str) -> str:
    """The 'random <32 hex digits>' line RANDOM prints, booted with `seed`."""
    session, result, _ = run_asm("dice", RANDOM, seed=seed, machine=machine)
    assert (result.fate, result.exit_code) == ("exited", 0)
    lines = [line for line in session.machine.console.lines if line.startswith("random ")]
    assert len(lines) == 1
    assert re.fullmatch(r"random [0-9a-f]{32}", lines[0])
    return lines[0]


def test_getrandom_is_deterministic_per_seed(run_asm):
    seed0 = random_line(run_asm, 0, "a")
    assert random_line(run_asm, 0, "b") == seed0
    seed1 = random_line(run_asm, 1, "c")
    assert seed1 != seed0
    assert random_line(run_asm, 1, "d") == seed1
    assert seed0 != "random " + "0" * 32


def test_getrandom_into_read_only_text_is_efault(exit_code_of):
    source = errno_program("""
    lea rdi, [rip + _start]     ; our own text: mapped, but not writable
    mov rsi, 16
    xor rdx, rdx
    mov rax, SYS_GETRANDOM""")
    assert exit_code_of("randtext", source) == errno.EFAULT


# --- spawn and waitpid ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["no_such_program", "lib", "../userland/hello", ""],
                         ids=["missing", "library", "path", "empty"])
def test_spawn_of_a_missing_program_is_enoent(exit_code_of, name):
    source = errno_program("""
    lea rdi, [rip + program]
    xor rsi, rsi                ; no argument
    mov rax, SYS_SPAWN""", f'program: .asciz "{name}"')
    assert exit_code_of("spawner", source) == errno.ENOENT


def test_spawn_with_a_kernel_pointer_is_efault(exit_code_of):
    source = errno_program("""
    mov rdi, 0xffff800000001000
    xor rsi, rsi
    mov rax, SYS_SPAWN""")
    assert exit_code_of("spawnfault", source) == errno.EFAULT


SPAWN_AND_WAIT = """
_start:
    lea rdi, [rip + hello]
    xor rsi, rsi
    mov rax, SYS_SPAWN          ; spawn("hello", 0) -> pid
    syscall
    test rax, rax
    js .Lspawn_failed
    mov r12, rax                ; r12 = the child's pid
    mov rdi, r12
    mov rax, SYS_WAITPID        ; waitpid(child) -> its exit code, 0
    syscall
    test rax, rax
    jnz .Lwrong_code
    mov rdi, r12
    mov rax, SYS_WAITPID        ; again: already collected -> -ECHILD
    syscall
    cmp rax, -10
    jne .Lwaited_twice
    mov rdi, -1
    mov rax, SYS_WAITPID        ; any child: there is none left -> -ECHILD
    syscall
    cmp rax, -10
    jne .Lwaited_any
    mov rdi, 42
    call exit
.Lspawn_failed:
    mov rdi, 1
    call exit
.Lwrong_code:
    mov rdi, 2
    call exit
.Lwaited_twice:
    mov rdi, 3
    call exit
.Lwaited_any:
    mov rdi, 4
    call exit
.include "lib.asm"
.data
hello: .asciz "hello"
"""


def test_spawn_and_waitpid(run_asm):
    session, result, process = run_asm("parent", SPAWN_AND_WAIT)
    assert (result.fate, result.exit_code) == ("exited", ALL_GOOD)
    children = [p for p in session.kernel.processes.values() if p.parent == process.pid]
    assert [(c.name, c.fate, c.exit_code, c.state, c.reaped) for c in children] == [
        ("hello", EXITED, 0, ZOMBIE, True)]
    assert session.machine.console.transcript().count("hello, world from ring 3") == 1  # ours (init starts no hello)


def test_waitpid_for_a_process_that_is_not_a_child_is_echild(exit_code_of):
    source = errno_program("""
    mov rdi, 1                  ; pid 1 exists, but it is not our child
    mov rax, SYS_WAITPID""")
    assert exit_code_of("orphan", source) == errno.ECHILD


# --- named pipes ----------------------------------------------------------------------------------

PIPE_ROUND_TRIP = """
_start:
    lea rdi, [rip + pipe_name]
    mov rax, SYS_PIPE_CREATE    ; the server end
    syscall
    test rax, rax
    js .Lcreate_failed
    mov r12, rax
    lea rdi, [rip + pipe_name]
    xor rsi, rsi
    mov rax, SYS_OPEN           ; a client end, by name
    syscall
    test rax, rax
    js .Lopen_failed
    mov r13, rax
    mov rdi, r13
    lea rsi, [rip + ping]
    mov rdx, 4
    mov rax, SYS_WRITE          ; client writes "ping"
    syscall
    cmp rax, 4
    jne .Lwrite_failed
    mov rdi, r12
    lea rsi, [rip + buffer]
    mov rdx, 64
    mov rax, SYS_READ           ; server reads it
    syscall
    cmp rax, 4
    jne .Lread_failed
    mov eax, dword ptr [rip + buffer]
    cmp eax, dword ptr [rip + ping]
    jne .Lwrong_bytes
    lea rdi, [rip + pipe_name]
    mov rax, SYS_PIPE_CREATE    ; the name is taken now
    syscall
    cmp rax, -17
    jne .Lcreated_twice
    mov rdi, 42
    call exit
.Lcreate_failed:
    mov rdi, 1
    call exit
.Lopen_failed:
    mov rdi, 2
    call exit
.Lwrite_failed:
    mov rdi, 3
    call exit
.Lread_failed:
    mov rdi, 4
    call exit
.Lwrong_bytes:
    mov rdi, 5
    call exit
.Lcreated_twice:
    mov rdi, 6
    call exit
.include "lib.asm"
.data
pipe_name: .asciz "\\\\\\\\.\\\\pipe\\\\syscall-test"
ping:      .ascii "ping"
buffer:    .space 64
"""


def test_pipe_create_open_write_read_in_one_process(run_asm):
    session, result, _ = run_asm("pipes", PIPE_ROUND_TRIP)
    assert (result.fate, result.exit_code) == ("exited", ALL_GOOD), session.machine.console.transcript()
    # Its ends were closed when it exited; the last close removes the name.
    assert session.kernel.pipes.lookup("\\\\.\\pipe\\syscall-test") is None


CLIENT = """
; A client of the spoolss service: open its pipe and send it a request.
_start:
    lea rdi, [rip + pipe_name]
    xor rsi, rsi
    mov rax, SYS_OPEN
    syscall
    test rax, rax
    js .Lopen_failed
    mov rdi, rax
    lea rsi, [rip + request]
    mov rdx, 13
    mov rax, SYS_WRITE
    syscall
    cmp rax, 13
    jne .Lwrite_failed
    mov rdi, 42
    call exit
.Lopen_failed:
    mov rdi, 1
    call exit
.Lwrite_failed:
    mov rdi, 2
    call exit
.include "lib.asm"
.data
pipe_name: .asciz "\\\\\\\\.\\\\pipe\\\\spoolss"
request:   .ascii "print a page!"
"""


def test_a_pipe_carries_bytes_to_another_process(run_asm):
    session, result, process = run_asm("client", CLIENT)
    assert (result.fate, result.exit_code) == ("exited", ALL_GOOD)
    pipe = session.kernel.pipes.lookup("\\\\.\\pipe\\spoolss")
    assert pipe is not None, "the service still owns its pipe after the client left"
    assert pipe.buffer == b"", "the service read the 13 bytes"
    server = session.kernel.processes[pipe.creator]
    assert server.name == "service" and server.state == BLOCKED, "and is waiting for the next request"
    assert pipe.ends_open == 1, "the client's end was closed at its exit"


def test_open_of_a_missing_pipe_is_enoent(exit_code_of):
    source = errno_program("""
    lea rdi, [rip + pipe_name]
    xor rsi, rsi
    mov rax, SYS_OPEN""", 'pipe_name: .asciz "\\\\\\\\.\\\\pipe\\\\nobody-here"')
    assert exit_code_of("nopipe", source) == errno.ENOENT


def test_pipe_create_without_the_pipe_prefix_is_einval(exit_code_of):
    source = errno_program("""
    lea rdi, [rip + pipe_name]
    mov rax, SYS_PIPE_CREATE""", 'pipe_name: .asciz "not-a-pipe"')
    assert exit_code_of("badpipe", source) == errno.EINVAL


# --- files and descriptors -----------------------------------------------------------------------

CAT_HOSTNAME = """
; open("/etc/hostname"), read it, write it to the console.
_start:
    lea rdi, [rip + path]
    xor rsi, rsi
    mov rax, SYS_OPEN
    syscall
    test rax, rax
    js .Lfail
    mov rdi, rax
    lea rsi, [rip + buffer]
    mov rdx, 64
    mov rax, SYS_READ
    syscall
    test rax, rax
    jle .Lfail
    mov rdx, rax
    mov rdi, 1
    lea rsi, [rip + buffer]
    mov rax, SYS_WRITE
    syscall
    xor rdi, rdi
    call exit
.Lfail:
    mov rdi, 1
    call exit
.include "lib.asm"
.data
path:   .asciz "/etc/hostname"
buffer: .space 64
"""


def test_open_and_read_a_file_of_the_disk(run_asm):
    session, result, _ = run_asm("cathost", CAT_HOSTNAME)
    assert (result.fate, result.exit_code) == ("exited", 0)
    assert "simpleos" in session.machine.console.lines


@pytest.mark.parametrize("setup, expected", [
    ("    mov rdi, 77\n    lea rsi, [rip + _start]\n    mov rdx, 1\n    mov rax, SYS_WRITE", errno.EBADF),
    ("    mov rdi, 77\n    mov rax, SYS_CLOSE", errno.EBADF),
    ("    xor rdi, rdi\n    lea rsi, [rsp - 64]\n    mov rdx, 16\n    mov rax, SYS_READ", 0),
    ("    lea rdi, [rip + _start]\n    xor rsi, rsi\n    mov rax, SYS_OPEN", errno.ENOENT),
], ids=["write-bad-fd", "close-bad-fd", "read-stdin-eof", "open-missing-file"])
def test_descriptor_errors(exit_code_of, setup, expected):
    assert exit_code_of("fds", errno_program(setup)) == expected


# --- numbers that are not system calls -------------------------------------------------------------

@pytest.mark.parametrize("number", [9999, 599, 0x7FFFFFFFFFFFFFFF, -1])  # 599: no lab adds it
def test_an_unknown_system_call_is_enosys(exit_code_of, number):
    assert number not in SYSCALL_NUMBERS.values()
    source = errno_program(f"    mov rax, {number}")
    assert exit_code_of("nosys", source) == errno.ENOSYS


@pytest.mark.parametrize("name", sorted(n for n in SYSCALL_NUMBERS if n.startswith("sensor_")))
def test_a_user_process_may_not_call_the_sensors_kernel_api(exit_code_of, name):
    """The sensor's own calls (its kapi imports) answer only the loaded sensor driver."""
    source = errno_program(f"""
    xor rdi, rdi
    xor rsi, rsi
    xor rdx, rdx
    mov rax, {SYSCALL_NUMBERS[name]}""")
    code = exit_code_of("impostor", source)
    assert code in (getattr(errno, "EPERM", 1), errno.ENOSYS)


def test_a_fork_bomb_is_contained(run_asm):
    """Spawning long-lived children without end hits the process limit (-EAGAIN); the
    machine stays up and the boot's services are untouched."""
    source = """
; Start `service` processes, each on its own pipe (bomb-AA, bomb-BA, ...), until refused.
_start:
    xor r12, r12                ; r12 counts successful spawns
.Lagain:
    mov rax, r12                ; two letters from r12: the pipe name's suffix
    and eax, 31
    add eax, 65
    mov byte ptr [rip + suffix], al
    mov rax, r12
    shr rax, 5
    and eax, 31
    add eax, 65
    mov byte ptr [rip + suffix + 1], al
    lea rdi, [rip + program]
    lea rsi, [rip + pipe_name]  ; argument: the pipe to serve
    mov rax, SYS_SPAWN
    syscall
    test rax, rax
    js .Lrefused
    inc r12
    cmp r12, 1000
    jb .Lagain
    mov rdi, 1                  ; never refused: no limit
    call exit
.Lrefused:
    neg rax
    mov rdi, rax                ; exit code: the errno of the refusal
    call exit
.include "lib.asm"
.data
program:   .asciz "service"
pipe_name: .ascii "\\\\\\\\.\\\\pipe\\\\bomb-"
suffix:    .asciz "AA"
"""
    session, result, _ = run_asm("bomb", source)
    assert (result.fate, result.exit_code, result.kernel) == ("exited", errno.EAGAIN, "up")
    alive = [p for p in session.kernel.processes.values() if p.alive]
    assert len(alive) == MAX_PROCESSES - 1, "the limit was reached; the bomb itself has exited"
    bomb_children = [p for p in alive if p.name == "service" and p.parent == result_pid(session, "bomb")]
    assert bomb_children and all(p.state == BLOCKED for p in bomb_children)
    assert len(session.kernel.pipes.pipes) >= 4 + len(bomb_children)
    assert session.kernel.pipes.lookup("\\\\.\\pipe\\bomb-AA") is not None
    for pipe in ("spoolss", "eventlog", "wkssvc", "lsarpc"):
        assert session.kernel.pipes.lookup(f"\\\\.\\pipe\\{pipe}") is not None


def result_pid(session, name: str) -> int:
    """The pid of the (only) process called `name`."""
    [process] = [p for p in session.kernel.processes.values() if p.name == name]
    return process.pid


def test_every_syscall_number_is_defined_for_programs():
    """Programs use SYS_<NAME>; the loader defines one constant per system call, with Linux
    numbers where Linux has the call and our own from 500."""
    for name, number in SYSCALL_NUMBERS.items():
        assert USER_DEFINES[f"SYS_{name.upper()}"] == number
    linux = {"read": 0, "write": 1, "open": 2, "close": 3, "sched_yield": 24, "nanosleep": 35,
             "getpid": 39, "exit": 60}
    assert {name: SYSCALL_NUMBERS[name] for name in linux} == linux
    assert all(SYSCALL_NUMBERS[name] >= 500 for name in ("spawn", "pipe_create", "waitpid"))
