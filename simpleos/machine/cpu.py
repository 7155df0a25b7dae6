"""The CPU: an x86-64 core in long mode, emulated by unicorn.

It runs guest code for one time slice at a time and turns whatever stopped
it into a fact the kernel can act on: the budget ran out, a system call
asked to stop, or an exception (a Trap record). Paging, privilege levels and
NX are enforced by the emulated MMU; nothing here pretends to be the CPU in
Python. Verified unicorn behaviour this relies on: docs/unicorn-notes.md.

Policy lives elsewhere: this file never decides what a trap means.
"""
from __future__ import annotations

import copy
import ctypes
from typing import Callable

from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UC_MODE_64, Uc, UcError
from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib as _uclib

from ..record import dataclass
from . import emulate
from .blockpos import BlockPositions
from .exception_state import clear_old_exception
from .gdt import gdt_bytes
from .icount import (STOP_BREAKPOINT, STOP_BREAKPOINT_BLOCK, STOP_NONE, STOP_TAIL_DONE, InstructionCounter)
from .layout import GDT_PHYS, KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR, phys_to_virt
from .memory import PhysicalMemory
from .paging import AddressSpace
from .trap import Trap
from .traphooks import TrapHooks


EFER_MSR = 0xC0000080
EFER_SCE, EFER_LME, EFER_LMA, EFER_NXE = 1 << 0, 1 << 8, 1 << 10, 1 << 11
CR0_PE, CR0_WP, CR0_PG = 1 << 0, 1 << 16, 1 << 31
CR4_TSD, CR4_PAE, CR4_PGE = 1 << 2, 1 << 5, 1 << 7
# A CPU model without RDRAND/RDSEED, so that they trap and the machine can complete them
# deterministically (emulate.py); otherwise an x86-64 of the Sandy Bridge class.
CPU_MODEL = X.UC_CPU_X86_SANDYBRIDGE
# unicorn reserves 1 GiB for translated code by default; SimpleOS's guest code is a few
# hundred KiB, and a full buffer is simply flushed. Small, so thousands of boots fit.
TRANSLATION_BUFFER_BYTES = 16 << 20

_U64 = (1 << 64) - 1
_RAX = X.UC_X86_REG_RAX
GENERAL_REGISTERS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"]
_REGISTER_IDS = {
    **{name: getattr(X, f"UC_X86_REG_{name.upper()}") for name in GENERAL_REGISTERS},
    "cs": X.UC_X86_REG_CS, "ss": X.UC_X86_REG_SS, "ds": X.UC_X86_REG_DS, "es": X.UC_X86_REG_ES,
    "fs": X.UC_X86_REG_FS, "gs": X.UC_X86_REG_GS,
    "cr0": X.UC_X86_REG_CR0, "cr2": X.UC_X86_REG_CR2, "cr3": X.UC_X86_REG_CR3, "cr4": X.UC_X86_REG_CR4,
    "fs_base": X.UC_X86_REG_FS_BASE, "gs_base": X.UC_X86_REG_GS_BASE,
}


@dataclass(frozen=True)
class SliceEnd:
    """Why a time slice ended, and how many instructions it ran."""
    reason: str                  # "budget" | "stop" | "trap" | "halt"
    retired: int
    trap: Trap | None = None

    BUDGET, STOP, TRAP, HALT = "budget", "stop", "trap", "halt"


