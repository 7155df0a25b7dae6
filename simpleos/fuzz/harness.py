"""The fuzzing harness: the real sensor driver on a machine that is reset, not rebooted, per input.

Built once: a CPU in long mode with the kernel half (kernel/vm.py KernelSpace),
the kernel's kapi stubs and the sensor (drivers/sensor, the chosen build)
assembled and bound by the kernel's own loader (kernel/drivers.py), laid out
in the kernel image window in the order a boot uses, and started at ring 0 as
a boot does. It runs real sensor code until the sensor asks for its first
channel file (get_content(0)); there the machine is snapshotted (registers,
and the sensor's data and stack pages: machine/snapshot.py).

One execution: restore the pages the last run dirtied and the registers;
answer that get_content(0) with the input; let the sensor run -- its real
load_content, event loop, integration code and content interpreter -- while
a small system-call hook plays the kernel's part of kapi: no more files,
then the workload's events (workload.py) one at a time, verdicts taken,
log lines counted. Only the events of the template type the file's header
names are delivered: `interpret` skips every file whose template type is not
the event's before reading anything else of it, so the other events cannot
behave differently (each would only cost two kapi calls). A run ends when
the sensor has given its verdict on the last event ("survived"), when the
CPU raises an exception (a Trap from the emulated MMU or decoder: "crash"),
or when the sensor runs RING0_WATCHDOG instructions without waiting for an
event, the budget after which a boot bugchecks with DPC_WATCHDOG_VIOLATION
("hang").

Decides nothing about inputs or coverage (campaign.py, coverage.py) and does
not depend on the kernel's scheduler, SensorHost or boot code.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..assembler import Image, assemble
from ..kernel import errno
from ..kernel.drivers import assemble_driver, bind_imports, read_manifest
from ..kernel.kernel import RING0_WATCHDOG
from ..kernel.loader import USER_DEFINES
from ..kernel.vm import DATA, TEXT, KernelSpace
from ..machine.cpu import CPU, SliceEnd
from ..machine.edges import EdgeRecorder
from ..machine.hostcall import HostCall
from ..machine.snapshot import Snapshot
from ..machine.layout import PAGE_SIZE
from ..machine.trap import Trap
from ..resources import kernel_asm_dir
from .workload import WorkloadEvent, boot_workload

SYS_WAIT_EVENT, SYS_VERDICT, SYS_GET_CONTENT, SYS_LOG = 510, 511, 512, 513
STACK_SIZE = 16 * PAGE_SIZE          # as a kernel thread's stack
KERNEL_MODULE = "kernel"             # the module name the kernel gives its own code (kapi) in bugchecks

EDGE_SLOTS = 1 << 12                 # the sensor has some 70 blocks: 4,096 edge slots rarely collide
# In fuzzing mode the per-instruction counter is off and runs are bounded in blocks instead:
# RING0_WATCHDOG / 64 blocks. No block of the sensor's runs 64 instructions (its longest
# straight line is under 20), so any run of RING0_WATCHDOG instructions spends that budget
# first; it is then run again with the exact counter, and only that run can say HANG.
HANG_BLOCK_DIVISOR = 64
SURVIVED, CRASH, HANG = "survived", "crash", "hang"


@dataclass
class Outcome:
    """What one execution did."""
    kind: str                        # SURVIVED | CRASH | HANG
    trap: Trap | None                # the exception, for CRASH
    rip: int                         # where the sensor was at the end (0 for SURVIVED)
    event: int                       # index in the workload of the event being judged (-1: none yet)
    length: int                      # instructions retired -- or blocks, in fuzzing mode
    in_blocks: bool                  # True when `length` counts blocks
    verdicts: tuple[tuple[int, int], ...]   # (verdict, rule) per judged event
    logs: int                        # kapi log calls (e.g. the fixed build's bounds-check message)
    registers: dict[str, int] | None = None  # with detail=True, for CRASH and HANG
    instance_address: int | None = None      # [current_instance] at the end, with detail=True
    criterion: int | None = None             # [current_criterion] at the end, with detail=True

    @property
    def crashed(self) -> bool:
        """A fault or a hang: the sensor did not come back to wait for the next event."""
        return self.kind != SURVIVED


class SensorHarness:
    """One machine with the sensor loaded and snapshotted at its first content request."""

    def __init__(self, build: str = "original", workload: tuple[WorkloadEvent, ...] | None = None,
                 hang_budget: int = RING0_WATCHDOG) -> None:
        self.build = build
        self.workload = workload if workload is not None else boot_workload()
        self.hang_budget = hang_budget
        self.manifest = read_manifest("sensor")
        self._events_of_type = {kind: tuple(i for i, item in enumerate(self.workload)
                                            if item.event.template_type == kind)
                                for kind in {item.event.template_type for item in self.workload}}
        self.cpu = CPU()
        self.kernel_space = KernelSpace(self.cpu.memory)
        self.cpu.enable_long_mode(self.kernel_space.space)
        ring0 = self.cpu.save_context()
        self.kapi, self.image = self._load_kernel_window()
        stack = self.kernel_space.reserve(STACK_SIZE)
        self.kernel_space.map_new(stack, STACK_SIZE, DATA)
        start = self.cpu.derive_context(ring0, {"rip": self.image.entry, "rsp": stack + STACK_SIZE - 8})
        self.recorder: EdgeRecorder | None = None
        self.host_call = HostCall(self.cpu)
        self._start_sensor(start)
        data = self.image.base + self.image.data_offset
        self.snapshot = Snapshot(self.cpu, self.kernel_space.space, [(data, len(self.image.data)),
                                                                      (stack, STACK_SIZE)])
        self.cpu.on_syscall = self._answer
        self._reset_run()

    # --- building the machine ----------------------------------------------------------

    def _load_kernel_window(self) -> tuple[Image, Image]:
        """The kernel image window as a boot fills it: entry code, kapi stubs, then the driver
        (so every address -- and so every fault address -- is the one a boot has)."""
        space = self.kernel_space
        entry = (kernel_asm_dir() / "entry.asm").read_text()
        space.reserve(len(assemble(entry, 0, "entry.asm").code))        # reserved only: never run here
        source = (kernel_asm_dir() / "kapi.asm").read_text()
        base = space.reserve(len(assemble(source, 0, "kapi.asm", USER_DEFINES).code))
        kapi = assemble(source, base, "kapi.asm", USER_DEFINES)
        space.map_new(kapi.base, kapi.data_offset, TEXT, kapi.text)
        base = space.reserve(len(assemble_driver(self.manifest, self.build, 0).code))
        image = bind_imports(assemble_driver(self.manifest, self.build, base), kapi)
        space.map_new(image.base, image.data_offset, TEXT, image.text)
        space.map_new(image.base + image.data_offset, len(image.data), DATA, image.data)
        return kapi, image

    def _start_sensor(self, context) -> None:
        """Run sensor_main until it asks for channel file 0; keep that moment as the snapshot."""
        self._content_request: tuple[int, int] | None = None
        self.cpu.restore_context(context, cr3=self.kernel_space.space.root)
        self.cpu.on_syscall = self._answer_start
        end = self.cpu.resume(self.hang_budget)
        if self._content_request is None:
            raise RuntimeError(f"the sensor never asked for its content ({end.reason} at {self.cpu.read('rip'):#x})")

    def _answer_start(self) -> None:
        """kapi calls before the snapshot: log("started") is fine; get_content(0) stops the CPU."""
        number, index, buffer, size = self.host_call.arguments()
        if number == SYS_GET_CONTENT and index == 0:
            self._content_request = (buffer, size)
            self.cpu.request_stop()
            return
        self.host_call.set_result(0 if number == SYS_LOG else -errno.ENOSYS)

    # --- coverage (only while fuzzing) -------------------------------------------------------

    def enable_coverage(self, slots: int = EDGE_SLOTS) -> EdgeRecorder:
        """Fuzzing mode: install the edge recorder over all the machine's code (kapi and the
        sensor) and let its block budget, not the per-instruction counter, bound each run."""
        if self.recorder is None:
            self.recorder = EdgeRecorder(self.cpu, self.kapi.base, self.image.base + self.image.data_offset, slots)
            self.cpu.counter.suspend()
        return self.recorder

    def disable_coverage(self) -> None:
        """Back to exact mode: the recorder out, the instruction counter back (as in a boot)."""
        if self.recorder is not None:
            self.recorder.remove()
            self.recorder = None
            self.cpu.counter.resume()

    # --- one execution ------------------------------------------------------------------------

    def _reset_run(self, events: tuple[int, ...] = ()) -> None:
        """Forget the last run's bookkeeping; `events` are the workload indexes to deliver."""
        self._events = events
        self._next_event = 0
        self._current = -1
        self._verdicts: list[tuple[int, int]] = []
        self._logs = 0
        self._counted_before = 0

    def run(self, content: bytes, detail: bool = False) -> Outcome:
        """Give the sensor `content` as its only channel file, then the workload; what happened.
        In fuzzing mode a run that spends its block budget is only *probably* a hang: run()
        checks it again in exact mode before it says HANG."""
        self.snapshot.restore()
        header_type = int.from_bytes(content[8:10], "little") if len(content) >= 10 else None
        self._reset_run(self._events_of_type.get(header_type, ()))
        buffer, room = self._content_request
        if len(content) > room:          # as the kernel's get_content: too big for the content area
            result = -errno.EINVAL
        else:
            self.snapshot.write_virtual(buffer, content)
            result = len(content)
        self.host_call.set_result(result)
        if self.recorder is not None:
            self.recorder.reset(self.hang_budget // HANG_BLOCK_DIVISOR)
        end = self.cpu.resume(self.hang_budget)
        outcome = self._outcome(end, detail)
        if self.recorder is not None and outcome.kind == HANG:
            return self._exactly(content, detail)
        return outcome

    def _exactly(self, content: bytes, detail: bool) -> Outcome:
        """Run once with the instruction counter instead of the block budget (then back)."""
        slots = self.recorder.slots
        self.disable_coverage()
        try:
            return self.run(content, detail)
        finally:
            self.enable_coverage(slots)

    def _outcome(self, end: SliceEnd, detail: bool) -> Outcome:
        """Turn the way the run stopped into an Outcome."""
        recorder = self.recorder
        if end.reason == SliceEnd.TRAP:
            kind, rip = CRASH, end.trap.rip
        elif end.reason == SliceEnd.BUDGET or recorder is not None and recorder.exhausted:
            kind, rip = HANG, self.cpu.read("rip")
        else:
            kind, rip = SURVIVED, 0      # waiting in wait_event again: nobody asks where
        length = self._counted_before + (recorder.blocks if recorder is not None else end.retired)
        outcome = Outcome(kind, end.trap, rip, self._current, length, recorder is not None,
                          tuple(self._verdicts), self._logs)
        if detail and kind != SURVIVED:
            outcome.registers = self.cpu.read_all()
            outcome.instance_address = self.read_word(self.image.symbols["current_instance"])
            outcome.criterion = self.read_word(self.image.symbols["current_criterion"])
        return outcome

    def _answer(self) -> None:
        """The kernel's side of kapi during an execution (system calls 510..513)."""
        number, first, second, third = self.host_call.arguments()
        if number == SYS_WAIT_EVENT:
            result = self._deliver_event(first, second)
            if result is None:
                return
        elif number == SYS_VERDICT:
            result = self._take_verdict(first, second, third)
        elif number == SYS_GET_CONTENT:
            result = 0                   # one file only: index 1 and on are "no more"
        elif number == SYS_LOG:
            self._logs += 1
            result = 0
        else:
            result = -errno.ENOSYS
        self.host_call.set_result(result)

    def _deliver_event(self, buffer: int, size: int) -> int | None:
        """wait_event: the next workload event into the sensor's buffer (none left: stop)."""
        if self._next_event >= len(self._events):
            self.cpu.request_stop()      # no event of its type at all: nothing can go wrong any more
            return None
        self._current = self._events[self._next_event]
        self._next_event += 1
        item = self.workload[self._current]
        if len(item.message) > size:
            return -errno.EINVAL
        self.snapshot.write_virtual(buffer, item.message)
        # The sensor blocked in wait_event: the ring-0 watchdog starts counting again.
        if self.recorder is not None:
            self._counted_before += self.recorder.blocks
            self.recorder.arm(self.hang_budget // HANG_BLOCK_DIVISOR)
        else:
            self._counted_before += self.cpu.counter.retired
            self.cpu.counter.arm(self.hang_budget)
        return item.event.template_type

    def _take_verdict(self, verdict: int, rule: int, handle: int) -> int:
        """verdict: accepted only for the event being judged (as the kernel checks the handle)."""
        current = self.workload[self._current].event if self._current >= 0 else None
        if current is None or handle != current.handle:
            return -errno.EINVAL
        self._verdicts.append((verdict, rule))
        if self._next_event >= len(self._events):
            self.cpu.request_stop()      # judged the last event: it survived them all
        return 0

    # --- reading the machine (for reports) ------------------------------------------------

    def read_word(self, address: int) -> int | None:
        """8 bytes of kernel-half memory, or None if unmapped."""
        data = self.read(address, 8)
        return int.from_bytes(data, "little") if data is not None else None

    def read(self, address: int, length: int) -> bytes | None:
        """Bytes of the machine's memory by virtual address, or None if not all mapped."""
        out = b""
        space = self.kernel_space.space
        while len(out) < length:
            virtual = address + len(out)
            physical = space.translate(virtual)
            if physical is None:
                return None
            chunk = min(length - len(out), PAGE_SIZE - (virtual & (PAGE_SIZE - 1)))
            out += self.cpu.memory.read(physical, chunk)
        return out

    def modules(self) -> list[dict]:
        """The loaded modules as a crash dump lists them (name, base, size, symbols)."""
        return [{"name": KERNEL_MODULE, "base": self.kapi.base, "size": len(self.kapi.code),
                 "symbols": self.kapi.symbols},
                {"name": self.manifest.name, "base": self.image.base, "size": len(self.image.code),
                 "symbols": self.image.symbols}]

    @property
    def content_end(self) -> int:
        """Where the sensor's content_area (the last thing in its data) ends."""
        return self.image.base + len(self.image.code)

    def past_content_area(self, address: int | None) -> bool:
        """Is `address` past the content area, in the page-padding or the unmapped hole after it?"""
        hole = (self.content_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
        return address is not None and self.content_end <= address < hole + PAGE_SIZE

    def locate(self, address: int) -> tuple[str, int]:
        """(module, offset) as in 'sensor.sys+0x2d2'."""
        for module in self.modules():
            if module["base"] <= address < module["base"] + module["size"]:
                return module["name"], address - module["base"]
        return "unknown", address
