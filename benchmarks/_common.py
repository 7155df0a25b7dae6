"""Shared helpers for the benchmarks: timing, medians, guest code, result records.

Every benchmark compares SimpleOS with bare unicorn measured in the same
process, interleaved repetition by repetition (the order of the variants
rotates each round), and reports the median of each variant; a ratio is the
median of the per-round ratios (see paired_ratio). Only ratios
measured in one run mean anything: absolute numbers move with the host.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_scratch: tempfile.TemporaryDirectory | None = None


def scratch() -> Path:
    """A private temporary directory for this benchmark process (removed at exit)."""
    global _scratch
    if _scratch is None:
        _scratch = tempfile.TemporaryDirectory(prefix="simpleos-bench-")
        # Keep the assembler cache and machine state out of the user's home,
        # for this process and for the subprocesses it starts.
        os.environ["XDG_CACHE_HOME"] = str(Path(_scratch.name) / "cache")
        os.environ["XDG_STATE_HOME"] = str(Path(_scratch.name) / "state")
    return Path(_scratch.name)


@dataclass
class Row:
    """One measured variant: its median and the spread of its repetitions."""
    label: str
    median: float
    unit: str
    samples: list[float]

    def to_json(self) -> dict:
        return {"label": self.label, "median": self.median, "unit": self.unit,
                "min": min(self.samples), "max": max(self.samples), "repetitions": len(self.samples)}


@dataclass
class Ratio:
    """A ratio of two medians, and the aim it is held against."""
    label: str
    value: float
    aim: str | None = None           # e.g. ">= 0.5" or "<= 1.5"
    note: str = ""

    @property
    def meets(self) -> bool | None:
        if self.aim is None:
            return None
        op, bound = self.aim.split()
        return self.value >= float(bound) if op == ">=" else self.value <= float(bound)

    def to_json(self) -> dict:
        return {"label": self.label, "value": self.value, "aim": self.aim, "meets": self.meets, "note": self.note}


@dataclass
class Result:
    """What one benchmark module reports."""
    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "rows": [r.to_json() for r in self.rows],
                "ratios": [r.to_json() for r in self.ratios], "notes": self.notes,
                "seconds": round(self.seconds, 2)}


def interleave(variants: dict[str, Callable[[], float]], repetitions: int) -> dict[str, list[float]]:
    """Run each variant once per round, rotating the order every round.
    Each variant returns one sample (seconds, or a rate); returns the samples."""
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repetitions):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(variants[name]())
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """Median of the per-round ratios. The two samples of one round ran back to
    back, so a slow spell on a shared host hits both and cancels out; this is
    steadier than the ratio of the two medians."""
    return statistics.median(a / b for a, b in zip(numerators, denominators))


def warm_bytecode_env() -> dict[str, str]:
    """This process's environment with a private, writable bytecode cache: PYTHONDONTWRITEBYTECODE
    dropped and PYTHONPYCACHEPREFIX in the scratch directory, so that a subprocess (and the
    workers it spawns) loads warm .pyc after its first run, as in a normal install, and writes
    nothing into the checkout."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch() / "pycache")
    return env


def timed(function: Callable[[], object]) -> float:
    """CPU time of this process during one call, in seconds. (Not wall time: the project
    machine has two cores shared with other people's test runs, and wall time then
    measures the neighbours as much as the code; everything measured in-process is
    CPU-bound and single-threaded.)"""
    start = time.process_time()
    function()
    return time.process_time() - start


def child_times(function: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds of the subprocesses `function` ran and waited for, wall seconds)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    function()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def assemble_bare(source: str, base: int) -> bytes:
    """Machine code for a bare-unicorn variant (keystone, no SimpleOS directives)."""
    from keystone import KS_ARCH_X86, KS_MODE_64, Ks
    encoding, _ = Ks(KS_ARCH_X86, KS_MODE_64).asm(source, base)
    return bytes(encoding)


def simpleos_kernel():
    """A started SimpleOS kernel with no init and no disk: the CPU in long mode
    with paging and the kernel half mapped, ready to spawn ring-3 programs."""
    from simpleos.isolation import model_named
    from simpleos.kernel.kernel import Kernel
    from simpleos.machine.machine import Machine
    kernel = Kernel(Machine(), model=model_named("monolithic"))
    kernel.start()
    return kernel


def user_image(source: str, name: str):
    """Assemble a ring-3 program exactly as the kernel does (SYS_* defined)."""
    from simpleos.assembler import assemble
    from simpleos.kernel.loader import USER_DEFINES
    from simpleos.machine.layout import USER_TEXT_BASE
    return assemble(source, USER_TEXT_BASE, name, USER_DEFINES)


class unlimited_cpu_time:
    """Context manager: lift the kernel's RLIMIT_CPU (a module constant) for a long loop."""

    def __enter__(self):
        from simpleos.kernel import kernel
        self._saved = kernel.CPU_TIME_LIMIT
        kernel.CPU_TIME_LIMIT = 1 << 62
        return self

    def __exit__(self, *exc):
        from simpleos.kernel import kernel
        kernel.CPU_TIME_LIMIT = self._saved
        return False


def run_to_exit(kernel, image, name: str):
    """Spawn `image`, run the kernel until idle, return (process, seconds in kernel.run)."""
    process = kernel.spawn(image, name)
    seconds = timed(kernel.run)
    if process.fate != "exited" or process.exit_code != 0:
        raise RuntimeError(f"benchmark program {name} did not exit cleanly: {process.fate} "
                           f"{process.exit_code} {process.trap}")
    return process, seconds
