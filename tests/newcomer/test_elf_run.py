"""`simpleos run` of a gcc-built static ELF: its output, its exit code, its segments' rights
(enforced by the MMU), and the stack Linux would give it (argc, argv, envp, auxv)."""
from __future__ import annotations

import json

from cliutil import run_cli
from newcomer_elf import gcc

from simpleos.system import run_program

RAW_SYSCALLS = r"""
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
static const char message[] = "raw ELF: hello from a freestanding C program\n";
char zeroed[8192];          /* .bss: must arrive zero-filled */
int counter = 41;           /* .data: must arrive with its value, and be writable */

void _start(void)
{
    sys3(1, 1, (long)message, sizeof message - 1);
    for (unsigned i = 0; i < sizeof zeroed; i++)
        if (zeroed[i] != 0)
            sys3(60, 99, 0, 0);
    counter++;
    sys3(60, counter, 0, 0);
}
"""


def test_a_static_elf_prints_its_output_and_exits_with_its_code(tmp_path, capsys):
    program = gcc(tmp_path, RAW_SYSCALLS, "raw")
    code, out, err = run_cli(capsys, "run", program, "--machine", str(tmp_path / "m"), "--fresh")
    assert code == 0 and err == ""
    assert out == "raw ELF: hello from a freestanding C program\nraw exited with code 42; kernel up\n"
    code, out, _ = run_cli(capsys, "run", program, "--machine", str(tmp_path / "m"), "--json")
    assert json.loads(out) == {"program": "raw", "fate": "exited", "exit_code": 42, "trap": None, "kernel": "up"}


WRITE_TEXT = r"""
void _start(void) { *(volatile char *)(void *)_start = 0; for (;;) ; }
"""
WRITE_RODATA = r"""
static const char constant[64] = "read only";
void _start(void) { *(volatile char *)constant = 'X'; for (;;) ; }
"""
EXECUTE_DATA = r"""
unsigned char code[16] = { 0xc3 };      /* ret, in .data */
void _start(void) { ((void (*)(void))code)(); for (;;) ; }
"""


def _trap_of(tmp_path, source, name):
    program = gcc(tmp_path, source, name)
    session, result = run_program(program, tmp_path / "m", fresh=True)
    session.close()
    return result


def test_segments_are_mapped_with_their_rights_text_rodata_data(tmp_path):
    text = _trap_of(tmp_path, WRITE_TEXT, "wtext")
    assert (text.fate, text.trap.name, text.trap.error_code) == ("killed", "#PF", 0x7)   # user write, protection
    rodata = _trap_of(tmp_path, WRITE_RODATA, "wrodata")
    assert (rodata.trap.name, rodata.trap.error_code) == ("#PF", 0x7)
    data = _trap_of(tmp_path, EXECUTE_DATA, "xdata")
    assert (data.trap.name, data.trap.error_code) == ("#PF", 0x15)                      # user fetch, protection


STACK_CHECK = r"""
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_ENTRY 9
#define AT_RANDOM 25
#define AT_EXECFN 31
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
static int same(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }
void _start(void);
__asm__(".globl _start\n_start:\n    mov %rsp, %rdi\n    call check\n");

void check(long *sp)
{
    long failed = 0, argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    long *aux = (long *)(envp + 1);
    long pagesz = 0, entry = 0, phnum = 0, *phdr = 0;
    unsigned char *random = 0;
    char *execfn = 0;
    if (((long)sp & 15) != 0) failed |= 1;                 /* rsp 16-byte aligned */
    if (argc != 1 || !same(argv[0], "stack") || argv[1] != 0) failed |= 2;
    if (envp[0] != 0) failed |= 4;                          /* no environment */
    for (; aux[0] != AT_NULL; aux += 2) {
        if (aux[0] == AT_PAGESZ) pagesz = aux[1];
        if (aux[0] == AT_ENTRY) entry = aux[1];
        if (aux[0] == AT_PHNUM) phnum = aux[1];
        if (aux[0] == AT_PHDR) phdr = (long *)aux[1];
        if (aux[0] == AT_RANDOM) random = (unsigned char *)aux[1];
        if (aux[0] == AT_EXECFN) execfn = (char *)aux[1];
    }
    if (pagesz != 4096) failed |= 8;
    if (entry != (long)_start) failed |= 16;
    if (phnum < 1 || phdr == 0 || (*(unsigned *)phdr != 1 && *(unsigned *)phdr != 6)) failed |= 32;
    if (random == 0) failed |= 64;
    if (execfn == 0 || !same(execfn, "stack")) failed |= 128;
    char hex[33];
    for (int i = 0; i < 16 && random; i++) {
        hex[2 * i] = "0123456789abcdef"[random[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[random[i] & 15];
    }
    hex[32] = '\n';
    sys3(1, 1, (long)hex, 33);
    sys3(60, failed, 0, 0);
}
"""


def test_the_initial_stack_is_laid_out_as_linux_does(tmp_path, capsys):
    program = gcc(tmp_path, STACK_CHECK, "stack")
    randoms = []
    for seed in ("0", "0", "1"):
        code, out, _ = run_cli(capsys, "run", program, "--machine", str(tmp_path / "m"), "--fresh", "--seed", seed)
        first, fate = out.splitlines()
        assert fate == "stack exited with code 0; kernel up", out     # every check passed
        randoms.append(first)
    assert randoms[0] == randoms[1] != randoms[2]     # AT_RANDOM comes from the seeded generator
    assert len(randoms[0]) == 32
