"""One boot of one machine, and the report of it: what the CLI and tests call.

Ties a machine home (directory + disk) to a Machine and a Kernel, boots it,
and turns the outcome into the record of docs/cli.md (JSON fields included).
Policy stays in kernel/; this file only assembles the pieces and reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .home import create_disk, disk_image_path, machine_dir, open_disk
from .kernel.bugcheck import Bugcheck
from .kernel.install import default_files, install_defaults, is_installed
from .kernel.kernel import Kernel
from .kernel.proc import ZOMBIE
from .machine.machine import Machine


@dataclass
class BootRecord:
    """One boot: how it ended."""
    index: int
    mode: str = "normal"                 # "normal" | "safe"
    outcome: str = "up"                  # "up" | "bugcheck"
    bugcheck: Bugcheck | None = None
    dump: str | None = None

    def to_json(self) -> dict:
        """The boot object of docs/cli.md."""
        bugcheck = None
        if self.bugcheck is not None:
            b = self.bugcheck
            bugcheck = {"code": b.code, "name": b.name, "module": b.module, "offset": b.offset,
                        "address": b.address if b.address is not None else b.parameters[0], "rip": b.rip}
        return {"index": self.index, "mode": self.mode, "outcome": self.outcome, "bugcheck": bugcheck,
                "dump": self.dump}


@dataclass
class Session:
    """A powered-on machine with its kernel, on a machine home."""
    home: Path
    machine: Machine
    kernel: Kernel
    fs: object
    boots: list[BootRecord] = field(default_factory=list)

    def close(self) -> None:
        """Detach the disk."""
        self.fs.close()


def open_home(directory: str | Path | None, fresh: bool = False):
    """The machine directory and its mounted disk (new or --fresh: shipped defaults)."""
    home = machine_dir(str(directory) if directory else None)
    if fresh or not disk_image_path(home).exists():
        fs = create_disk(home)
        install_defaults(fs)
    else:
        fs = open_disk(home)
        if not is_installed(fs):  # made empty by an early `push`: install around what is there
            for path, content in default_files().items():
                if not fs.exists(path):
                    fs.write_file(path, content, parents=True)
    return home, fs


def paint_bugcheck(kernel: Kernel, bugcheck: Bugcheck) -> None:
    """Show the stop on the console."""
    kernel.log(f"{bugcheck.headline()}")
    kernel.log(f"*** {bugcheck.where()} -- the machine has stopped (bugcheck)")


def boot(directory=None, *, fresh: bool = False, seed: int = 0,
         echo: Callable[[str], None] | None = None) -> Session:
    """Power on and boot once; the session's last BootRecord says how it ended."""
    home, fs = open_home(directory, fresh)
    machine = Machine(echo=echo)
    kernel = Kernel(machine, seed=seed, fs=fs)
    session = Session(home, machine, kernel, fs)
    record = BootRecord(index=1)
    try:
        kernel.boot()
    except Bugcheck as bugcheck:
        paint_bugcheck(kernel, bugcheck)
        record.outcome, record.bugcheck = "bugcheck", bugcheck
    session.boots.append(record)
    return session


@dataclass
class RunResult:
    """What became of a program started with `simpleos run`, and of the kernel."""
    program: str
    fate: str                     # "exited" | "killed"
    exit_code: int | None
    trap: object
    kernel: str                   # "up" | "bugcheck"

    def to_json(self) -> dict:
        """The run object of docs/cli.md."""
        trap = None
        if self.trap is not None:
            trap = {"vector": self.trap.vector, "name": self.trap.name, "rip": self.trap.rip,
                    "address": self.trap.address}
        return {"program": self.program, "fate": self.fate, "exit_code": self.exit_code, "trap": trap,
                "kernel": self.kernel}


def run_program(path: str, directory=None, *, fresh: bool = False, seed: int = 0,
                echo: Callable[[str], None] | None = None) -> tuple[Session, RunResult]:
    """Boot, start `path` as a ring-3 process, run until idle, report."""
    from .assembler import read_source  # noqa: F401  (fail early on a missing file)
    from .kernel.kernel import assemble_user_program
    image = assemble_user_program(path)   # bad input fails before anything boots
    session = boot(directory, fresh=fresh, seed=seed, echo=echo)
    kernel = session.kernel
    name = Path(path).stem
    if session.boots[-1].outcome != "up":
        return session, RunResult(name, "killed", None, None, "bugcheck")
    process = kernel.spawn(image, name)
    kernel.log(f"run: started {name} as pid {process.pid} (ring 3)")
    try:
        kernel.run()
    except Bugcheck as bugcheck:
        paint_bugcheck(kernel, bugcheck)
        session.boots[-1].outcome, session.boots[-1].bugcheck = "bugcheck", bugcheck
        fate = process.fate or "killed"
        return session, RunResult(name, fate, process.exit_code, process.trap, "bugcheck")
    if process.state != ZOMBIE:
        kernel.kill(process, reason="still running when the machine went idle")
    return session, RunResult(name, process.fate, process.exit_code, process.trap, "up")
