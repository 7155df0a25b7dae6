"""The kernel: boots the machine, runs processes, answers system calls.

Read this file top to bottom: start() sets up the CPU and the kernel half;
spawn() makes a process; run() is the scheduler loop; on_syscall() is where
every `syscall` instruction lands; traps go to traps.on_fault(). It talks to
the hardware only through simpleos.machine (never unicorn directly).
"""
from __future__ import annotations

import heapq
import random
from dataclasses import dataclass

from .. import __version__
from ..assembler import Image, assemble, assemble_file
from ..errors import BadInput
from ..machine.cpu import SliceEnd
from ..machine.layout import (KERNEL_CODE_SELECTOR, PAGE_SIZE, USER_CODE_SELECTOR, USER_DATA_SELECTOR,
                              USER_TEXT_BASE, phys_to_virt)
from ..machine.machine import Machine
from ..machine.paging import USER
from ..resources import kernel_asm_dir, userland_dir
from . import bootstatus, costs, errno
from .bugcheck import Bugcheck, watchdog_bugcheck
from .fs import FsError
from .klog import KernelLog
from .pipes import PipeEnd, PipeNamespace
from .role import init_program
from .proc import BLOCKED, EXITED, KILLED, ZOMBIE, Process
from .sched import SLICE_INSTRUCTIONS, Scheduler
from .syscalls import SYSCALL_NUMBERS, Block, Gone, dispatch
from .traps import on_fault
from ..isolation.monolithic import Monolithic
from .events import VERDICT_DENY, exit_notification, ipc_event, process_event
from .sensor import KAPI_USER_BASE, SensorHost
from .vm import DATA, TEXT, KernelSpace, map_fresh_pages, map_user_stack

CPU_TIME_LIMIT = 50_000_000          # cycles (50 ms virtual) a process may use: RLIMIT_CPU
RING0_WATCHDOG = 20_000_000          # cycles a kernel thread may run without blocking
MAX_PROCESSES = 64
WATCHDOG_VIRTUAL_SECONDS = 600       # stop a machine that is busy this long
_U64 = (1 << 64) - 1
MAX_ARGUMENT = 256

# What every user program may use by name: SYS_WRITE, SYS_EXIT, ... (docs/syscalls.md).
USER_DEFINES = {f"SYS_{name.upper()}": number for name, number in SYSCALL_NUMBERS.items()}


def assemble_user_program(path) -> Image:
    """Assemble a ring-3 program: at USER_TEXT_BASE, with SYS_* defined and lib.asm includable."""
    return assemble_file(path, USER_TEXT_BASE, defines=USER_DEFINES, search=[userland_dir()])


RAN, IDLE, BREAKPOINT, FAULT = "ran", "idle", "breakpoint", "fault"   # run_once() results


@dataclass
class TimeSlice:
    """The process on the CPU and how many instructions its slice has left."""
    process: Process
    remaining: int


@dataclass
class Module:
    """Code loaded into the kernel half (the kernel's entry code, ring-0 drivers)."""
    name: str
    image: Image

    def contains(self, address: int) -> bool:
        """Is `address` inside this module?"""
        return self.image.base <= address < self.image.base + len(self.image.code)