class CPU(TrapHooks, BlockPositions):
    """One x86-64 core with its RAM, in 64-bit long mode with paging."""

    def __init__(self) -> None:
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self.uc.ctl_set_cpu_model(CPU_MODEL)
        self.uc.ctl_set_tcg_buffer_size(TRANSLATION_BUFFER_BYTES)
        # No exit address: a run ends only by the counter, a trap or a stop. (With an `until`
        # address, every emu_start ends by probing that address through the MMU, which raises
        # a #PF inside QEMU and leaves the stale old_exception of exception_state.py behind.)
        self.uc.ctl_exits_enabled(True)
        self.memory = PhysicalMemory(self.uc)
        self.counter = InstructionCounter(self.uc)
        self.memory.translation_listeners.append(self.counter.forget_blocks)
        self.on_syscall: Callable[[], None] | None = None  # set by the kernel
        # What rdtsc and rdrand return (emulate.py); the kernel supplies virtual time and its
        # seeded generator. The defaults keep a bare CPU deterministic too.
        self.time_stamp: Callable[[], int] = lambda: self.retired
        self.random_word: Callable[[], int] = lambda: 0
        self._trap: Trap | None = None
        self._stop_requested = self._pause_requested = False
        self._emulation: emulate.Emulated | None = None      # an instruction to complete, then go on
        self._context_before_trap = None                     # registers before a machine-raised #GP
        self._retired_before = 0                             # retired in earlier legs of this slice
        # CR2 as the hardware keeps it: the address of the last #PF, until the next one (0 after
        # reset). unicorn's own CR2 register does not hold it (docs/unicorn-notes.md, note 3).
        self.page_fault_address = 0
        self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self.uc.hook_add(UC_HOOK_INSN_INVALID, self._on_invalid_instruction)
        self.uc.hook_add(UC_HOOK_INSN, self._on_syscall_instruction, None, 1, 0, X.UC_X86_INS_SYSCALL)
        self.uc.hook_add(UC_HOOK_INSN, self._on_port_in, None, 1, 0, X.UC_X86_INS_IN)
        self.uc.hook_add(UC_HOOK_INSN, self._on_port_out, None, 1, 0, X.UC_X86_INS_OUT)
        self.uc.hook_add(UC_HOOK_INSN, self._on_sysenter, None, 1, 0, X.UC_X86_INS_SYSENTER)
        self._breakpoints: set[int] = set()
        self._fault_rip: tuple[int, bool] | None = None     # where a hook stopped a leg (traphooks.py)
        self.breakpoint_hit: int | None = None
        self._stale_exception_state = False     # True once an exception reached a hook (traphooks.py)
        self._register_value = ctypes.c_uint64()
        names = ("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9")
        self._syscall_ids = (ctypes.c_int * 7)(*(_REGISTER_IDS[n] for n in names))
        self._syscall_values = (ctypes.c_uint64 * 7)()
        self._syscall_pointers = (ctypes.c_void_p * 7)(*(ctypes.addressof(self._syscall_values) + 8 * i
                                                         for i in range(7)))
        self._result = ctypes.c_uint64()

    def close(self) -> None:
        """Power off: free the emulator (its RAM and translation buffer) now, not whenever
        Python's cycle collector gets to it. The CPU must not be used afterwards."""
        if self.uc is None:
            return
        release = getattr(self.uc, "_Uc__finalizer", None)   # the binding's own uc_close, run once
        if release is not None:
            release()
            self.memory.close()                               # the RAM, which unicorn borrowed
        self.uc = None

    # --- setting up the processor ------------------------------------------------

    def enable_long_mode(self, kernel_space: AddressSpace) -> None:
        """GDT, PAE paging with NX and write-protect, 64-bit mode, CPL 0."""
        self.memory.write(GDT_PHYS, gdt_bytes())
        self.uc.reg_write(X.UC_X86_REG_GDTR, (0, phys_to_virt(GDT_PHYS), len(gdt_bytes()) - 1, 0))
        self.write("cr3", kernel_space.root)
        self.uc.reg_write(X.UC_X86_REG_CR4, CR4_PAE | CR4_PGE | CR4_TSD)
        self.uc.msr_write(EFER_MSR, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
        self.uc.reg_write(X.UC_X86_REG_CR0, CR0_PE | CR0_WP | CR0_PG)
        for segment in ("ss", "ds", "es"):
            self.uc.reg_write(_REGISTER_IDS[segment], KERNEL_DATA_SELECTOR)
        # The selector only (in 64-bit mode this does not change the CPL): so that
        # ring-0 contexts show CS = 0x08 in dumps and debuggers, as on real hardware.
        self.uc.reg_write(_REGISTER_IDS["cs"], KERNEL_CODE_SELECTOR)

    # --- registers and contexts ----------------------------------------------------

    def read(self, name: str) -> int:
        """Read a register by name ('rax', 'rip', 'cr3', ...). (One raw call into unicorn: the
        binding's reg_read works out the register's type in Python first, ~2 us a call.)"""
        value = self._register_value
        value.value = 0
        status = _uclib.uc_reg_read(self.uc._uch, _REGISTER_IDS[name], ctypes.byref(value))
        if status != 0:
            raise RuntimeError(f"uc_reg_read({name}) failed ({status})")
        return value.value

    def write(self, name: str, value: int) -> None:
        """Write a register by name. Writing 'cr3' switches address space and flushes the TLB;
        writing 'cr2' sets the last page-fault address (see `cr2`)."""
        register = self._register_value
        register.value = value & _U64
        status = _uclib.uc_reg_write(self.uc._uch, _REGISTER_IDS[name], ctypes.byref(register))
        if status != 0:
            raise RuntimeError(f"uc_reg_write({name}) failed ({status})")
        if name == "cr3":
            self.counter.set_space(value)
        elif name == "cr2":
            self.page_fault_address = value

    @property
    def cr2(self) -> int:
        """CR2: the linear address of the last page fault (kept by the fault path, not read
        from unicorn, whose CR2 register is overwritten after the fault hook)."""
        return self.page_fault_address

    def read_syscall_registers(self) -> tuple[int, ...]:
        """rax, rdi, rsi, rdx, r10, r8, r9 in one call into unicorn (the syscall
        path's hot spot: seven separate reads cost ~12 us, this one ~1.5 us)."""
        status = _uclib.uc_reg_read_batch(self.uc._uch, self._syscall_ids, self._syscall_pointers, 7)
        if status != 0:
            raise RuntimeError(f"uc_reg_read_batch failed ({status})")
        return tuple(self._syscall_values[:])      # (a slice of a ctypes array: 5x faster than iterating it)

    def set_syscall_result(self, value: int) -> None:
        """rax = value (the end of every system call; one raw call)."""
        self._result.value = value & _U64
        status = _uclib.uc_reg_write(self.uc._uch, _RAX, ctypes.byref(self._result))
        if status != 0:
            raise RuntimeError(f"uc_reg_write(rax) failed ({status})")

    def read_all(self) -> dict[str, int]:
        """All general registers, RIP and RFLAGS."""
        return {name: self.read(name) for name in GENERAL_REGISTERS}

    @property
    def cpl(self) -> int:
        """Current privilege level (the RPL bits of CS after a real ring change)."""
        return self.read("cs") & 3

    def save_context(self, into=None):
        """Snapshot registers, including hidden CPL state (a thread's saved context). `into`:
        a saved context of this CPU that nothing else needs any more, overwritten and returned
        (no new context allocated: a thread switch saves one per time slice)."""
        if into is None:
            return self.uc.context_save()
        self.uc.context_update(into)
        return into

    def derive_context(self, template, registers: dict[str, int]):
        """A new saved context: a copy of `template` with some registers changed.
        Works without touching the running CPU (safe inside a system call).
        Not for CR3: unicorn would flush a TLB that is not there (it crashes);
        pass the address space to restore_context instead."""
        context = copy.copy(template)
        for name, value in registers.items():
            context.reg_write(_REGISTER_IDS[name], value)
        return context

    def restore_context(self, context, cr3: int | None = None) -> None:
        """Load a saved context, in address space `cr3` (default: the saved one).
        CR3 is always rewritten so the TLB is flushed: unicorn's context_restore
        alone keeps the previous address space's translations."""
        clear_old_exception(context)  # see exception_state.py: else the next #PF becomes a #DF
        self.uc.context_restore(context)
        self.write("cr3", cr3 if cr3 is not None else self.read("cr3"))
        self._stale_exception_state = False

    def load_registers(self, saved: bytes) -> None:
        """Load registers saved as bytes(save_context()) (machine/ramstate.py), in their CR3."""
        context = self.uc.context_save()
        if len(saved) != context.size:
            raise ValueError(f"a saved context of {len(saved)} bytes does not fit this CPU ({context.size})")
        ctypes.memmove(context.context.value, saved, len(saved))
        self.restore_context(context)

    def descriptor_table(self) -> tuple[int, int]:
        """GDTR: (base, limit) of the GDT the CPU uses (for debuggers)."""
        _, base, limit, _ = self.uc.reg_read(X.UC_X86_REG_GDTR)
        return base, limit

    def address_space(self) -> AddressSpace:
        """The address space CR3 points at now."""
        return AddressSpace(self.memory, root=self.read("cr3"))

    def flush_translations(self) -> None:
        """Drop all translated code and the counter's block counts: needed after code is written
        behind unicorn's back (a debugger patching memory; loading code does it itself, see
        PhysicalMemory.write_code)."""
        self.memory.drop_translations()

    # --- running -------------------------------------------------------------------

    def resume(self, budget: int) -> SliceEnd:
        """Run from the current RIP for at most `budget` instructions. A slice that was
        paused (a breakpoint, a single step, a stop inside a hook) goes on with QEMU's
        stale exception state cleared first (exception_state.py). An instruction the
        machine completes itself (emulate.py) is completed here, and the slice goes on.
        The run is made of legs: whole blocks are counted natively (icount.py); a block
        that would pass the budget, or holds a breakpoint, is run alone in a tail leg,
        instruction by instruction, so that the slice stops at the exact instruction."""
        self._trap = None
        self._stop_requested = self._pause_requested = False
        self.breakpoint_hit = None
        self._retired_before = 0
        tail = None                    # (address, size) of a block to run instruction by instruction
        while True:
            self._run_leg(budget - self._retired_before, tail)
            tail = None
            retired = self.retired
            if self._trap is not None or self._stop_requested or self._pause_requested:
                break
            if self._emulation is not None:
                emulate.perform(self._emulation, self, self.time_stamp(), self.random_word())
                self._retired_before = retired
                if retired >= budget:
                    return SliceEnd(SliceEnd.BUDGET, retired)
                continue
            reason = self.counter.stop_reason
            if reason == STOP_NONE or retired >= budget:
                break                                  # halted, or the budget is spent
            address, size = self.counter.stopped_at
            if reason == STOP_BREAKPOINT or (reason == STOP_BREAKPOINT_BLOCK and address in self._breakpoints):
                self.breakpoint_hit = address          # before its instruction: nothing of it ran
                break
            self._retired_before = retired
            if reason != STOP_TAIL_DONE:
                tail = (address, size)
        if self._trap is not None:
            return SliceEnd(SliceEnd.TRAP, retired, self._trap)
        if self._stop_requested or self.breakpoint_hit is not None:
            return SliceEnd(SliceEnd.STOP, retired)
        if retired >= budget or self._pause_requested:
            return SliceEnd(SliceEnd.BUDGET, retired)      # (paused: as if the budget were spent)
        return SliceEnd(SliceEnd.HALT, retired)

    def _run_leg(self, budget: int, tail: tuple[int, int] | None) -> None:
        """One emu_start: whole blocks, or (`tail`) one block instruction by instruction.
        A fault in the middle of a whole block takes back the block's instructions after
        the faulting one, so the count is exact when resume() and the kernel read it."""
        if self._stale_exception_state:
            self._clear_stale_exception_state()
        self._emulation = None
        self._fault_rip = None
        self.counter.arm(budget)
        if tail is not None:
            self.counter.begin_tail(*tail)
        try:
            self.uc.emu_start(self.read("rip"), 0)
        except UcError as error:
            if self._trap is None and self._emulation is None:
                self._trap = self._trap_from_error(error)
        finally:
            if self._context_before_trap is not None:   # undo what the trapping instruction did
                self.uc.context_restore(self._context_before_trap)
                self._context_before_trap = None
                self.write("cr3", self.read("cr3"))    # and drop the TLB of the no-access space
            if tail is not None:
                self.counter.end_tail()                # (after: the saved context has RFLAGS.RF set)
        if self._fault_rip is not None and tail is None:
            self._uncount_rest_of_block(*self._fault_rip)

    def _clear_stale_exception_state(self) -> None:
        """An exception handed to a hook leaves QEMU's old_exception set: clear it in place
        (the same address space goes on, so the TLB stays valid; exception_state.py)."""
        context = self.uc.context_save()
        clear_old_exception(context)
        self.uc.context_restore(context)
        self._stale_exception_state = False

    @property
    def retired(self) -> int:
        """Instructions retired so far in the current slice (exact, also inside a hook)."""
        return self._retired_before + self.counter.retired

    def request_stop(self) -> None:
        """End the current slice right after the system call being handled (`syscall` ends
        its block, so the stop takes effect before the next instruction)."""
        self._stop_requested = True
        self.uc.emu_stop()

    def add_breakpoint(self, address: int) -> None:
        """Stop before the instruction at `address`, in any address space. A breakpoint is
        an address in the native counter's array, not a unicorn hook: code elsewhere runs
        at full speed, and the block holding it runs alone up to it (resume)."""
        if address not in self._breakpoints:
            self._breakpoints.add(address)
            self.counter.set_breakpoints(self._breakpoints)

    def remove_breakpoint(self, address: int) -> None:
        """Forget a breakpoint."""
        if address in self._breakpoints:
            self._breakpoints.discard(address)
            self.counter.set_breakpoints(self._breakpoints)
