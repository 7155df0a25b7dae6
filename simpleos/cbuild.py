"""Building C programs for SimpleOS with the host's gcc: `simpleos cc prog.c -o prog`.

A SimpleOS program is a static, non-PIE x86-64 ELF executable with no C
library but the small one in userland/libc/ (crt0.S, syscalls.c, string.c,
printf.c, simpleos.h), which is compiled into every program. The flags say
why each is there (COMPILE_FLAGS). The compiler is $CC, else gcc, else cc,
else x86_64-linux-gnu-gcc -- the first one that exists and targets x86-64;
without one, a one-line error says what to install. The result is checked
with the kernel's own ELF loader, so a program that builds also loads.
Host-side only: this never boots a machine.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput
from .kernel.elfload import ElfImage, load_elf
from .kernel.loader import USER_DEFINES
from .resources import userland_dir

RUNTIME = ("crt0.S", "syscalls.c", "string.c", "printf.c")
COMPILER_NAMES = ("gcc", "cc", "x86_64-linux-gnu-gcc")
COMPILE_SECONDS = 120
OPTIMIZATION_LEVELS = ("0", "1", "2", "s", "g")

COMPILE_FLAGS = [
    "-std=gnu11", "-g", "-Wall",
    "-ffreestanding",                       # no hosted C library: only what userland/libc/ provides
    "-nostdinc",                            # so no glibc headers either (the compiler's own are added)
    "-fno-pie", "-no-pie", "-static",       # one fixed address, no loader: what SimpleOS runs
    "-nostdlib",                            # link only our crt0 and runtime (and libgcc)
    "-mgeneral-regs-only",                  # no SSE: the kernel never enables it (CR4.OSFXSR clear)
    "-fno-stack-protector",                 # the canary lives in %fs, which nobody sets up
    "-fcf-protection=none",                 # no endbr64 landing pads
    "-fno-asynchronous-unwind-tables",      # unwind info goes to .debug_frame (for debuggers) only
    "-fno-tree-loop-distribute-patterns",   # never turn memset's own loop into a call to memset
    "-ffunction-sections", "-fdata-sections",
    "-Wl,--gc-sections",                    # drop the runtime functions a program does not use
    "-Wl,--build-id=none", "-Wl,-z,noexecstack", "-Wl,-z,norelro",
]


@dataclass(frozen=True)
class Compiler:
    """A C compiler found on the host: its path and the target it builds for."""
    path: str
    target: str                             # `gcc -dumpmachine`, e.g. x86_64-linux-gnu


def find_compiler() -> Compiler:
    """$CC, gcc, cc or x86_64-linux-gnu-gcc -- the first that exists and targets x86-64."""
    names = ([os.environ["CC"]] if os.environ.get("CC") else []) + list(COMPILER_NAMES)
    others = []
    for name in names:
        path = shutil.which(name)
        if path is None:
            continue
        target = _ask(path, "-dumpmachine")
        if target.startswith("x86_64"):
            return Compiler(path, target)
        others.append(f"{name} ({target or 'target unknown'})")
    if others:
        raise BadInput(f"cc: no C compiler for x86-64: found {', '.join(others)}; "
                       f"install gcc for x86-64 (on Debian/Ubuntu: apt-get install gcc-x86-64-linux-gnu)")
    raise BadInput("cc: no C compiler found (looked for $CC, gcc, cc, x86_64-linux-gnu-gcc); "
                   "install gcc (on Debian/Ubuntu: apt-get install gcc)")


def _ask(compiler: str, flag: str) -> str:
    """One line the compiler prints for `flag` ('' if it cannot say)."""
    try:
        done = subprocess.run([compiler, flag], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def command_line(compiler: Compiler, sources: list[Path], output: Path, optimization: str = "g") -> list[str]:
    """The full gcc command that builds `sources` (with the runtime) into `output`."""
    runtime = userland_dir() / "libc"
    own_headers = _ask(compiler.path, "-print-file-name=include")      # stddef.h, stdint.h, stdarg.h
    defines = [f"-D{name}={number}" for name, number in sorted(USER_DEFINES.items())]
    return ([compiler.path, f"-O{optimization}"] + COMPILE_FLAGS
            + (["-isystem", own_headers] if own_headers else []) + ["-I", str(runtime)] + defines
            + ["-o", str(output)] + [str(runtime / name) for name in RUNTIME] + [str(s) for s in sources]
            + ["-lgcc"])


def build(sources: list[str], output: str, optimization: str = "g", echo=None) -> ElfImage:
    """Compile and link `sources` into the executable `output`; the loaded image (checked).
    The compiler's own diagnostics go to stderr as it prints them; a failure is BadInput."""
    if optimization not in OPTIMIZATION_LEVELS:
        raise BadInput(f"cc: -O{optimization}: use one of -O{', -O'.join(OPTIMIZATION_LEVELS)}")
    paths = [Path(source) for source in sources]
    for path in paths:
        if not path.is_file():
            raise BadInput(f"no such file: {path}")
        if path.suffix not in (".c", ".S", ".s"):
            raise BadInput(f"cc: {path}: not a C source (.c) or assembly for gcc (.S)")
    compiler = find_compiler()
    command = command_line(compiler, paths, Path(output), optimization)
    if echo is not None:
        echo(" ".join(command))
    try:
        done = subprocess.run(command, timeout=COMPILE_SECONDS)
    except subprocess.TimeoutExpired:
        raise BadInput(f"cc: {Path(compiler.path).name} took longer than {COMPILE_SECONDS} s; stopped") from None
    except OSError as error:
        raise BadInput(f"cc: cannot run {compiler.path}: {error.strerror or error}") from None
    if done.returncode != 0:
        raise BadInput(f"cc: {Path(compiler.path).name} could not build {output} (exit {done.returncode}; "
                       f"its messages are above)")
    try:
        return load_elf(Path(output).read_bytes(), Path(output).name)
    except OSError as error:
        raise BadInput(f"cc: cannot read {output}: {error.strerror or error}") from None
