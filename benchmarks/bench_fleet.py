"""The fleet simulator: 8.5 M machines in under a minute on one core, and what a class boot costs.

Four measurements:

  simulate   CPU time of simpleos.fleet.simulate() for the CF291 bad file over
             8.5 M machines (all-at-once, rings, canary) and over 10,000, with
             the machine classes already booted (cached): the event simulation
             alone, in this one process; and rings with the good file, the
             longest run (every ring out, watched minute by minute until the
             last workstation powers on, on Monday). Aim: under 60 s for 8.5 M.
  scaling    8.5 M / 10,000 machines: the fleet is cohorts, so the cost should
             not grow with the number of machines.
  class boot one machine class booted in SimpleOS (fresh disk, /etc/role, the
             bad file, a 3-boot bootloop), in process, against bare unicorn doing
             the hardware part of one power-on: a new engine, 64 MiB mapped, a
             small program run (the same ratio style as the other benchmarks).
  pool       wall time of `simpleos fleet compare` as a subprocess with --workers 1 and 2: 24
             class boots (4 models x 3 roles, with and without the update), and
             48 with two sensor builds. Each CLI process boots its classes anew.

The pool's subprocesses get a private PYTHONPYCACHEPREFIX (and PYTHONDONTWRITEBYTECODE
removed), like bench_boot's, and one untimed pool run writes their .pyc first.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _common import (REPO, Ratio, Result, Row, assemble_bare, child_times, interleave, median, paired_ratio,
                     timed, warm_bytecode_env)

BAD = Path(__file__).resolve().parents[1] / "channel_files" / "C-00000291-bad.sys"
GOOD = BAD.with_name("C-00000291-good.sys")
BIG, SMALL = 8_500_000, 10_000
LOOP = "mov rcx, 200\nagain:\nadd rax, rcx\ndec rcx\njnz again\nhlt\n"


def _simulate(machines: int, policy: str, channel: Path = BAD) -> float:
    """Seconds for one simulation with every class cached."""
    from simpleos.fleet import simulate
    return timed(lambda: simulate(str(channel), machines=machines, policy=policy, workers=1))


def _class_boot() -> float:
    """Seconds to boot one machine class of the fleet (a monolithic server in a bootloop)."""
    from simpleos.fleet.classes import BootTask, MachineClass, boot_class
    task = BootTask(MachineClass("monolithic", "original", "server"), BAD.name, BAD.read_bytes(), 0, False)

    def boot():
        """One class boot, checked."""
        if boot_class(task)["effect"] != "bootloop":
            raise RuntimeError("the bad file should bootloop a monolithic server")
    return timed(boot)


def _bare_power_on() -> float:
    """Seconds for bare unicorn: a new engine, 64 MiB of RAM mapped, a 600-instruction loop run."""
    from unicorn import UC_ARCH_X86, UC_MODE_64, Uc
    code = assemble_bare(LOOP, 0x1000)

    def power_on():
        """One bare engine, mapped and run."""
        engine = Uc(UC_ARCH_X86, UC_MODE_64)
        engine.mem_map(0, 64 << 20)
        engine.mem_write(0x1000, code)
        engine.emu_start(0x1000, 0x1000 + len(code) - 1)
    return timed(power_on)


def _compare_cli(workers: int, builds: str) -> float:
    """Wall seconds for `python -m simpleos fleet compare` as a subprocess: every class booted, then 12
    runs (wall time: the pool's point is to use both cores; timed() is this process's CPU time)."""
    command = [sys.executable, "-m", "simpleos", "fleet", "compare", "--channel", str(BAD), "--json",
               "--workers", str(workers), "--builds", builds]

    def call():
        """One CLI run, checked."""
        finished = subprocess.run(command, capture_output=True, cwd=REPO, env=warm_bytecode_env())
        if finished.returncode != 0:
            raise RuntimeError(f"fleet compare failed: {finished.stderr[-300:]}")
    return child_times(call)[1]


def run(quick: bool = False) -> Result:
    """Simulation time at 8.5 M and 10,000 machines, a class boot against bare unicorn, the pool."""
    repetitions = 3 if quick else 5
    _simulate(SMALL, "all-at-once")                                       # boot and cache the classes, untimed
    _simulate(SMALL, "rings", GOOD)
    policies = ["all-at-once", "rings", "canary"]
    variants = {f"{policy}, {machines:,}": (lambda m=machines, p=policy: _simulate(m, p))
                for policy in policies for machines in (BIG, SMALL)}
    variants.update({f"rings, good content, {machines:,}": (lambda m=machines: _simulate(m, "rings", GOOD))
                     for machines in (BIG, SMALL)})
    sims = interleave(variants, repetitions)
    boots = interleave({"class boot": _class_boot, "bare": _bare_power_on}, repetitions * 2)
    _compare_cli(2, "original")                                           # write every process's .pyc, untimed
    pool = interleave({f"{classes} classes, {workers} worker{'s' if workers > 1 else ''}":
                       (lambda w=workers, b=builds: _compare_cli(w, b))
                       for classes, builds in ((24, "original"), (48, "original=0.5,fixed=0.5"))
                       for workers in (1, 2)}, 1 if quick else 3)
    result = Result("fleet", "Fleet simulator: 8.5 M machines on one core, and the class boots behind it")
    result.rows = [Row(f"simulate {label} machines (classes cached)", median(values), "s", values)
                   for label, values in sims.items()]
    result.rows += [Row("boot one machine class (fresh disk, CF291, 3-boot bootloop)", median(boots["class boot"]),
                        "s", boots["class boot"]),
                    Row("bare unicorn: new engine + 64 MiB + 600 instructions", median(boots["bare"]), "s",
                        boots["bare"])]
    result.rows += [Row(f"`fleet compare` CLI, {label}", median(values), "s", values)
                    for label, values in pool.items()]
    big = f"all-at-once, {BIG:,}"
    result.ratios = [Ratio(f"simulate {BIG:,} machines, all-at-once: CPU seconds", median(sims[big]), aim="<= 60")]
    result.ratios += [Ratio(f"{policy}: {BIG:,} / {SMALL:,} machines", paired_ratio(sims[f"{policy}, {BIG:,}"],
                                                                                    sims[f"{policy}, {SMALL:,}"]),
                            note="cohorts: the cost does not grow with machines")
                      for policy in policies + ["rings, good content"]]
    result.ratios += [Ratio("one class boot / bare unicorn power-on", paired_ratio(boots["class boot"], boots["bare"])),
                      Ratio("fleet compare, 24 classes: 2 workers / 1 worker",
                            paired_ratio(pool["24 classes, 2 workers"], pool["24 classes, 1 worker"]),
                            note=f"{os.cpu_count()} CPUs; worker start-up included"),
                      Ratio("fleet compare, 48 classes: 2 workers / 1 worker",
                            paired_ratio(pool["48 classes, 2 workers"], pool["48 classes, 1 worker"]),
                            note=f"{os.cpu_count()} CPUs; worker start-up included")]
    result.notes.append(f"{repetitions} interleaved rounds for the simulations, {repetitions * 2} for the boots")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
