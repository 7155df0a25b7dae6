"""DebugTarget: one SimpleOS machine under a debugger -- run, stop, inspect, and go back in time.

This is the contract the command interpreter (commands.py) and the gdb
remote stub (debug/gdb/) are written against. It boots the machine of
`simpleos boot` on a RAM copy of the machine's disk and holds it at
position 0 (no instruction run yet). Then:

  stepi / nexti / finish / cont    run forward, one instruction or until a stop
                                   (running.py)
  reverse_stepi / reverse_cont     run backward (timetravel.py): from the
                                   nearest checkpoint (checkpoints.py) --
                                   at worst the one taken at power-on --
                                   run forward to the earlier position
  add_breakpoint / ...             where to stop (breakpoints.py)
  registers / read_memory / ...    inspect and change the stopped machine (here)

Positions are Kernel.instructions_retired: instructions since power-on.
The session boots once: _power_on keeps that machine, before its first
time slice, as the power-on checkpoint, and a later power-on (a replay
from position 0) puts it back -- a boot again only where the kernel's
state cannot be copied. `replays` counts those replays from position 0,
`boots` the machines booted.
Breakpoints are addresses in the CPU's native instruction counter
(CPU.add_breakpoint), not unicorn hooks; the target never installs a
per-instruction hook, so `cont` runs at full speed. Watchpoints (watch.py,
mixed in) are memory hooks on the watched bytes only, installed only while
there are watchpoints. This module holds the machine, its state and its
stop events; it must not decide what a fault
means (the kernel does, when the next stepi/cont delivers a trap held by
--break-on-fault), nor print.
"""
from __future__ import annotations

import threading
from typing import Callable

from ..assembler import Image
from ..isolation import model_named
from ..kernel.bugcheck import Bugcheck
from ..kernel.kernel import AT_BREAKPOINT, HELD_FAULT, IDLE
from ..machine import decode
from ..machine.layout import is_canonical
from ..system import BootOptions
from . import stops
from .breakpoints import Breakpoints
from .checkpoints import CheckpointStore
from .guestmem import read_virtual, write_virtual
from .poweron import ConsoleEcho, power_on
from .program import DebuggedProgram
from .running import RunningForward
from .snapshot import snapshot_of_home
from .stops import DebugError, StopEvent, signal_for_trap
from .symbols import lookup, regions, symbolize
from .timetravel import _BUGCHECKED, Edit
from .watch import WATCHED, Watchpoints

REGISTER_NAMES = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags",
                  "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base", "cr0", "cr2", "cr3", "cr4"]
_CPU_NAME = {"eflags": "rflags"}

# Target states.
RUNNABLE, IDLE_STATE, BUGCHECK_STATE = "running-able", "idle", "bugcheck"


__all__ = ["BUGCHECK_STATE", "DebugError", "DebugTarget", "IDLE_STATE", "REGISTER_NAMES", "RUNNABLE"]


class DebugTarget(RunningForward, Breakpoints, Watchpoints):
    """The debuggable machine (see the module docstring)."""

    def __init__(self, options: BootOptions, break_on_fault: bool = False, *,
                 on_power_on: Callable[[object], None] | None = None, program: Image | None = None,
                 on_program_start: Callable[[object], None] | None = None) -> None:
        """`on_power_on(kernel)`, if given, runs after init is spawned at power-on, e.g. to
        spawn an extra program: what it does is in the power-on checkpoint that replays from
        the start put back; where none could be taken it runs at each of those replays' boots,
        so it must be deterministic.
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
        self.replays = 0                          # time-travel replays from position 0 (for the curious)
        self.boots = 0                            # machines booted: 1, or more where no power-on checkpoint
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
        """The machine at position 0, breakpoints not yet hooked. The session's first power-on
        boots a fresh machine from the disk snapshot and keeps it, before its first slice, as
        the power-on checkpoint (checkpoints.py); every later one (a replay from the start)
        puts that back -- the same machine, byte for byte -- or, where the state could not be
        copied, boots again."""
        origin = self.checkpoints.power_on
        if origin is not None:
            self._unhook_all()                 # the breakpoints of the CPU, as after a boot
            self.checkpoints.restore(self, origin)
        else:
            self._boot()
            if self.boots == 1:
                self.checkpoints.take_power_on(self)
        self.kernel.stop_on_fault = self.break_on_fault
        self.bugcheck: Bugcheck | None = None
        self.idle = False
        self._watch_power_on()
        # Put the first process on the CPU without running anything (a zero-instruction slice
        # start, as the scheduler's first step would): position 0 then shows real registers.
        self._run_once(limit=0)

    def _boot(self) -> None:
        """A fresh machine from the disk snapshot, between slices before the first one: PROG
        not started, `on_power_on` done, no breakpoint in its CPU."""
        if getattr(self, "machine", None) is not None:
            self.machine.power_off()        # the machine of the previous power-on is gone
        powered = power_on(self.snapshot, self.options, echo=ConsoleEcho(self))
        self.machine, self.kernel, self.fs = powered.machine, powered.kernel, powered.fs
        self.boots += 1
        if self.program is not None:
            self.program.powered_on()
        if self.on_power_on is not None:
            self.on_power_on(self.kernel)
        self._installed = set()

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

    def code_contains(self, address: int) -> bool:
        """Is `address` inside known code (a kernel module or the current process's image)?"""
        return any(region.contains(address) for region in regions(self.kernel, self.current_process))

    def memory_map(self):
        """The current address space's regions, named (memmap.Region each, lowest first)."""
        from .memmap import live_map
        return live_map(self.kernel, self.current_process, self.cpu.address_space())

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
        if result == WATCHED:
            return self._watch_event()
        return self._event(stops.STEP)

    def _event(self, reason: str, description: str = "", *, trap=None, bugcheck=None,
               signal: int = stops.SIGTRAP) -> StopEvent:
        rip = self.cpu.read("rip")
        if not description:
            description = f"{reason} at {rip:#x} <{self.symbolize(rip)}>"
        return StopEvent(reason, rip, trap, bugcheck, signal, description, self.position)