class Kernel:
    """One running SimpleOS kernel on one machine."""

    def __init__(self, machine: Machine, *, seed: int = 0, fs=None, model=None, sensor_build: str = "original",
                 safe_mode: bool = False) -> None:
        self.machine = machine
        self.cpu = machine.cpu
        self.clock = machine.clock
        self.console = machine.console
        self.fs = fs
        self.seed = seed
        self.random = random.Random(seed)
        self.log = KernelLog(self.console, self.clock)
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
        self._next_pid = 1
        self._accounted = 0          # instructions of the current slice already on the clock
        self._pending_bugcheck: Bugcheck | None = None
        self._last_run: Process | None = None
        self.timers: list = []                          # (time, sequence, action) for add_timer
        self._timer_sequence = 0
        self.model = model if model is not None else Monolithic()
        self.init_pid: int | None = None
        self.sensor_build = sensor_build
        self.safe_mode = safe_mode
        self.sensor: SensorHost | None = None

    # --- start-up ------------------------------------------------------------------

    def start(self) -> None:
        """Bring the CPU to long mode with paging, build the kernel half, load entry code."""
        self.log(f"SimpleOS {__version__} (x86-64 on unicorn), seed {self.seed}")
        self.kernel_space = KernelSpace(self.machine.memory)
        self.cpu.enable_long_mode(self.kernel_space.space)
        self.cpu.on_syscall = self.on_syscall
        self.ring0_context = self.cpu.save_context()
        mib = self.machine.memory.size >> 20
        self.log(f"cpu: long mode, 4-level paging, NX, CR0.WP; GDT kernel {KERNEL_CODE_SELECTOR:#04x} "
                 f"user {USER_CODE_SELECTOR:#04x}/{USER_DATA_SELECTOR:#04x}")
        self.log(f"memory: {mib} MiB RAM, direct map at 0xffff800000000000 (supervisor, NX)")
        entry = self.load_kernel_module("entry.asm", (kernel_asm_dir() / "entry.asm").read_text(), "kernel")
        self.user_entry = entry.symbols["user_entry"]
        kapi_source = (kernel_asm_dir() / "kapi.asm").read_text()
        self.kapi_kernel = self.load_kernel_module("kapi.asm", kapi_source, "kernel", USER_DEFINES)
        self.kapi_user = assemble(kapi_source, KAPI_USER_BASE, "kapi.asm", USER_DEFINES)
        self.log(self.model.describe())

    def load_kernel_module(self, name: str, source: str, module_name: str, defines=None) -> Image:
        """Assemble ring-0 code into the kernel half: text RX, data RW+NX, supervisor only."""
        first_try = assemble(source, 0, name, defines)
        base = self.kernel_space.reserve(len(first_try.code))
        image = assemble(source, base, name, defines)
        self.install_kernel_image(module_name, image)
        return image

    def install_kernel_image(self, module_name: str, image: Image) -> None:
        """Map an image assembled for the kernel half; remember it as a module."""
        self.kernel_space.map_new(image.base, image.data_offset, TEXT, image.text)
        if image.data:
            self.kernel_space.map_new(image.base + image.data_offset, len(image.data), DATA, image.data)
        self.modules.append(Module(module_name, image))

    def start_kernel_thread(self, image: Image, name: str, stack_size: int = 16 * PAGE_SIZE) -> Process:
        """A ring-0 thread running `image` (already in the kernel half) on its own kernel stack."""
        stack_base = self.kernel_space.reserve(stack_size)
        frames = self.kernel_space.map_new(stack_base, stack_size, DATA)
        process = Process(pid=self._next_pid, name=name, space=self.kernel_space.space, image=image, ring=0,
                          frames=frames)
        self._next_pid += 1
        process.context = self.cpu.derive_context(self.ring0_context,
                                                  {"rip": image.entry, "rsp": stack_base + stack_size - 8})
        self.processes[process.pid] = process
        self.scheduler.add(process)
        return process

    def locate(self, address: int) -> tuple[str, int]:
        """(module, offset) for a kernel-half address, as in 'sensor.sys+0x1a3'."""
        for module in self.modules:
            if module.contains(address):
                return module.name, address - module.image.base
        return "unknown", address

    # --- processes -----------------------------------------------------------------

    def spawn(self, image: Image, name: str, parent: Process | None = None, argument: bytes = b"") -> Process:
        """Create a ring-3 process from an image assembled at USER_TEXT_BASE.
        `argument` (a string) is copied to the top of its stack; rdi points at it."""
        if sum(p.alive for p in self.processes.values()) >= MAX_PROCESSES:
            raise BadInput("too many processes")
        space = self.kernel_space.new_user_space()
        frames = map_fresh_pages(space, image.base, image.data_offset, USER | TEXT, image.text)
        if image.data:
            frames += map_fresh_pages(space, image.base + image.data_offset, len(image.data), USER | DATA, image.data)
        stack_top, stack_frames = map_user_stack(space)
        kernel_stack = self.machine.memory.alloc_frame()
        process = Process(pid=self._next_pid, name=name, space=space, image=image, ring=3,
                          parent=parent.pid if parent else 0,
                          frames=frames + stack_frames + [kernel_stack],
                          argument=argument.decode("utf-8", "replace"))
        self._next_pid += 1
        argument = argument[:MAX_ARGUMENT] + b"\0"
        stack_pointer = (stack_top - len(argument)) & ~0xF
        self.machine.memory.write(stack_frames[-1] + (stack_pointer & (PAGE_SIZE - 1)), argument)
        process.context = self._first_user_context(space, image.entry, stack_pointer - 16, kernel_stack,
                                                   argument_pointer=stack_pointer)
        self.cpu.flush_translations()  # the text may sit in reused frames
        self.processes[process.pid] = process
        self.scheduler.add(process)
        self.clock.advance(costs.PROCESS_CREATE)
        return process

    def _first_user_context(self, space, entry: int, user_stack: int, kernel_stack: int, argument_pointer: int = 0):
        """A ring-0 context that will iretq into the program at `entry` (see entry.asm)."""
        frame = [entry, USER_CODE_SELECTOR, 0x202, user_stack, USER_DATA_SELECTOR]
        top = kernel_stack + PAGE_SIZE - 8 * len(frame)
        self.machine.memory.write(top, b"".join(v.to_bytes(8, "little") for v in frame))
        registers = {name: 0 for name in ("rax", "rbx", "rcx", "rdx", "rsi", "rbp", "r8", "r9", "r10", "r11",
                                          "r12", "r13", "r14", "r15")}
        registers.update(rsp=phys_to_virt(top), rip=self.user_entry, rdi=argument_pointer)
        return self.cpu.derive_context(self.ring0_context, registers)

    def spawn_program(self, name: str, parent: Process | None = None, argument: bytes = b"") -> int:
        """spawn() by program name: /bin/NAME, i.e. userland/NAME.asm. Returns pid or -errno."""
        if not name.replace("_", "").isalnum():
            return -errno.ENOENT
        path = userland_dir() / f"{name}.asm"
        if not path.is_file() or name == "lib":
            return -errno.ENOENT
        image = assemble_user_program(path)
        try:
            return self.spawn(image, name, parent, argument).pid
        except BadInput:
            return -errno.EAGAIN

    def spawn_file(self, path: str, parent: Process | None = None) -> Process:
        """Start a program from a host .asm file (for `simpleos run`)."""
        image = assemble_user_program(path)
        name = image.name.rsplit(".", 1)[0]
        return self.spawn(image, name, parent)

    def exit_process(self, process: Process, code: int) -> None:
        """The process ends normally with `code`."""
        process.fate, process.exit_code = EXITED, code
        self._release(process)

    def kill(self, process: Process, trap=None, reason: str | None = None, death_reason: str = "crash") -> None:
        """The process is ended by the kernel (after a trap, or over its limits)."""
        process.fate, process.trap = KILLED, trap
        if reason:
            self.log(f"pid {process.pid} {process.name}: {reason} -- killed")
        is_sensor = self.sensor is not None and process is self.sensor.process
        if is_sensor:
            self.sensor.note_last_words()
        self._release(process)
        if is_sensor:
            self.sensor.on_death(trap, death_reason)

    def _release(self, process: Process) -> None:
        """Free what a finished process held; it stays as a zombie for its parent."""
        self.console.flush(stream=process.pid)
        for fd, handle in list(process.files.items()):
            if isinstance(handle, PipeEnd):
                self.pipes.close_end(handle)
        process.files.clear()
        if process.ring == 3:  # a kernel thread's stack stays mapped in the shared kernel half
            for frame in process.frames + process.space.table_frames:
                self.machine.memory.free_frame(frame)
            process.frames = []
            process.space.table_frames = []
        process.state = ZOMBIE
        process.context = None
        self.scheduler.remove(process)
        if self.sensor is not None and process is not self.sensor.process:
            self.sensor.notify(exit_notification(process))

    # --- hooks for drivers and services (extended by later layers) ------------------

    def pipe_event(self, process: Process, name: str):
        """The IPC event for `process` creating named pipe `name`."""
        parent = self.processes.get(process.parent)
        depth, ancestor = 0, parent
        while ancestor is not None:
            depth += 1
            ancestor = self.processes.get(ancestor.parent)
        return ipc_event(name, process, f"/bin/{parent.name}" if parent else "/kernel",
                         self.clock.cycles // 1000, depth)

    def exec_event(self, parent: Process, name: str, argument: bytes):
        """The PROCESS event for `parent` starting program `name`; None if there is no such program."""
        path = userland_dir() / f"{name}.asm"
        if not name.replace("_", "").isalnum() or name == "lib" or not path.is_file():
            return None
        code = assemble_user_program(path).code
        command = f"{name} {argument.decode('utf-8', 'replace')}".strip()
        return process_event(f"/bin/{name}", command, self._next_pid, f"/bin/{parent.name}", code)

    def ask_sensor(self, event, then):
        """Let the sensor judge `event` before the operation `then()` runs. The caller
        blocks until the verdict; deny makes the call fail with -EACCES."""
        if self.sensor is None:
            return then()
        self.sensor.submit(event)
        deadline = self.sensor.deadline_for(event)

        def ready():
            if event.verdict is None and deadline is not None and self.clock.cycles >= deadline:
                self.sensor.missed_deadline(event)
            if event.verdict is None:
                return None
            if event.verdict == VERDICT_DENY:
                return -errno.EACCES
            return then()
        result = ready()
        if result is None:
            raise Block(ready, wake_at=deadline)
        return result

    def add_timer(self, at: int, action) -> None:
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

    # --- the scheduler loop -----------------------------------------------------------

    def run(self, max_virtual_seconds: float = WATCHDOG_VIRTUAL_SECONDS) -> None:
        """Run processes until none can ever run again (idle). Raises Bugcheck."""
        deadline = self.clock.cycles + int(max_virtual_seconds * 1_000_000_000)
        while self.run_once() != IDLE:
            if self.clock.cycles > deadline:
                self.log(f"watchdog: still busy after {max_virtual_seconds:g} s of virtual time; stopping")
                return

    def run_once(self, limit: int | None = None) -> str:
        """One step of the scheduler loop: run the current time slice (or start the
        next one) for at most `limit` instructions. Returns what happened:
        RAN, IDLE, BREAKPOINT (a debugger breakpoint, before its instruction) or
        FAULT (a trap held for the debugger: stop_on_fault). A slice cut short by
        `limit` or a breakpoint is resumed by the next call, so stepping through
        code never changes the schedule: debugging stays deterministic."""
        if self.pending_trap is not None:
            process, trap = self.pending_trap
            self.pending_trap = None
            self._deliver_trap(process, trap)
            return RAN
        if self.slice is not None:
            self.cpu.clear_exception_state()  # a paused slice goes on: see CPU.clear_exception_state
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
        end = self.cpu.run(budget)
        self._account(process, end.retired)
        self.slice.remaining -= end.retired
        if self._pending_bugcheck is not None:
            bugcheck, self._pending_bugcheck = self._pending_bugcheck, None
            self._end_slice()
            raise bugcheck
        if self.cpu.breakpoint_hit is not None:
            return BREAKPOINT
        if end.reason == SliceEnd.TRAP and process.state != ZOMBIE:
            if self.stop_on_fault:
                self.pending_trap = (process, end.trap)
                return FAULT
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
        self.cpu.restore_context(process.context, cr3=process.space.root)
        if process.pending_result is not None:
            self.cpu.write("rax", process.pending_result & _U64)
            process.pending_result = None
        self.slice = TimeSlice(process, SLICE_INSTRUCTIONS)

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
        process.context = self.cpu.save_context()
        if process.ring == 0 and process.cycles_since_block > RING0_WATCHDOG:
            module, offset = self.locate(self.cpu.read("rip"))
            raise watchdog_bugcheck(self.cpu.read("rip"), module, offset, process.cycles_since_block)
        if process.state == BLOCKED:
            process.cycles_since_block = 0
        if process.ring == 3 and process.cpu_cycles > CPU_TIME_LIMIT:
            self.kill(process, reason=f"CPU time limit exceeded ({process.instructions} instructions)")

    def _account(self, process: Process, retired_so_far: int) -> None:
        """Put the instructions retired since the last accounting on the clock."""
        delta = retired_so_far - self._accounted
        self._accounted = retired_so_far
        self.clock.advance(delta)
        self.instructions_retired += delta
        process.instructions += delta
        process.cpu_cycles += delta
        process.cycles_since_block += delta

    # --- system calls ------------------------------------------------------------------

    def on_syscall(self) -> None:
        """Every `syscall` instruction lands here (from the CPU's hook)."""
        process = self.current
        cpu = self.cpu
        self._account(process, cpu.counter.retired)
        cost = costs.SYSCALL if process.ring == 3 else costs.DIRECT_CALL
        self.clock.advance(cost)
        process.cpu_cycles += cost
        number, *args = cpu.read_syscall_registers()
        try:
            result = dispatch(self, process, number, args)
        except Gone:
            cpu.request_stop()
            return
        except Bugcheck as bugcheck:
            self._pending_bugcheck = bugcheck
            cpu.request_stop()
            return
        cpu.write("rax", result & _U64)

    # --- boot ----------------------------------------------------------------------------

    def load_boot_drivers(self) -> None:
        """Boot-start drivers: the sensor (skipped in safe mode: third-party drivers off)."""
        if self.safe_mode:
            self.log("safe mode: third-party drivers are not loaded")
            return
        self.sensor = SensorHost(self, self.model, self.sensor_build)
        self.sensor.load()

    def start_init(self) -> int:
        """Start init, the first user process (the only one that may say "boot complete")."""
        init = self.init_pid = self.spawn_program(init_program(self))
        if init < 0:
            raise BadInput("userland/init.asm is missing")
        self.log(f"init: started as pid {init} (ring 3)")
        return init

    def boot(self) -> None:
        """Start the kernel, boot drivers and init, run until idle. Raises Bugcheck if the machine dies."""
        self.start()
        self.load_boot_drivers()
        self.start_init()
        self.run()
