"""The boot manager and the report: power on, boot (again and again), say how it went.

This is what the CLI, the debugger and the tests call. Per power-on it reads
the boot-status flag, picks normal or safe mode (or automatic repair), and
runs one Kernel on a fresh Machine over the persistent disk:
kernel.power_on() then kernel.run(). A Bugcheck unwinds to here and takes
the one crash path (bugcheck.stop_machine: the dump, then the blue
screen); then the machine resets -- up to --max-boots times. The result is
the record of docs/cli.md. Policy about faults stays in kernel/ and
isolation/; this file sequences boots.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .assembler import Image
from .channel import check_channel_file_name, read_host_file
from .errors import BadInput
from .home import create_disk, disk_image_path, machine_dir, open_disk
from .isolation import model_named
from .kernel import bootstatus
from .kernel.bugcheck import Bugcheck, stop_machine
from .kernel.content import deliver_update
from .kernel.install import default_files, install_defaults, is_installed
from .kernel.kernel import Kernel
from .kernel.loader import load_user_program
from .kernel.proc import ZOMBIE
from .kernel.recovery import RecoveryConsole
from .kernel.rootkit import rootkit_builds
from .kernel.sensor.manager import FAIL_CLOSED, KILL
from .machine.clock import CYCLES_PER_SECOND
from .machine.machine import Machine
from .record import dataclass, field

AUTO_REPAIR_AFTER = 2      # failed boots in a row before automatic repair starts
DEADLINE_MODES = (KILL, FAIL_CLOSED)


@dataclass
class BootOptions:
    """Everything `simpleos boot` can be told (docs/cli.md)."""
    machine: str | None = None
    fresh: bool = False
    model: str = "monolithic"
    channels: list[str] = field(default_factory=list)
    safe_mode: bool = False
    exec_commands: str | None = None
    interactive: bool = False
    max_boots: int = 3
    seed: int = 0
    sensor_build: str = "original"
    auto_repair: bool = False
    fail_closed: bool = False
    rootkit: str | None = None               # a rootkit.sys build to load as a second boot driver
    deadline_mode: str = "kill"              # a missed AUTH deadline: "kill" the sensor, or "fail-closed"
    sensor_delay_ms: float = 0.0             # the sensor waits this long before each verdict
    echo: Callable[[str], None] | None = None
    on_program_start: Callable[[object], None] | None = None   # run: told once the program is started


@dataclass
class BootRecord:
    """One boot: how it ended."""
    index: int
    mode: str = "normal"                 # "normal" | "safe"
    outcome: str = "up"                  # "up" | "bugcheck"
    bugcheck: Bugcheck | None = None
    dump: str | None = None
    virtual_ms: float = 0.0              # how long this boot ran, in virtual time

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
    """A machine home and what happened to it across this run's boots."""
    home: Path
    fs: object
    options: BootOptions
    boots: list[BootRecord] = field(default_factory=list)
    machine: Machine | None = None
    kernel: Kernel | None = None
    verdict: str = "up"
    manual_steps: int = 0
    last_console: RecoveryConsole | None = None
    program: object = None                                # the process `simpleos run` started
    program_cpu_limit: int | None = None                  # its CPU limit in cycles (None: the default)
    transcript: list[str] = field(default_factory=list)   # every boot's console, in order
    sensor_totals: dict = field(default_factory=lambda: {"crashes": 0, "restarts": 0, "quarantined": [],
                                                         "rejected": [], "detections": 0, "denials": 0,
                                                         "events": 0, "notifications": 0, "unexamined": 0,
                                                         "hidden_found": [], "deadline_misses": 0,
                                                         "examined": 0})
    latency_cycles: int = 0     # over the `examined` events: cycles from submission to verdict (compare)

    def to_json(self) -> dict:
        """The boot object of docs/cli.md."""
        return {"model": self.options.model, "verdict": self.verdict,
                "boots": [b.to_json() for b in self.boots], "sensor": dict(self.sensor_totals)}

    def close(self) -> None:
        """Power off the last machine and detach the disk. (What the session recorded --
        boots, transcript, the kernel's counters -- stays readable.)"""
        if self.machine is not None:
            self.machine.power_off()
        self.fs.close()

    def replace_machine(self, kernel) -> None:
        """A new boot's kernel and machine become the session's; the previous machine is
        powered off (a reset: its RAM is gone)."""
        if self.machine is not None:
            self.machine.power_off()
        self.machine, self.kernel = kernel.machine, kernel


def open_home(directory: str | Path | None, fresh: bool = False):
    """The machine directory and its mounted disk (new or --fresh: shipped defaults)."""
    home = machine_dir(None if directory is None else str(directory))
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


def boot(directory=None, *, fresh: bool = False, seed: int = 0, echo=None, **options) -> Session:
    """Power on and boot (see BootOptions); the Session says what happened."""
    return boot_with(BootOptions(machine=directory, fresh=fresh, seed=seed, echo=echo, **options))


