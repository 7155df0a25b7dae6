"""The kernel: boots the machine, runs processes, answers system calls.

Read this file top to bottom: power_on() sets up the CPU and the kernel
half, loads the boot drivers and starts init; spawn() makes a process
(processes.py, the process table); run() is the scheduler loop; on_syscall() is where every `syscall`
instruction lands; traps go to traps.on_fault(). Drivers plug in through
two generic hooks -- a security gate that may judge operations before they
happen (authorize), and process-exit listeners -- so nothing here knows
what a sensor is (operations.py). It talks to the hardware only through simpleos.machine
(never unicorn directly).
"""
from __future__ import annotations

import heapq
import random
from typing import Callable

from .. import __version__
from ..assembler import Image, assemble, read_source
from ..errors import BadInput
from ..machine.cpu import SliceEnd
from ..machine.layout import KERNEL_CODE_SELECTOR, USER_DATA_SELECTOR, USER_CODE_SELECTOR
from ..machine.machine import Machine
from ..record import dataclass
from ..resources import kernel_asm_dir
from . import bootstatus, costs
from .bugcheck import watchdog_bugcheck
from .fs import FsError
from .klog import KernelLog
from .loader import USER_DEFINES, Module
from .pipes import PipeNamespace
from .placement import KAPI_USER_BASE
from .proclist import ProcessTables
from .rootkit import load_rootkit
from .role import init_program
from .proc import BLOCKED, ZOMBIE, Process
from .processes import ProcessTable
from .sched import Scheduler, slice_length
from .services import ModelServices
from .syscalls import dispatch
from .traps import on_fault
from .vm import DATA, TEXT, KernelSpace
from .waiting import Gone

CPU_TIME_LIMIT = 50_000_000          # cycles (50 ms virtual) a process may use: RLIMIT_CPU
RING0_WATCHDOG = 20_000_000          # cycles a kernel thread may run without blocking
WATCHDOG_VIRTUAL_SECONDS = 600       # stop a machine that is busy this long

RAN, IDLE, AT_BREAKPOINT, HELD_FAULT = "ran", "idle", "breakpoint", "fault"   # run_once() results


@dataclass
class TimeSlice:
    """The process on the CPU and how many instructions its slice has left."""
    process: Process
    remaining: int


