"""DebugTarget: one SimpleOS machine under a debugger -- run, stop, inspect, and go back in time.

This is the contract the command interpreter (commands.py) and the gdb
remote stub (debug/gdb/) are written against. It boots the machine of
`simpleos boot` on a RAM copy of the machine's disk and holds it at
position 0 (no instruction run yet). Then:

  stepi / nexti / finish / cont    run forward, one instruction or until a stop
  reverse_stepi / reverse_cont     run backward (timetravel.py): from the
                                   nearest checkpoint (checkpoints.py), or
                                   power on again from the same disk
                                   snapshot, run forward to the earlier position
  registers / read_memory / ...    inspect and change the stopped machine

Positions are Kernel.instructions_retired: instructions since power-on.
Breakpoints are addresses in the CPU's native instruction counter
(CPU.add_breakpoint), not unicorn hooks; this module never installs a
per-instruction hook, so `cont` runs at full speed. It must not decide what a fault means (the kernel does, when the
next stepi/cont delivers a trap held by --break-on-fault), nor print.
"""
from __future__ import annotations

import threading
from typing import Callable

from ..isolation import model_named
from ..kernel.bugcheck import Bugcheck
from ..assembler import Image
from ..kernel.kernel import AT_BREAKPOINT, HELD_FAULT, IDLE, RAN, WATCHDOG_VIRTUAL_SECONDS
from ..machine import decode
from ..machine.layout import is_canonical
from ..system import BootOptions
from . import stops
from .checkpoints import CheckpointStore
from .guestmem import read_virtual, write_virtual
from .poweron import ConsoleEcho, power_on
from .program import DebuggedProgram
from .snapshot import snapshot_of_home
from .stops import StopEvent, signal_for_trap
from .symbols import lookup, process_label, regions, symbolize
from .timetravel import _BUGCHECKED, Edit, TimeTravel

REGISTER_NAMES = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags",
                  "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base", "cr0", "cr2", "cr3", "cr4"]
_CPU_NAME = {"eflags": "rflags"}

# Target states.
RUNNABLE, IDLE_STATE, BUGCHECK_STATE = "running-able", "idle", "bugcheck"


class DebugError(Exception):
    """A debugger request that cannot be done in this state (one line for the user)."""


