"""The kernel's side of the security sensor: load it, feed it events, take its verdicts.

The sensor driver itself is guest code (drivers/sensor/sensor.asm). Here the
kernel: reads the channel files from /drivers/sensor/ on the disk and hands
them over on request; queues events and blocks the process that caused one
until a verdict arrives; honours "deny"; and, when the sensor is gone, lets
events pass unexamined (fail-open) or refuses them (fail-closed), as the
isolation model says. Nothing here judges content: the sensor does.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ..channel import ChannelFormatError, parse
from ..channel import abi_validate
from ..machine.clock import CYCLES_PER_SECOND
from ..machine.paging import USER
from . import costs, errno
from .drivers import assemble_driver, bind_imports, driver_size, read_manifest
from .events import VERDICT_ALLOW, VERDICT_DENY, VERDICT_NAMES, VERDICT_NOTIFY, SensorEvent, encode
from .install import SENSOR_DIR
from .usercopy import copy_to_user, string_from_user
from .vm import TEXT, map_fresh_pages

KAPI_USER_BASE = 0x00007FF000000000     # where ring-3 drivers find the kapi stubs (like a vDSO)


@dataclass
class SensorStats:
    """What the sensor did this boot (JSON `sensor` of docs/cli.md)."""
    crashes: int = 0
    restarts: int = 0
    quarantined: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    detections: int = 0
    denials: int = 0
    events: int = 0                  # AUTH events (a verdict is awaited)
    notifications: int = 0           # NOTIFY messages (process exits)
    unexamined: int = 0


class SensorHost:
    """The loaded sensor driver, its content and its event queue."""

    def __init__(self, kernel, model, build: str = "original") -> None:
        self.kernel = kernel
        self.model = model
        self.build = build
        self.manifest = read_manifest("sensor")
        self.process = None
        self.queue: deque[SensorEvent] = deque()
        self.current: SensorEvent | None = None
        self.content: list[tuple[str, bytes]] = []
        self.stats = SensorStats()
        self._sequence = 0
        self.down_since = 0
        self.downtime_cycles = 0
        self.last_crash_file: str | None = None
        self.first_failure_at: int | None = None   # clock when the sensor first died
        self.back_up_at: int | None = None         # clock of its latest restart

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

    # --- loading ---------------------------------------------------------------------

    def read_content(self) -> None:
        """The channel files on the disk, in name order; log what each one is."""
        self.content = []
        fs = self.kernel.fs
        if fs is None or not fs.is_dir(SENSOR_DIR):
            return
        for entry in fs.listdir(SENSOR_DIR):
            if entry.is_dir or not entry.name.endswith(".sys"):
                continue
            data = fs.read_file(f"{SENSOR_DIR}/{entry.name}")
            self.kernel.log(f"content: {entry.name}: {describe_content(data)}")
            if self.model.verify_content:
                problems = verify(data)
                if problems:
                    if entry.name not in self.stats.rejected:
                        self.stats.rejected.append(entry.name)
                    self.kernel.log(f"verifier: rejected {entry.name}: {problems[0]}; previous content stays")
                    continue
            self.content.append((entry.name, data))

    def load(self) -> None:
        """Place the driver where the model says and start it."""
        self.read_content()
        ring = self.model.place(self.manifest)
        if ring == 0:
            self.process = self._start_in_kernel()
        else:
            self.process = self._start_as_process()
        self.process.argument = ""
        where = "ring 0, kernel thread" if ring == 0 else "ring 3, own address space"
        self.kernel.log(f"driver: {self.manifest.name} ({self.build} build) started as pid {self.process.pid} ({where})")

    def _start_in_kernel(self):
        """Ring 0: assemble into the kernel half; imports point at the kernel's stubs."""
        kernel = self.kernel
        base = kernel.kernel_space.reserve(driver_size(self.manifest, self.build))
        image = bind_imports(assemble_driver(self.manifest, self.build, base), kernel.kapi_kernel)
        kernel.install_kernel_image(self.manifest.name, image)
        return kernel.start_kernel_thread(image, "sensor")

    def _start_as_process(self):
        """Ring 3: its own address space, with the kapi stubs mapped in like a vDSO."""
        from ..machine.layout import USER_TEXT_BASE
        kernel = self.kernel
        kapi = kernel.kapi_user
        image = bind_imports(assemble_driver(self.manifest, self.build, USER_TEXT_BASE), kapi)
        process = kernel.spawn(image, "sensor")
        process.frames += map_fresh_pages(process.space, KAPI_USER_BASE, len(kapi.code), USER | TEXT, kapi.code)
        return process

    # --- events ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Is there a live sensor to ask?"""
        return self.process is not None and self.process.alive

    def submit(self, event: SensorEvent) -> None:
        """Queue an AUTH event for the sensor (or decide it now if the sensor is down)."""
        event.sequence = self._sequence
        self._sequence += 1
        self.stats.events += 1
        if not self.running:
            self._pass_unexamined(event)
            return
        self.queue.append(event)

    def notify(self, event: SensorEvent) -> None:
        """Queue a NOTIFY message: the sensor hears of it, nobody waits for an answer,
        and a sensor that is down simply misses it."""
        if not self.running:
            return
        event.sequence = self._sequence
        self._sequence += 1
        self.stats.notifications += 1
        self.queue.append(event)

    def _pass_unexamined(self, event: SensorEvent) -> None:
        """No sensor: the model's fail-open / fail-closed policy decides."""
        if event.notify:
            return  # nothing was waiting for it
        event.examined = False
        event.verdict = VERDICT_ALLOW if self.model.fail_open else VERDICT_DENY
        self.stats.unexamined += 1

    def note_last_words(self) -> None:
        """Before a dying sensor's memory is freed: which channel file was it interpreting?"""
        space = self.process.space

        def read(address: int, length: int):
            physical = space.translate(address)
            return self.kernel.machine.memory.read(physical, length) if physical is not None else None
        self.last_crash_file = self.crash_context(read)["file"]

    def on_death(self, trap, reason: str = "crash") -> None:
        """The sensor process died: pending events get the fail policy; the model decides what next."""
        self.stats.crashes += 1
        for event in ([self.current] if self.current else []) + list(self.queue):
            self._pass_unexamined(event)
        self.current = None
        self.queue.clear()
        self.down_since = self.kernel.clock.cycles
        if self.first_failure_at is None:
            self.first_failure_at = self.down_since
        self.model.on_sensor_death(self.kernel, self, reason, getattr(self, "last_crash_file", None))

    def restart(self) -> None:
        """Start the sensor again (after a crash), on the content now on the disk."""
        if self.running:
            return
        self.stats.restarts += 1
        self.read_content()
        self.process = self._start_as_process()   # only ring-3 sensors can be restarted
        self.downtime_cycles += self.kernel.clock.cycles - self.down_since
        self.back_up_at = self.kernel.clock.cycles
        self.kernel.log(f"driver: {self.manifest.name} restarted as pid {self.process.pid} "
                        f"(restart {self.stats.restarts})")

    def deadline_for(self, event) -> int | None:
        """When an AUTH event must have its verdict (None: no deadline in this model)."""
        if self.model.auth_deadline_ms is None or not self.running:
            return None
        return self.kernel.clock.cycles + int(self.model.auth_deadline_ms * CYCLES_PER_SECOND / 1000)

    def missed_deadline(self, event) -> None:
        """No verdict in time: the event gets the fail policy; the silent sensor is killed."""
        self.kernel.log(f"sensor: no verdict for {event.kind} {event.subject} within "
                        f"{self.model.auth_deadline_ms:g} ms (AUTH deadline)")
        if self.current is event:
            self.current = None
        if event in self.queue:
            self.queue.remove(event)
        self._pass_unexamined(event)
        if self.running:
            self.kernel.kill(self.process, reason="missed its AUTH deadline", death_reason="no-reply")

    # --- the kernel API the driver imports (system calls 510..513) ---------------------

    def wait_event(self, process, buffer: int, size: int, *_):
        """kapi wait_event: the next event into `buffer`; blocks while there is none."""
        from .syscalls import Block

        def ready():
            if not self.queue:
                return None
            event = self.queue.popleft()
            message = encode(event)
            if len(message) > size:
                event.verdict = VERDICT_ALLOW
                return -errno.EINVAL
            copy_to_user(process.space, buffer, message, ring=process.ring)
            self.current = None if event.notify else event
            self._charge_message(process)
            return event.template_type
        result = ready()
        if result is None:
            raise Block(ready)
        return result

    def verdict(self, process, verdict: int, rule: int, handle: int, *_) -> int:
        """kapi verdict: the answer for the current event."""
        event = self.current
        if event is None or handle != event.handle or verdict not in VERDICT_NAMES:
            return -errno.EINVAL
        self.current = None
        event.verdict, event.rule = verdict, rule
        self._charge_message(process)
        if verdict == VERDICT_DENY:
            self.stats.denials += 1
            self.kernel.log(f"sensor: DENY {event.kind} {event.subject} (rule {rule})")
        elif verdict == VERDICT_NOTIFY:
            self.stats.detections += 1
            self.kernel.log(f"sensor: detection: {event.kind} {event.subject} matched rule {rule} (notify)")
        return 0

    def get_content(self, process, index: int, buffer: int, size: int, *_) -> int:
        """kapi get_content: channel file number `index`, 0 when there are no more."""
        if index >= len(self.content):
            return 0
        name, data = self.content[index]
        if len(data) > size:
            self.kernel.log(f"sensor: {name} does not fit its content area; skipped")
            return -errno.EINVAL
        copy_to_user(process.space, buffer, data, ring=process.ring)
        return len(data)

    def log(self, process, message: int, *_) -> int:
        """kapi log: a line from the driver on the console."""
        text = string_from_user(process.space, message, 200, ring=process.ring).decode("utf-8", "replace")
        self.kernel.log(text)
        return 0

    def _charge_message(self, process) -> None:
        """Ring 3: each event and verdict is an IPC message between address spaces."""
        if process.ring == 3:
            self.kernel.clock.advance(costs.IPC_MESSAGE)

    def crash_context(self, read) -> dict:
        """What the sensor was interpreting (for crash dumps): file, rule, criterion.
        `read(address, length)` reads the sensor's memory."""
        image = self.process.image if self.process else None
        context = {"driver": self.manifest.name, "build": self.build, "ring": self.process.ring if self.process else None,
                   "content": [name for name, _ in self.content], "file": None, "instance": None,
                   "criterion": None, "inputs_address": None}
        if image is None or "current_instance" not in image.symbols:
            return context
        def word(symbol):
            raw = read(image.symbols[symbol], 8)
            return int.from_bytes(raw, "little") if raw else None
        instance, criterion = word("current_instance"), word("current_criterion")
        context["inputs_address"] = image.symbols.get("ipc_context")
        if instance:
            context["file"] = self.content_file_at(instance, image.symbols["content_area"])
            raw = read(instance, 4)
            context["instance"] = int.from_bytes(raw, "little") if raw else None
            context["criterion"] = criterion
        return context

    def content_file_at(self, address: int, content_base: int) -> str | None:
        """Which channel file a sensor address inside its content area belongs to
        (files are laid out in order, 8-byte aligned; ones with a bad header are skipped)."""
        offset = address - content_base
        position = 0
        for name, data in self.content:
            if len(data) < 40 or data[:4] != b"\xaa\xaa\xaa\xaa" or data[4:6] != b"\x01\x00":
                continue
            if position <= offset < position + len(data):
                return name
            position = (position + len(data) + 7) & ~7
        return None


def verify(data: bytes) -> list[str]:
    """ABI validation before the sensor may see a file (the verified model): problems, or []."""
    try:
        return abi_validate(parse(data))
    except ChannelFormatError as reason:
        return [f"malformed: {reason}"]


def describe_content(data: bytes) -> str:
    """'channel 291, IPC, version 31, 3 rules' or why it is malformed."""
    try:
        cf = parse(data)
    except ChannelFormatError as reason:
        return f"malformed ({reason}); handed to the sensor as is"
    kind = {1: "PROCESS", 2: "IPC"}.get(cf.template_type, f"type {cf.template_type}")
    return f"channel {cf.channel}, {kind}, version {cf.content_version}, {cf.instance_count} rules"
