"""The kernel's side of the security sensor: load it where the model says, feed it, notice its death.

The sensor driver itself is guest code (drivers/sensor/sensor.asm). The
manager:
  - reads the channel files from /drivers/sensor/ on the disk; each content
    update must first be admitted by the isolation model (`admit`);
  - starts the driver at the placement the model chooses (`place`);
  - is the kernel's security gate: an operation about to happen (a program
    start, a pipe creation) becomes an AUTH event, and the caller waits for
    the verdict -- with a deadline, if the model sets one;
  - hears of process exits (NOTIFY messages) through the kernel's exit hooks;
  - when the sensor process dies, applies the fail policy to the events in
    flight and asks the model what to do (`on_sensor_death`);
  - settles a missed AUTH deadline by the model's deadline-miss mode (Apple's
    es_set_deadline_miss_mode: kill the slow sensor, or deny and let it live);
  - records the processes the sensor reports hidden (its cross-view scan).
Nothing here judges content (the sensor does) or decides about recovery
(the model does, through kernel/services.py).
"""
from __future__ import annotations


from ...channel import ChannelFormatError, parse
from ...machine.clock import CYCLES_PER_SECOND
from ...record import dataclass
from ..content import UPDATE_LOG
from ..drivers import read_manifest
from ..install import SENSOR_DIR
from .crashinfo import crash_context, reader_for
from .events import VERDICT_ALLOW, VERDICT_DENY, SensorEvent, event_for, exit_notification
from .queue import EventQueue
from .stats import SensorStats

CRASH, NO_REPLY = "crash", "no-reply"     # why a sensor died, in MINIX's words
KILL, FAIL_CLOSED = "kill", "fail-closed"  # deadline-miss modes (ES_DEADLINE_MISS_MODE_KILL, _FAIL_CLOSED)
VIEWS = {1: "the run queue", 2: "the address-space roots"}   # where a hidden process was found


@dataclass(frozen=True)
class ContentFile:
    """One channel file as the model sees it when asked to admit it."""
    name: str
    data: bytes


@dataclass(frozen=True)
class SensorDeath:
    """What a model is told when the sensor process dies."""
    cause: str                 # CRASH (a trap or a limit) or NO_REPLY (a missed AUTH deadline)
    file: str | None           # the channel file it was interpreting, if known
    trap: object               # the Trap that killed it, if any
    crashes: int               # deaths so far this boot, this one included
    restarts: int              # restarts so far this boot