def boot_with(options: BootOptions, program: Image | None = None, program_cpu_limit: int | None = None) -> Session:
    """Boot up to options.max_boots times, until the machine is up or left in safe mode.
    With `program`, start it as a ring-3 process once the machine is up (simpleos run),
    with a CPU limit of `program_cpu_limit` cycles if given."""
    model_named(options.model)  # unknown model: bad input before anything happens
    check_visibility_options(options)
    contents = read_channel_files(options.channels)  # bad --channel files: before the disk is touched
    home, fs = open_home(options.machine, options.fresh)
    session = Session(home, fs, options)
    session.program_cpu_limit = program_cpu_limit
    try:
        deliver_channel_files(fs, contents)
        _boot_loop(session, program)
    except BaseException:
        fs.close()
        raise
    return session


def check_visibility_options(options: BootOptions) -> None:
    """--rootkit, --deadline-mode and --sensor-delay: bad values are bad input, before anything boots."""
    if options.rootkit is not None and options.rootkit not in rootkit_builds():
        raise BadInput(f"no rootkit build {options.rootkit!r} (builds: {', '.join(rootkit_builds())})")
    if options.deadline_mode not in DEADLINE_MODES:
        raise BadInput(f"unknown deadline mode {options.deadline_mode!r} (modes: {', '.join(DEADLINE_MODES)})")
    if not 0 <= options.sensor_delay_ms <= 60_000:
        raise BadInput(f"--sensor-delay must be between 0 and 60000 ms, not {options.sensor_delay_ms}")


def read_channel_files(paths) -> list[tuple[str, bytes]]:
    """(name, bytes) of each --channel FILE, checked: a readable file ("no such file" first), then
    a channel file name."""
    contents = []
    for path in paths:
        data = read_host_file(path)
        check_channel_file_name(Path(path).name)
        contents.append((Path(path).name, data))
    return contents


def deliver_channel_files(fs, contents) -> None:
    """--channel FILE: the same as `simpleos push FILE`, one content update each."""
    for name, data in contents:
        deliver_update(fs, name, data)


def new_kernel(options: BootOptions, fs, *, safe_mode: bool = False, echo=None) -> Kernel:
    """A fresh Machine and a Kernel on it, configured as `options` say (not yet powered on)."""
    model = model_named(options.model, False if options.fail_closed else None)
    model.deadline_miss_mode = options.deadline_mode
    machine = Machine(echo=echo if echo is not None else options.echo)
    return Kernel(machine, model=model, seed=options.seed, fs=fs, sensor_build=options.sensor_build,
                  safe_mode=safe_mode, sensor_switches=sensor_switches(options), rootkit=options.rootkit)


def sensor_switches(options: BootOptions) -> dict[str, int]:
    """The sensor's [switches] this boot turns on: its cross-view scan with the rootkit scenario,
    its wait before each verdict with --sensor-delay."""
    switches = {}
    if options.rootkit is not None:
        switches["CROSS_VIEW"] = 1
    if options.sensor_delay_ms:
        switches["SENSOR_DELAY_US"] = int(round(options.sensor_delay_ms * 1000))
    return switches


def _boot_loop(session: Session, program: Image | None = None) -> None:
    """Boot until the machine is up, is left in safe mode, or failed --max-boots normal boots
    (safe-mode and repair boots do not count: they are the way out, not the loop)."""
    options = session.options
    safe_requested = options.safe_mode
    say = options.echo or (lambda line: None)
    failed_normal_boots = 0
    index = 0
    while failed_normal_boots < max(1, options.max_boots):
        index += 1
        failed = bootstatus.failed_boots(session.fs)
        if options.auto_repair and failed >= AUTO_REPAIR_AFTER:
            say(f"boot manager: {failed} boots in a row did not complete: starting automatic repair")
            record = _recovery_boot(session, index, automatic=True)
        elif safe_requested:
            record = _recovery_boot(session, index, automatic=False)
        else:
            record = _normal_boot(session, index, program)
        session.boots.append(record)
        if record.mode == "safe":
            console = session.last_console
            if not console.reboot_requested:
                session.verdict = "safe-mode"
                return
            safe_requested = False
            continue
        if record.outcome == "up":
            session.verdict = "up"
            return
        failed_normal_boots += 1
    session.verdict = "bootloop"


def _normal_boot(session: Session, index: int, program: Image | None = None) -> BootRecord:
    """One normal boot: power on, run until idle (then `program`, if any). A bugcheck takes
    the one crash path: dump and blue screen."""
    bootstatus.boot_started(session.fs)
    kernel = new_kernel(session.options, session.fs)
    session.replace_machine(kernel)
    record = BootRecord(index=index)
    try:
        kernel.power_on()
        kernel.run()
        if program is not None:
            _run_program(session, kernel, program)
    except Bugcheck as bugcheck:
        record.outcome, record.bugcheck = "bugcheck", bugcheck
        record.dump = stop_machine(kernel, bugcheck, index, session.home)
    record.virtual_ms = kernel.clock.milliseconds
    _add_sensor_totals(session, kernel)
    session.transcript.extend(kernel.console.lines)
    return record


