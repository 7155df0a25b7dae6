"""Boot time: a full `simpleos boot` in a fresh interpreter vs importing the engines.

Subprocesses (CPU time, user + system, from spawn to exit -- and wall time,
reported after; same interpreter as this one):

  boot       python -m simpleos boot --machine DIR --json   (the CLI end to end:
             interpreter start, imports, disk mount, kernel boot, init and its
             services, JSON verdict)
  engines    python -c "import unicorn, capstone, keystone"  (the floor: what
             any unicorn-based tool pays before doing anything)
  engines without capstone
             python -c "import unicorn, keystone"            (a boot never imports
             capstone, so this is the stricter floor)
  python     python -c pass                                  (interpreter start)
  cli import python -c "from simpleos.cli import build_parser; build_parser()"
             (every SimpleOS module the CLI loads, nothing run)

and in this process: simpleos.system.boot() on the same, existing machine
directory (what a test or the REPL pays per boot once everything is imported).
DIR is prepared by one untimed boot first (disk created, assembler cache
warm), so every timed boot is a warm boot of an existing machine.

Bytecode: the subprocesses run with PYTHONDONTWRITEBYTECODE removed and
PYTHONPYCACHEPREFIX pointing into the benchmark's scratch directory, so after
one untimed run of each command every module (SimpleOS's and the engines')
loads from a warm .pyc, as in a normal install, without writing __pycache__
into the checkout. If this process inherited PYTHONDONTWRITEBYTECODE=1 (as in
some sandboxes and CI images, where a checkout has no .pyc at all), one more
row times the boot with the environment as inherited: SimpleOS compiled from
source on every start.
Aim: boot <= 1.3x engines (both with warm bytecode); the ratio against the
baseline without capstone is reported too.
"""
from __future__ import annotations

import os
import subprocess
import sys

from _common import (REPO, Ratio, Result, Row, child_times, interleave, median, paired_ratio, scratch, timed,
                     warm_bytecode_env)


_WALL: dict[tuple, list[float]] = {}      # wall seconds of each command's runs, besides their CPU time


def _subprocess(arguments: list[str], env: dict[str, str] | None = None) -> float:
    """Run `python ARGUMENTS`; its CPU time (user + system), the wall time kept in _WALL."""
    def call():
        completed = subprocess.run([sys.executable, *arguments], cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
        if completed.returncode != 0:
            raise RuntimeError(f"{arguments} failed ({completed.returncode}): {completed.stderr.decode()[-500:]}")
    cpu, wall = child_times(call)
    _WALL.setdefault((tuple(arguments), env is None), []).append(wall)
    return cpu


def run(quick: bool = False) -> Result:
    """Median CPU and wall times; `quick` does 3 repetitions instead of 15."""
    from simpleos import system

    repetitions = 3 if quick else 15
    machine = scratch() / "boot-machine"
    boot_command = ["-m", "simpleos", "boot", "--machine", str(machine), "--json"]
    engines_command = ["-c", "import unicorn, capstone, keystone"]
    no_capstone_command = ["-c", "import unicorn, keystone"]
    cli_command = ["-c", "from simpleos.cli import build_parser; build_parser()"]
    warm = warm_bytecode_env()
    for command in (boot_command, engines_command, no_capstone_command, cli_command):
        _subprocess(command, warm)  # disk created, assembler cache and .pyc files warm
    inherited_no_bytecode = os.environ.get("PYTHONDONTWRITEBYTECODE", "") not in ("", "0")

    def in_process() -> float:
        session = None

        def boot():
            nonlocal session
            session = system.boot(machine)
        seconds = timed(boot)
        try:
            if session.boots[-1].outcome != "up":
                raise RuntimeError(f"in-process boot did not come up: {session.boots[-1].to_json()}")
        finally:
            session.close()
        return seconds

    in_process()  # first boot in this process: lazy imports, assembler memory cache
    variants = {
        "boot": lambda: _subprocess(boot_command, warm),
        "engines": lambda: _subprocess(engines_command, warm),
        "no_capstone": lambda: _subprocess(no_capstone_command, warm),
        "python": lambda: _subprocess(["-c", "pass"], warm),
        "cli": lambda: _subprocess(cli_command, warm),
        "inprocess": in_process,
    }
    if inherited_no_bytecode:
        variants["cold"] = lambda: _subprocess(boot_command)
    samples = interleave(variants, repetitions)
    labels = {
        "boot": "`simpleos boot --json` (subprocess, warm .pyc)",
        "engines": "`import unicorn, capstone, keystone` (subprocess, warm .pyc)",
        "no_capstone": "`import unicorn, keystone` (subprocess, warm .pyc)",
        "python": "`python -c pass` (subprocess)",
        "cli": "SimpleOS CLI imports only (subprocess, warm .pyc)",
        "inprocess": "system.boot() in process (warm)",
        "cold": "`simpleos boot --json`, PYTHONDONTWRITEBYTECODE=1 as inherited",
    }
    m = {name: median(values) for name, values in samples.items()}
    result = Result("boot", "Boot time (CLI subprocess vs importing the engines; CPU time, wall time after)")
    result.rows = [Row(labels[name], m[name], "s", values) for name, values in samples.items()]
    boot_wall, engines_wall = _WALL[(tuple(boot_command), False)][1:], _WALL[(tuple(engines_command), False)][1:]
    result.rows += [Row("wall time: `simpleos boot --json`", median(boot_wall), "s", boot_wall),
                    Row("wall time: `import unicorn, capstone, keystone`", median(engines_wall), "s", engines_wall)]
    result.ratios = [
        Ratio("simpleos boot / import engines", paired_ratio(samples["boot"], samples["engines"]), "<= 1.3"),
        Ratio("simpleos boot / import unicorn, keystone", paired_ratio(samples["boot"], samples["no_capstone"]),
              note="the baseline without capstone, which a boot never imports"),
        Ratio("(boot - python) / (engines - python)",
              paired_ratio([b - p for b, p in zip(samples["boot"], samples["python"])],
                           [e - p for e, p in zip(samples["engines"], samples["python"])]),
              note="interpreter start-up taken out of both"),
        Ratio("wall time: simpleos boot / import engines", paired_ratio(boot_wall, engines_wall),
              note="includes waiting for the disk (3 fsyncs) and for the other core's users"),
    ]
    if inherited_no_bytecode:
        result.ratios.append(Ratio("boot without .pyc / import engines",
                                   paired_ratio(samples["cold"], samples["engines"]),
                                   note="SimpleOS compiled from source every start"))
    result.notes.append(f"median of {repetitions} interleaved repetitions; of the boot's {m['boot'] * 1000:.0f} ms: "
                        f"interpreter {m['python'] * 1000:.0f} ms, CLI imports {m['cli'] * 1000:.0f} ms "
                        f"(engines alone {m['engines'] * 1000:.0f} ms), in-process boot {m['inprocess'] * 1000:.1f} ms")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