class Kernel(ProcessTable):
    """One running SimpleOS kernel on one machine, under one isolation model."""

    def __init__(self, machine: Machine, *, model, seed: int = 0, fs=None, sensor_build: str = "original",
                 safe_mode: bool = False, sensor_switches: dict | None = None, rootkit: str | None = None) -> None:
        self.machine = machine
        self.cpu = machine.cpu
        self.clock = machine.clock
        self.console = machine.console
        self.fs = fs
        self.seed = seed
        self.random = random.Random(seed)
        self.log = KernelLog(self.console, self.clock)
        self.model = model
        self.fail_open = model.fail_open             # while the gate is down: allow (True) or deny
        self.services = ModelServices(self)           # all a model may do (kernel/services.py)
        self.sensor_build = sensor_build
        self.sensor_switches = dict(sensor_switches or {})   # features of this boot's sensor (manifest [switches])
        self.rootkit = rootkit                                # build of a second, malicious boot driver, or None
        self.safe_mode = safe_mode
        self.processes: dict[int, Process] = {}
        self.scheduler = Scheduler()
        self.pipes = PipeNamespace()
        self.modules: list[Module] = []
        self.current: Process | None = None
        self.current_at_crash: Process | None = None   # the last process to run, for dumps
        self.slice: TimeSlice | None = None             # the time slice in progress
        self.instructions_retired = 0                   # since power-on: a position for debuggers
        self.stop_on_fault = False                      # debugger: hold traps before on_fault
        self.pending_trap = None                        # (process, trap) held for the debugger
        self.boot_completed = False
        self.init_pid: int | None = None
        self.sensor = None                              # the security sensor, once loaded (kernel/sensor/)
        # Hooks for drivers: a gate that judges operations before they happen, and listeners
        # told of every new process and of every process exit -- before its memory is freed, and after.
        self.gate = None
        self.on_process_created: list[Callable[[Process], None]] = []
        self.on_process_exiting: list[Callable[[Process], None]] = []
        self.on_process_exited: list[Callable[[Process], None]] = []
        self.timers: list = []                          # (time, sequence, action) for add_timer
        self._timer_sequence = 0
        self._next_pid = 1
        self._accounted = 0          # instructions of the current slice already on the clock
        self._context_on_cpu = None  # the saved context the CPU still holds as it is (_end_slice)
        self._last_run: Process | None = None

    # --- power-on ------------------------------------------------------------------------

    def power_on(self) -> None:
        """Everything up to the first guest instruction: the CPU and the kernel half, the
        boot-start drivers, init. Then run() runs the machine."""
        self.start()
        self.load_boot_drivers()
        if not self.safe_mode:
            self.start_init()

    def start(self) -> None:
        """Bring the CPU to long mode with paging, build the kernel half, load entry code."""
        self.log(f"SimpleOS {__version__} (x86-64 on unicorn), seed {self.seed}")
        self.kernel_space = KernelSpace(self.machine.memory)
        self.process_tables = ProcessTables(self)        # the process list in guest memory (proclist.py)
        self.cpu.enable_long_mode(self.kernel_space.space)
        self.connect_cpu()
        self.ring0_context = self.cpu.save_context()
        mib = self.machine.memory.size >> 20
        self.log(f"cpu: long mode, 4-level paging, NX, CR0.WP; GDT kernel {KERNEL_CODE_SELECTOR:#04x} "
                 f"user {USER_CODE_SELECTOR:#04x}/{USER_DATA_SELECTOR:#04x}")
        self.log(f"memory: {mib} MiB RAM, direct map at 0xffff800000000000 (supervisor, NX)")
        entry_source, entry_origins = read_source(kernel_asm_dir() / "entry.asm")   # origins: for line tables
        entry = self.load_kernel_module("entry.asm", entry_source, "kernel", origins=entry_origins)
        self.user_entry = entry.symbols["user_entry"]
        kapi_source, kapi_origins = read_source(kernel_asm_dir() / "kapi.asm")
        self.kapi_kernel = self.load_kernel_module("kapi.asm", kapi_source, "kernel", USER_DEFINES, kapi_origins)
        self.kapi_user = assemble(kapi_source, KAPI_USER_BASE, "kapi.asm", USER_DEFINES, kapi_origins)
        self.log(self.model.describe())

    def connect_cpu(self) -> None:
        """Make the CPU call this kernel: system calls, rdtsc (the virtual clock) and rdrand
        (the seeded generator). Also after a debugger puts a copy of the kernel back."""
        self.cpu.on_syscall = self.on_syscall
        self.cpu.time_stamp = self.virtual_time
        self.cpu.random_word = self._random_word
        self._context_on_cpu = None

    def _random_word(self) -> int:
        return self.random.getrandbits(64)

    def load_boot_drivers(self) -> None:
        """Boot-start drivers: the sensor (skipped in safe mode: third-party drivers off)."""
        if self.safe_mode:
            self.log("safe mode: third-party drivers are not loaded")
            return
        from .sensor import SensorManager
        self.sensor = SensorManager(self, self.model, self.sensor_build, self.sensor_switches)
        self.sensor.load()
        if self.rootkit is not None:
            load_rootkit(self, self.rootkit)

    def start_init(self) -> int:
        """Start init, the first user process (the only one that may say "boot complete")."""
        init = self.init_pid = self.spawn_program(init_program(self))
        if init < 0:
            raise BadInput("userland/init.asm is missing")
        self.log(f"init: started as pid {init} (ring 3)")
        return init

    # --- the kernel half -----------------------------------------------------------------

    def load_kernel_module(self, name: str, source: str, module_name: str, defines=None, origins=None) -> Image:
        """Assemble ring-0 code into the kernel half: text RX, data RW+NX, supervisor only.
        `origins` (read_source's, or None) name each source line for the line table."""
        first_try = assemble(source, 0, name, defines)
        base = self.kernel_space.reserve(len(first_try.code))
        image = assemble(source, base, name, defines, origins)
        self.install_kernel_image(module_name, image)
        return image

    def install_kernel_image(self, module_name: str, image: Image) -> None:
        """Map an image assembled for the kernel half; it becomes the module of that name
        (a reloaded driver replaces its old module)."""
        self.kernel_space.map_new(image.base, image.data_offset, TEXT, image.text)
        if image.data:
            self.kernel_space.map_new(image.base + image.data_offset, len(image.data), DATA, image.data)
        if module_name != "kernel":
            self.modules = [m for m in self.modules if m.name != module_name]
        self.modules.append(Module(module_name, image))

    def module_at(self, address: int) -> Module | None:
        """The kernel module whose image holds `address`, if any."""
        return next((module for module in self.modules if module.contains(address)), None)

    def locate(self, address: int) -> tuple[str, int]:
        """(module, offset) for a kernel-half address, as in 'sensor.sys+0x1a3'."""
        module = self.module_at(address)
        return (module.name, address - module.image.base) if module is not None else ("unknown", address)

    # --- timers and the disk ------------------------------------------------------------

    def add_timer(self, at: int, action: Callable[[], None]) -> None:
        """Run `action()` (kernel code) once the clock reaches `at` (e.g. a restart after backoff)."""
        self._timer_sequence += 1
        heapq.heappush(self.timers, (at, self._timer_sequence, action))

    def _fire_due_timers(self) -> None:
        while self.timers and self.timers[0][0] <= self.clock.cycles:
            _, _, action = heapq.heappop(self.timers)
            action()

    def read_file(self, path: str) -> bytes | None:
        """A file of the machine's disk, or None."""
        if self.fs is None:
            return None
        try:
            return self.fs.read_file(path)
        except FsError:
            return None

    def mark_boot_complete(self, process: Process) -> None:
        """init reported that the system is up: clear the boot-status flag."""
        if not self.boot_completed:
            self.boot_completed = True
            if self.fs is not None:
                bootstatus.boot_completed(self.fs)
            self.log("boot complete")

    # --- the scheduler loop --------------------------------------------------------------

    def run(self, max_virtual_seconds: float = WATCHDOG_VIRTUAL_SECONDS) -> None:
        """Run processes until none can ever run again (idle). Raises Bugcheck."""
        deadline = self.clock.cycles + int(max_virtual_seconds * 1_000_000_000)
        while self.run_once() != IDLE:
            if self.clock.cycles > deadline:
                self.log(f"watchdog: still busy after {max_virtual_seconds:g} s of virtual time; stopping")
                return

    def run_once(self, limit: int | None = None) -> str:
        """One step of the scheduler loop: run the current time slice (or start the
        next one) for at most `limit` instructions. Returns what happened: RAN, IDLE,
        AT_BREAKPOINT (a debugger breakpoint, before its instruction) or HELD_FAULT (a trap
        held for the debugger: stop_on_fault). A slice cut short by `limit` or a
        breakpoint is resumed by the next call, so stepping through code never changes
        the schedule: debugging stays deterministic. Raises Bugcheck."""
        if self.pending_trap is not None:
            process, trap = self.pending_trap
            self.pending_trap = None
            self._deliver_trap(process, trap)
            return RAN
        if self.slice is None:
            self._fire_due_timers()
            process = self.scheduler.pick_next(self.clock.cycles)
            if process is None:
                waits = [t for t in (self.scheduler.next_timer(), self.timers[0][0] if self.timers else None)
                         if t is not None]
                if not waits:
                    return IDLE  # nothing runnable, nothing will wake
                self.clock.advance_to(min(waits))
                return RAN
            self._begin_slice(process)
        process = self.slice.process
        budget = self.slice.remaining if limit is None else min(self.slice.remaining, max(limit, 0))
        self._accounted = 0
        try:
            end = self.cpu.resume(budget)
        except BaseException:      # a bugcheck raised inside a system call: the slice is over
            self.slice = self.current = None
            raise
        self._account(process, end.retired)
        self.slice.remaining -= end.retired
        if self.cpu.breakpoint_hit is not None:
            return AT_BREAKPOINT
        if end.reason == SliceEnd.TRAP and process.state != ZOMBIE:
            if self.stop_on_fault:
                self.pending_trap = (process, end.trap)
                return HELD_FAULT
            self._deliver_trap(process, end.trap)
            return RAN
        if end.reason == SliceEnd.BUDGET and self.slice.remaining > 0 and process.state != ZOMBIE:
            return RAN  # cut short by `limit`: the slice goes on at the next call
        self._end_slice()
        return RAN

    def _begin_slice(self, process: Process) -> None:
        """Switch the CPU to `process` for a new time slice."""
        if self._last_run is not process:
            self.clock.advance(costs.CONTEXT_SWITCH)
            self._last_run = process
        self.current = self.current_at_crash = process
        if process.context is not self._context_on_cpu:     # else the CPU holds it already, unchanged
            self.cpu.restore_context(process.context, cr3=process.space.root)
        self._context_on_cpu = None
        if process.pending_result is not None:
            self.cpu.set_syscall_result(process.pending_result)     # rax (one raw write)
            process.pending_result = None
        # The slice ends at the latest at the instruction that takes the process over its
        # limit (CPU time at ring 3, the watchdog at ring 0), where _end_slice enforces it.
        self.slice = TimeSlice(process, slice_length(process, self.cpu_time_limit(process), RING0_WATCHDOG))

    def cpu_time_limit(self, process: Process) -> int:
        """The CPU time (cycles) `process` may use: its own limit, else CPU_TIME_LIMIT."""
        return process.cpu_limit if process.cpu_limit is not None else CPU_TIME_LIMIT

    def _deliver_trap(self, process: Process, trap) -> None:
        """The trap goes to on_fault (kill or bugcheck); the slice is over."""
        self.slice = None
        self.current = None
        self.clock.advance(costs.TRAP)
        on_fault(self, process, trap)

    def _end_slice(self) -> None:
        """The slice is over: save the process's context and apply the limits."""
        process = self.slice.process
        self.slice = None
        self.current = None
        if process.state == ZOMBIE:
            return
        # The context saved last time was loaded into the CPU and is the process's alone (derived
        # contexts are copies; checkpoints pickle theirs): it takes the new registers in place.
        process.context = self._context_on_cpu = self.cpu.save_context(into=process.context)
        if process.ring == 0 and process.cycles_since_block > RING0_WATCHDOG:
            module, offset = self.locate(self.cpu.read("rip"))
            raise watchdog_bugcheck(self.cpu.read("rip"), module, offset, process.cycles_since_block)
        if process.state == BLOCKED:
            process.cycles_since_block = 0
        if process.ring == 3 and process.cpu_cycles > self.cpu_time_limit(process):
            self.kill(process, message=f"CPU time limit exceeded ({process.instructions} instructions)")

    def charge(self, process: Process, cycles: int) -> None:
        """`process` spends `cycles` of CPU time inside a system call (e.g. waiting for the
        console). Over its CPU time limit, the slice ends now: _end_slice kills it."""
        if cycles <= 0:
            return
        self.clock.advance(cycles)
        process.cpu_cycles += cycles
        if process.ring == 3 and process.cpu_cycles > self.cpu_time_limit(process):
            self.cpu.request_stop()

    def virtual_time(self) -> int:
        """Cycles since power-on, up to the instruction running now (what rdtsc returns)."""
        return self.clock.cycles + self.cpu.retired - self._accounted

    def _account(self, process: Process, retired_so_far: int, cost: int = 0) -> None:
        """Put the instructions retired since the last accounting on the clock, and `cost`
        cycles more that the process spends (a system call's entry and exit)."""
        delta = retired_so_far - self._accounted
        self._accounted = retired_so_far
        self.clock.advance(delta + cost)
        self.instructions_retired += delta
        process.instructions += delta
        process.cpu_cycles += delta + cost
        process.cycles_since_block += delta

    # --- system calls --------------------------------------------------------------------

    def on_syscall(self) -> None:
        """Every `syscall` instruction lands here (from the CPU's hook)."""
        process = self.current
        cpu = self.cpu
        self._account(process, cpu.retired, costs.SYSCALL if process.ring == 3 else costs.DIRECT_CALL)
        number, *args = cpu.read_syscall_registers()
        try:
            result = dispatch(self, process, number, args)
        except Gone:
            cpu.request_stop()
            return
        cpu.set_syscall_result(result)