def _run_program(session: Session, kernel: Kernel, image: Image) -> None:
    """`simpleos run`: start `image` as a ring-3 process on the machine that is up; run until idle."""
    process = session.program = start_program(kernel, image, session.program_cpu_limit)
    if session.options.on_program_start is not None:
        session.options.on_program_start(process)
    kernel.run()
    end_program_at_idle(kernel, process)


def start_program(kernel: Kernel, image: Image, cpu_limit: int | None = None):
    """Start the program of `simpleos run` (and `simpleos debug PROG`) on a machine that has
    gone idle after its boot: a ring-3 process named after the file, logged, with a CPU limit
    of `cpu_limit` cycles if given (else the kernel's default). Returns it."""
    name = Path(image.name).stem
    process = kernel.spawn(image, name)
    limit = ""
    if cpu_limit is not None:
        process.cpu_limit = cpu_limit
        limit = f", CPU limit {cpu_limit / CYCLES_PER_SECOND:g} s"
    kernel.log(f"run: started {name} as pid {process.pid} (ring 3{limit})")
    return process


def end_program_at_idle(kernel: Kernel, process) -> None:
    """The machine went idle again: a program still waiting for something is ended, so that
    every run reports a fate."""
    if process.state != ZOMBIE:
        kernel.kill(process, message="still running when the machine went idle")


def _recovery_boot(session: Session, index: int, automatic: bool) -> BootRecord:
    """Safe mode: no third-party drivers; the recovery console (or automatic repair)."""
    options = session.options
    kernel = new_kernel(options, session.fs, safe_mode=True)
    session.replace_machine(kernel)
    kernel.power_on()
    console = RecoveryConsole(session.fs, kernel.log)
    session.last_console = console
    console.banner()
    if automatic:
        name = console.automatic_repair()
        if name:
            session.sensor_totals["quarantined"].append(name)
    elif options.exec_commands is not None:
        console.run_script(options.exec_commands)
    elif options.interactive:
        console.interactive(_prompt_reader(options.echo))
    session.manual_steps += console.manual_steps + (0 if automatic else 1)
    if console.reboot_requested:
        kernel.log("recovery: rebooting")
        bootstatus.boot_completed(session.fs)  # a clean shutdown: the next boot starts fresh
    session.transcript.extend(kernel.console.lines)
    return BootRecord(index=index, mode="safe", outcome="up", virtual_ms=kernel.clock.milliseconds)


def _prompt_reader(echo):
    """input() with the prompt on the terminal."""
    def read(prompt: str) -> str:
        if echo is None:
            raise EOFError
        return input(prompt)
    return read


def _add_sensor_totals(session: Session, kernel: Kernel) -> None:
    if kernel.sensor is None:
        return
    stats, totals = kernel.sensor.stats, session.sensor_totals
    totals["crashes"] += stats.crashes
    totals["restarts"] += stats.restarts
    totals["detections"] += stats.detections
    totals["denials"] += stats.denials
    totals["events"] += stats.events
    totals["notifications"] += stats.notifications
    totals["unexamined"] += stats.unexamined
    totals["deadline_misses"] += stats.deadline_misses
    totals["examined"] += stats.examined
    session.latency_cycles += stats.latency_cycles
    totals["hidden_found"] += [h for h in stats.hidden_found if h not in totals["hidden_found"]]
    totals["quarantined"] += [q for q in stats.quarantined if q not in totals["quarantined"]]
    totals["rejected"] += [r for r in stats.rejected if r not in totals["rejected"]]


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
                echo: Callable[[str], None] | None = None, cpu_limit: float | None = None,
                **options) -> tuple[Session, RunResult]:
    """Boot once, start `path` (an assembly source or a static ELF executable) as a ring-3
    process, run until idle, report. `cpu_limit`: the virtual CPU seconds it may use
    (default: the kernel's CPU_TIME_LIMIT)."""
    image = load_user_program(path)   # bad input fails before anything boots
    options.setdefault("max_boots", 1)
    limit = None if cpu_limit is None else round(cpu_limit * CYCLES_PER_SECOND)
    session = boot_with(BootOptions(machine=directory, fresh=fresh, seed=seed, echo=echo, **options), program=image,
                        program_cpu_limit=limit)
    name = Path(path).stem
    process = session.program
    kernel_state = "up" if session.boots[-1].outcome == "up" else "bugcheck"
    if process is None:
        return session, RunResult(name, "killed", None, None, kernel_state)
    return session, RunResult(name, process.fate or "killed", process.exit_code, process.trap, kernel_state)