class DebugTarget(TimeTravel):
    """The debuggable machine (see the module docstring)."""

    def __init__(self, options: BootOptions, break_on_fault: bool = False, *,
                 on_power_on: Callable[[object], None] | None = None, program: Image | None = None,
                 on_program_start: Callable[[object], None] | None = None) -> None:
        """`on_power_on(kernel)`, if given, runs after init is spawned at every power-on
        (the first and each replay), e.g. to spawn an extra program: it must be deterministic.
        `program`: `simpleos debug PROG` -- started when the boot goes idle (program.py), and
        then `on_program_start(process)` is told."""
        model_named(options.model)  # unknown model: bad input before anything happens
        self.options = options
        self.program = DebuggedProgram(program, on_program_start) if program is not None else None
        self.break_on_fault = break_on_fault
        self.on_power_on = on_power_on
        self.snapshot = snapshot_of_home(options)
        self.breakpoints: set[int] = set()
        self.breakpoint_processes: dict[int, str] = {}   # address -> the only process it stops
        self.edits: list[Edit] = []
        self.replays = 0                          # power-ons for time travel (for the curious)
        self._temporary: set[int] = set()         # nexti/finish breakpoints
        self._installed: set[int] = set()         # addresses hooked in the current CPU
        self._interrupt = threading.Event()
        self._console_shown = 0                   # console lines already echoed (replays repeat them)
        self._edit_mark = 0                       # replays: edits up to here are made
        self.checkpoints = CheckpointStore()      # for time travel (checkpoints.py)
        self._replaying = False                   # a time-travel replay is running
        self._power_on()
        self.last_stop = self._event(stops.START, "powered on: nothing has run yet")

    # --- the machine and its state -----------------------------------------------------

    def _power_on(self) -> None:
        """A fresh machine from the disk snapshot, at position 0, breakpoints not yet hooked."""
        if getattr(self, "machine", None) is not None:
            self.machine.power_off()        # the machine of the previous power-on is gone
        powered = power_on(self.snapshot, self.options, echo=ConsoleEcho(self))
        self.machine, self.kernel, self.fs = powered.machine, powered.kernel, powered.fs
        if self.program is not None:
            self.program.powered_on()
        if self.on_power_on is not None:
            self.on_power_on(self.kernel)
        self.kernel.stop_on_fault = self.break_on_fault
        self.bugcheck: Bugcheck | None = None
        self.idle = False
        self._installed = set()
        # Put the first process on the CPU without running anything (a zero-instruction slice
        # start, as the scheduler's first step would): position 0 then shows real registers.
        self._run_once(limit=0)

    def _echo(self, number: int, line: str) -> None:
        """Show a console line the first time the machine prints it (not again on replays)."""
        if number >= self._console_shown:
            self._console_shown = number + 1
            if self.options.echo is not None:
                self.options.echo(line)

    @property
    def cpu(self):
        """The CPU of the current machine."""
        return self.machine.cpu

    @property
    def position(self) -> int:
        """Instructions retired since power-on."""
        return self.kernel.instructions_retired

    @property
    def current_process(self):
        """The process on the CPU (or the last one that was, between time slices)."""
        if self.kernel.slice is not None:
            return self.kernel.slice.process
        return self.kernel.current_at_crash

    @property
    def state(self) -> str:
        """'running-able', 'idle' (nothing left to run: gdb's exited) or 'bugcheck'."""
        if self.bugcheck is not None:
            return BUGCHECK_STATE
        return IDLE_STATE if self.idle else RUNNABLE

    # --- registers and memory -------------------------------------------------------------

    def registers(self) -> dict[str, int]:
        """All registers by name; RFLAGS appears as both 'rflags' and 'eflags'. CR2 is the
        address of the last page fault, as the hardware keeps it (CPU.cr2)."""
        values = {name: self.cpu.read(_CPU_NAME.get(name, name)) for name in REGISTER_NAMES}
        values["rflags"] = values["eflags"]
        values["cr2"] = self.cpu.cr2
        return values

    def write_register(self, name: str, value: int) -> None:
        """Change a register of the stopped machine (kept across time travel)."""
        name = name.lower()
        if name not in REGISTER_NAMES and name != "rflags":
            raise DebugError(f"no register {name!r}")
        if name == "rip" and not is_canonical(value & ((1 << 64) - 1)):
            raise DebugError(f"rip {value:#x} is not a canonical address")
        self._apply(Edit(self.position, "register", name, value & ((1 << 64) - 1)))

    def read_memory(self, address: int, length: int) -> bytes:
        """Bytes at a virtual address of the current address space (MemoryError if unmapped)."""
        return read_virtual(self.cpu, address, length)

    def write_memory(self, address: int, data: bytes) -> None:
        """Change guest memory (even read-only code); kept across time travel."""
        read_virtual(self.cpu, address, len(data))  # MemoryError before anything is recorded
        self._apply(Edit(self.position, "memory", address, bytes(data)))

    def _apply(self, edit: Edit, record: bool = True) -> None:
        """Make an edit to the machine; remember it so replays make it at the same position."""
        if edit.kind == "memory":
            write_virtual(self.cpu, edit.key, edit.value)
        else:
            cpu_name = _CPU_NAME.get(edit.key, edit.key)
            self.cpu.write(cpu_name, edit.value)
            process = self.current_process
            if self.kernel.slice is None and process is not None and process.context is not None:
                # Between slices the CPU's registers were already saved: change the saved copy too.
                process.context = self.cpu.derive_context(process.context, {cpu_name: edit.value})
        if record:
            self.edits.append(edit)
            self.checkpoints.forget_after(edit.position)   # their future did not have this edit

    # --- symbols -------------------------------------------------------------------------

    def symbolize(self, address: int) -> str:
        """'sensor.sys!compare_string+0xa', 'beacon!_start+0x12', or hex."""
        return symbolize(self.kernel, self.current_process, address)

    def lookup(self, symbol: str) -> int:
        """The address of 'compare_string', 'sensor.sys!compare_string', '_start', ...
        (raises symbols.UnknownSymbol, a LookupError)."""
        first = self.program.region() if self.program is not None else None
        return lookup(self.kernel, self.current_process, symbol, others=list(self.kernel.processes.values()),
                      first=first)

    def program_breakpoint_owner(self, address: int) -> str | None:
        """`debug PROG`: a user address inside PROG means PROG's code -- its breakpoints stop
        only PROG (the name to restrict them to); otherwise None."""
        if self.program is not None and self.program.contains(address):
            return self.program.name
        return None

    def code_contains(self, address: int) -> bool:
        """Is `address` inside known code (a kernel module or the current process's image)?"""
        return any(region.contains(address) for region in regions(self.kernel, self.current_process))

    def memory_map(self):
        """The current address space's regions, named (memmap.Region each, lowest first)."""
        from .memmap import live_map
        return live_map(self.kernel, self.current_process, self.cpu.address_space())

    # --- breakpoints ---------------------------------------------------------------------

    def add_breakpoint(self, address: int, process: str | None = None) -> None:
        """Stop before the instruction at `address`: in any address space, or, with
        `process` (a process name such as 'beacon'), only when that process runs it --
        user programs all start at the same addresses."""
        if not is_canonical(address):
            raise MemoryError(f"cannot set a breakpoint at {address:#x} (not a canonical address)")
        self.breakpoints.add(address)
        if process is None:
            self.breakpoint_processes.pop(address, None)
        else:
            self.breakpoint_processes[address] = process
        self._hook(address)

    def remove_breakpoint(self, address: int) -> None:
        """Forget a breakpoint."""
        self.breakpoints.discard(address)
        self.breakpoint_processes.pop(address, None)
        if address not in self._temporary:
            self._unhook(address)

    def _hook(self, address: int) -> None:
        if address not in self._installed:
            self.cpu.add_breakpoint(address)
            self._installed.add(address)

    def _unhook(self, address: int) -> None:
        if address in self._installed:
            self.cpu.remove_breakpoint(address)
            self._installed.discard(address)

    def _rehook_here(self, address: int) -> None:
        """Set the breakpoint at `address` again after stepping over it."""
        self._hook(address)

    def _hook_all(self) -> None:
        for address in self.breakpoints | self._temporary:
            self._hook(address)

    # --- running forward -----------------------------------------------------------------

    def interrupt(self) -> None:
        """Ask a running cont() to stop (thread-safe; checked between time slices)."""
        self._interrupt.set()

    def stepi(self) -> StopEvent:
        """Run exactly one instruction (of whichever process the scheduler runs next)."""
        if self._dead():
            return self._dead_event()
        self.last_stop = self._step_one()
        return self.last_stop

    def cont(self) -> StopEvent:
        """Run until a breakpoint, a held fault, a bugcheck, idle, or interrupt()."""
        if self._dead():
            return self._dead_event()
        self.last_stop = self._cont()
        return self.last_stop

    def nexti(self) -> StopEvent:
        """stepi, but a `call` runs to its return (the same process, the same stack depth)."""
        if self._dead():
            return self._dead_event()
        instruction = self.instruction_at(self.cpu.read("rip"))
        if self.kernel.slice is None or instruction is None or instruction[2] != "call":
            return self.stepi()
        rip, size = instruction[0], instruction[1]
        self.last_stop = self._run_to(rip + size, self.cpu.read("rsp"), self.current_process)
        return self.last_stop

    def finish(self) -> StopEvent:
        """Run until the current function returns to its caller."""
        from .backtrace import backtrace
        if self._dead():
            return self._dead_event()
        frames = backtrace(self)
        if len(frames) < 2:
            raise DebugError("finish: no caller found on the stack")
        caller = frames[1]
        self.last_stop = self._run_to(caller.address, caller.slot + 8, self.current_process)
        return self.last_stop

    def run_to(self, position: int) -> StopEvent:
        """Run forward to `position`, or less far if a breakpoint, a held fault, a bugcheck or
        idle comes first (going back: replay_to)."""
        if self._dead():
            return self._dead_event()
        self._edit_mark = self.position       # every edit so far is already made
        event = self._cont(until=position)
        self.last_stop = event if event is not None else self._event(stops.STEP)
        return self.last_stop

    def _step_one(self) -> StopEvent:
        """Retire one instruction; a breakpoint on it is stepped over (unhooked for that
        instruction only), so no breakpoint can stop a single step."""
        start = self.position
        while True:
            skipped = self._breakpoint_under_rip()
            if skipped is not None:
                self._unhook(skipped)
            try:
                result = self._run_once(limit=1)
            finally:
                if skipped is not None:
                    self._rehook_here(skipped)
            if result in (HELD_FAULT, IDLE, _BUGCHECKED):
                return self._event_for(result)
            if self.position > start:
                return self._event(stops.STEP)
            # A new slice began on a breakpoint (nothing ran): the next round steps over it.

    def _breakpoint_under_rip(self) -> int | None:
        """The hooked address the open slice is about to execute, if any."""
        if self.kernel.slice is None or self.kernel.pending_trap is not None:
            return None
        rip = self.cpu.read("rip")
        return rip if rip in self._installed else None

    def _cont(self, until: int | None = None) -> StopEvent | None:
        """The body of cont (also used by nexti/finish and by reverse_cont's replays).
        With `until` (a replay): run in pieces that end at that position and at the
        positions of the user's edits, make the edits, and return None on arriving."""
        deadline = self.machine.clock.cycles + WATCHDOG_VIRTUAL_SECONDS * 1_000_000_000
        while True:
            if until is not None and self.position >= until:
                return None
            if self._breakpoint_under_rip() is not None:
                stepped = self._step_one()  # resume from a breakpoint: step over it first
                if until is not None:
                    self._catch_up_edits()
                if stepped.reason != stops.STEP:
                    return stepped
                continue
            if until is not None:
                limit = min(until, self._next_edit_after(self.position)) - self.position
            else:
                limit = None
                if self._interrupt.is_set():
                    self._interrupt.clear()
                    return self._event(stops.INTERRUPTED, "interrupted", signal=stops.SIGINT)
                if self.machine.clock.cycles > deadline:
                    return self._event(stops.INTERRUPTED, f"stopped: still busy after {WATCHDOG_VIRTUAL_SECONDS} s "
                                       "of virtual time", signal=stops.SIGINT)
            result = self._run_once(limit)
            if until is not None:
                self._catch_up_edits()
            if result == AT_BREAKPOINT and not self._stops_here(self.cpu.read("rip")):
                continue  # a breakpoint meant for another process: go on
            if result in (AT_BREAKPOINT, HELD_FAULT, IDLE, _BUGCHECKED):
                return self._event_for(result)

    def _stops_here(self, address: int) -> bool:
        """Does the breakpoint at `address` stop the process on the CPU (see add_breakpoint)?"""
        wanted = self.breakpoint_processes.get(address)
        if wanted is None or address in self._temporary:
            return True
        process = self.current_process
        return process is not None and wanted in (process.name, process_label(process) if process.image else None)

    def _run_to(self, address: int, stack_pointer: int, process) -> StopEvent:
        """cont until `address` is reached by `process` with RSP == stack_pointer (a return)."""
        temporary = address not in self._installed
        if temporary:
            self._temporary.add(address)
            self._rehook_here(address)
        try:
            while True:
                event = self._cont()
                arrived = (event.reason == stops.BREAKPOINT and event.address == address
                           and self.current_process is process and self.cpu.read("rsp") == stack_pointer)
                if arrived:
                    return event if address in self.breakpoints else self._event(stops.STEP)
                if event.reason == stops.BREAKPOINT and event.address == address and address not in self.breakpoints:
                    continue  # the same address in another frame or process
                return event
        finally:
            if temporary:
                self._temporary.discard(address)
                if address not in self.breakpoints:
                    self._unhook(address)

    def _run_once(self, limit: int | None = None) -> str:
        """Kernel.run_once, with a bugcheck as a result instead of an exception."""
        try:  # (Kernel.run_once clears stale exception state when a paused slice goes on)
            result = self.kernel.run_once(limit)
        except Bugcheck as bugcheck:
            self.bugcheck = bugcheck
            return _BUGCHECKED
        if result == IDLE:
            if self.program is not None and self.program.on_idle(self.kernel):
                return RAN           # `debug PROG`: the program started (or ended); the machine goes on
            self.idle = True
        else:
            self.checkpoints.consider(self, replaying=self._replaying)
        return result

    def _dead(self) -> bool:
        return self.bugcheck is not None or self.idle

    def _dead_event(self) -> StopEvent:
        """Asked to run a machine that has stopped for good: say so again."""
        return self._event_for(_BUGCHECKED if self.bugcheck is not None else IDLE)

    # --- code -------------------------------------------------------------------------

    def instruction_at(self, address: int):
        """(address, size, mnemonic, operands) of the instruction at `address`, or None if unreadable."""
        found = self.disassemble(address, 1)
        return found[0] if found else None

    def disassemble(self, address: int, count: int) -> list[tuple[int, int, str, str]]:
        """Up to `count` instructions from `address` (fewer where memory ends)."""
        code = b""
        for length in (16 * count, 0x1000 - (address & 0xFFF)):
            try:
                code = self.read_memory(address, length)
                break
            except MemoryError:
                continue
        return decode.disassemble(code, address, count) if code else []

    # --- stop events --------------------------------------------------------------------

    def _event_for(self, result: str) -> StopEvent:
        """The StopEvent for a run_once() result."""
        if result == _BUGCHECKED:
            bugcheck = self.bugcheck
            return self._event(stops.BUGCHECK, f"bugcheck: {bugcheck}", trap=bugcheck.trap, bugcheck=bugcheck,
                               signal=stops.SIGSEGV)
        if result == IDLE:
            return self._event(stops.IDLE, "the machine is idle: nothing left to run", signal=stops.EXITED)
        if result == HELD_FAULT:
            process, trap = self.kernel.pending_trap
            return self._event(stops.FAULT, f"{process}: {trap.summary()} (held: not yet delivered)", trap=trap,
                               signal=signal_for_trap(trap))
        if result == AT_BREAKPOINT:
            return self._event(stops.BREAKPOINT)
        return self._event(stops.STEP)

    def _event(self, reason: str, description: str = "", *, trap=None, bugcheck=None,
               signal: int = stops.SIGTRAP) -> StopEvent:
        rip = self.cpu.read("rip")
        if not description:
            description = f"{reason} at {rip:#x} <{self.symbolize(rip)}>"
        return StopEvent(reason, rip, trap, bugcheck, signal, description, self.position)