class SensorManager:
    """The loaded sensor driver, its content and its events."""

    def __init__(self, kernel, model, build: str = "original", switches: dict | None = None) -> None:
        self.kernel = kernel
        self.model = model
        self.build = build
        self.manifest = read_manifest("sensor").with_switches(**(switches or {}))
        self.placement = None
        self.process = None
        self.queue = EventQueue()
        self.content: list[tuple[str, bytes]] = []
        self.stats = SensorStats()
        self.down_since = 0
        self.downtime_cycles = 0
        self.last_crash_file: str | None = None
        self.first_failure_at: int | None = None   # clock when the sensor first died
        self.back_up_at: int | None = None         # clock of its latest restart

    def log(self, message: str) -> None:
        """A line in the kernel log."""
        self.kernel.log(message)

    # --- loading ---------------------------------------------------------------------

    def load(self) -> None:
        """Read the content, place the driver where the model says, start it, plug into the kernel."""
        self.read_content()
        self.placement = self.model.place(self.manifest)
        self._start()
        self.kernel.gate = self
        self.kernel.on_process_exiting.append(self._process_exiting)
        self.kernel.on_process_exited.append(self._process_exited)
        self.log(f"driver: {self.manifest.name} ({self.build} build) started as pid {self.process.pid} "
                 f"({self.placement.where})")

    def _start(self) -> None:
        self.process = self.placement.start(self.kernel, self.manifest, self.build, "sensor")
        self.process.argument = ""

    def read_content(self) -> None:
        """The channel files on the disk, in name order; log what each one is. A content
        update (a file named in the update log) is loaded only if the model admits it."""
        self.content = []
        fs = self.kernel.fs
        if fs is None or not fs.is_dir(SENSOR_DIR):
            return
        updates = set(fs.read_file(UPDATE_LOG).decode().split()) if fs.exists(UPDATE_LOG) else set()
        for entry in fs.listdir(SENSOR_DIR):
            if entry.is_dir or not entry.name.endswith(".sys"):
                continue
            data = fs.read_file(f"{SENSOR_DIR}/{entry.name}")
            self.log(f"content: {entry.name}: {describe_content(data)}")
            problems = self.model.admit(ContentFile(entry.name, data)) if entry.name in updates else []
            if problems:
                if entry.name not in self.stats.rejected:
                    self.stats.rejected.append(entry.name)
                self.log(f"{self.model.admission_log}: rejected {entry.name}: {problems[0]}; previous content stays")
                continue
            self.content.append((entry.name, data))

    def restart(self) -> None:
        """Start the sensor again (after it died), on the content now on the disk."""
        if self.running:
            return
        self.stats.restarts += 1
        self.read_content()
        self._start()
        self.downtime_cycles += self.kernel.clock.cycles - self.down_since
        self.back_up_at = self.kernel.clock.cycles
        self.log(f"driver: {self.manifest.name} restarted as pid {self.process.pid} (restart {self.stats.restarts})")

    # --- the security gate (Kernel.authorize) -------------------------------------------

    @property
    def running(self) -> bool:
        """Is there a live sensor to ask?"""
        return self.process is not None and self.process.alive

    def submit(self, operation) -> SensorEvent:
        """An operation is about to happen: its AUTH event, queued for the sensor (or decided
        at once by the fail policy if the sensor is down). The caller waits on the event."""
        event = event_for(operation)
        self.queue.number(event)
        self.stats.events += 1
        if not self.running:
            self._pass_unexamined(event)
            return event
        self.queue.put(event)
        event.submitted_at = self.kernel.clock.cycles
        if self.model.auth_deadline_ms is not None:
            event.deadline = self.kernel.clock.cycles + int(self.model.auth_deadline_ms * CYCLES_PER_SECOND / 1000)
        return event

    def expire(self, event: SensorEvent) -> None:
        """No verdict in time. Deadline-miss mode kill (the default): the event gets the fail
        policy and the silent sensor is killed. Mode fail-closed: the event is denied and the
        sensor lives (a verdict it gives later finds no event: -EINVAL)."""
        self.log(f"sensor: no verdict for {event.kind} {event.subject} within "
                 f"{self.model.auth_deadline_ms:g} ms (AUTH deadline)")
        self.queue.withdraw(event)
        self.stats.deadline_misses += 1
        if self.model.deadline_miss_mode == FAIL_CLOSED:
            event.verdict = VERDICT_DENY
            self.log(f"sensor: deadline-miss mode fail-closed: {event.kind} {event.subject} denied; the sensor lives")
            return
        self._pass_unexamined(event)
        if self.running:
            self.kernel.kill(self.process, message="missed its AUTH deadline", cause=NO_REPLY)

    def notify(self, event: SensorEvent) -> None:
        """Queue a NOTIFY message: the sensor hears of it, nobody waits for an answer,
        and a sensor that is down simply misses it."""
        if not self.running:
            return
        self.queue.number(event)
        self.stats.notifications += 1
        self.queue.put(event)

    def _pass_unexamined(self, event: SensorEvent) -> None:
        """No sensor to ask: the fail policy decides (fail-open allows, fail-closed denies)."""
        if event.notify:
            return  # nothing was waiting for it
        event.verdict = VERDICT_ALLOW if self.kernel.fail_open else VERDICT_DENY
        self.stats.unexamined += 1

    def report_hidden(self, pid: int, view: int) -> None:
        """The sensor's cross-view scan found `pid` in a scheduler view but not on the process
        list: log it once, and keep its name (from the kernel's own records) for the JSON."""
        process = self.kernel.processes.get(pid)
        name = process.name if process is not None else f"pid {pid}"
        if name in self.stats.hidden_found:
            return
        self.stats.hidden_found.append(name)
        self.log(f"sensor: cross-view: pid {pid} {name} is in {VIEWS.get(view, f'view {view}')} "
                 f"but not on the process list: a hidden process")

    def charge_message(self) -> None:
        """An event or verdict crossed between the kernel and the sensor: its placement's cost."""
        self.kernel.clock.advance(self.placement.message_cost)

    # --- life and death ------------------------------------------------------------------

    def _process_exiting(self, process) -> None:
        """Kernel hook, before a process's memory is freed: a NOTIFY for others' exits;
        for the sensor itself, remember which channel file it was interpreting."""
        if process is self.process:
            read = reader_for(process.space, self.kernel.machine.memory)
            self.last_crash_file = crash_context(self, read)["file"]
        else:
            self.notify(exit_notification(process))

    def _process_exited(self, process) -> None:
        """Kernel hook, after a process is gone: if it was the sensor, the death protocol."""
        if process is not self.process:
            return
        self.stats.crashes += 1
        for event in self.queue.drain():
            self._pass_unexamined(event)
        self.down_since = self.kernel.clock.cycles
        if self.first_failure_at is None:
            self.first_failure_at = self.down_since
        death = SensorDeath(process.death_cause or CRASH, self.last_crash_file, process.trap,
                            self.stats.crashes, self.stats.restarts)
        self.model.on_sensor_death(death, self.kernel.services)

    def owns_module(self, module: str) -> bool:
        """Is `module` (a bugcheck's module name) this sensor's code?"""
        return module == self.manifest.name

    def crash_context(self, read) -> dict:
        """For a crash dump: what the sensor was interpreting (see crashinfo.py)."""
        return crash_context(self, read)

    def outage(self) -> tuple[int, int | None]:
        """(cycles the sensor was down, cycles from its first death to its last restart
        or None if it is still down) -- for `simpleos compare`."""
        down = self.downtime_cycles
        if self.process is not None and not self.process.alive:
            down += self.kernel.clock.cycles - self.down_since
            return down, None
        if self.first_failure_at is None:
            return 0, 0
        return down, self.back_up_at - self.first_failure_at


def describe_content(data: bytes) -> str:
    """'channel 291, IPC, version 31, 3 rules' or why it is malformed."""
    try:
        cf = parse(data)
    except ChannelFormatError as reason:
        return f"malformed ({reason}); handed to the sensor as is"
    kind = {1: "PROCESS", 2: "IPC"}.get(cf.template_type, f"type {cf.template_type}")
    return f"channel {cf.channel}, {kind}, version {cf.content_version}, {cf.instance_count} rules"
