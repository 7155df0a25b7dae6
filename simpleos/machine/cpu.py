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
from dataclasses import dataclass
from typing import Callable

from unicorn import (UC_ARCH_X86, UC_ERR_INSN_INVALID, UC_HOOK_CODE, UC_HOOK_INSN, UC_HOOK_INSN_INVALID, UC_HOOK_INTR,
                     UC_MODE_64, Uc, UcError)
from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib as _uclib

from . import decode, emulate
from .exception_state import clear_old_exception, raised_by_int_instruction
from .gdt import gdt_bytes
from .icount import InstructionCounter
from .layout import GDT_PHYS, KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR, phys_to_virt
from .memory import PhysicalMemory
from .paging import AddressSpace
from .trap import DEBUG, EXCEPTION, GENERAL_PROTECTION, INVALID_OPCODE, MACHINE_CHECK, PAGE_FAULT, SYSCALL, Trap

# The address emu_start runs "until": never reached; slices end by budget or trap.
_NEVER = 0xFFFF_FFFF_FFFF_F000

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


class CPU:
    """One x86-64 core with its RAM, in 64-bit long mode with paging."""

    def __init__(self) -> None:
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self.uc.ctl_set_cpu_model(CPU_MODEL)
        self.uc.ctl_set_tcg_buffer_size(TRANSLATION_BUFFER_BYTES)
        self.memory = PhysicalMemory(self.uc)
        self.counter = InstructionCounter(self.uc)
        self.on_syscall: Callable[[], None] | None = None  # set by the kernel
        # What rdtsc and rdrand return (emulate.py); the kernel supplies virtual time and its
        # seeded generator. The defaults keep a bare CPU deterministic too.
        self.time_stamp: Callable[[], int] = lambda: self.retired
        self.random_word: Callable[[], int] = lambda: 0
        self._trap: Trap | None = None
        self._stop_requested = False
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
        self._breakpoint_hooks: dict[int, int] = {}
        self.breakpoint_hit: int | None = None
        self._stale_exception_state = False     # True once a slice has run since the last restore
        names = ("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9")
        self._syscall_ids = (ctypes.c_int * 7)(*(_REGISTER_IDS[n] for n in names))
        self._syscall_values = [ctypes.c_uint64() for _ in names]
        self._syscall_pointers = (ctypes.c_void_p * 7)(*(ctypes.cast(ctypes.pointer(v), ctypes.c_void_p)
                                                         for v in self._syscall_values))

    def close(self) -> None:
        """Power off: free the emulator (its RAM and translation buffer) now, not whenever
        Python's cycle collector gets to it. The CPU must not be used afterwards."""
        if self.uc is None:
            return
        release = getattr(self.uc, "_Uc__finalizer", None)   # the binding's own uc_close, run once
        if release is not None:
            release()
        self.uc = None

    # --- setting up the processor ------------------------------------------------

    def enable_long_mode(self, kernel_space: AddressSpace) -> None:
        """GDT, PAE paging with NX and write-protect, 64-bit mode, CPL 0."""
        self.memory.write(GDT_PHYS, gdt_bytes())
        self.uc.reg_write(X.UC_X86_REG_GDTR, (0, phys_to_virt(GDT_PHYS), len(gdt_bytes()) - 1, 0))
        self.uc.reg_write(X.UC_X86_REG_CR3, kernel_space.root)
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
        """Read a register by name ('rax', 'rip', 'cr3', ...)."""
        return self.uc.reg_read(_REGISTER_IDS[name])

    def write(self, name: str, value: int) -> None:
        """Write a register by name. Writing 'cr3' switches address space and flushes the TLB;
        writing 'cr2' sets the last page-fault address (see `cr2`)."""
        self.uc.reg_write(_REGISTER_IDS[name], value)
        if name == "cr2":
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
        return tuple(value.value for value in self._syscall_values)

    def read_all(self) -> dict[str, int]:
        """All general registers, RIP and RFLAGS."""
        return {name: self.uc.reg_read(_REGISTER_IDS[name]) for name in GENERAL_REGISTERS}

    @property
    def cpl(self) -> int:
        """Current privilege level (the RPL bits of CS after a real ring change)."""
        return self.uc.reg_read(X.UC_X86_REG_CS) & 3

    def save_context(self):
        """Snapshot registers, including hidden CPL state (a thread's saved context)."""
        return self.uc.context_save()

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
        self.uc.reg_write(X.UC_X86_REG_CR3, cr3 if cr3 is not None else self.uc.reg_read(X.UC_X86_REG_CR3))
        self._stale_exception_state = False

    def descriptor_table(self) -> tuple[int, int]:
        """GDTR: (base, limit) of the GDT the CPU uses (for debuggers)."""
        _, base, limit, _ = self.uc.reg_read(X.UC_X86_REG_GDTR)
        return base, limit

    def address_space(self) -> AddressSpace:
        """The address space CR3 points at now."""
        return AddressSpace(self.memory, root=self.uc.reg_read(X.UC_X86_REG_CR3))

    def flush_translations(self) -> None:
        """Drop all translated code: needed after code is written behind unicorn's back
        (a debugger patching memory; loading code does it itself, see PhysicalMemory.write_code)."""
        self.uc.ctl_flush_tb()

    # --- running -------------------------------------------------------------------

    def resume(self, budget: int) -> SliceEnd:
        """Run from the current RIP for at most `budget` instructions. A slice that was
        paused (a breakpoint, a single step, a stop inside a hook) goes on with QEMU's
        stale exception state cleared first (exception_state.py). An instruction the
        machine completes itself (emulate.py) is completed here, and the slice goes on."""
        self._trap = None
        self._stop_requested = False
        self.breakpoint_hit = None
        self._retired_before = 0
        while True:
            if self._stale_exception_state:
                self.restore_context(self.save_context())
            self._stale_exception_state = True
            self._emulation = None
            self.counter.arm(budget - self._retired_before)
            try:
                self.uc.emu_start(self.uc.reg_read(X.UC_X86_REG_RIP), _NEVER)
            except UcError as error:
                if self._trap is None and self._emulation is None:
                    self._trap = self._trap_from_error(error)
            retired = self.retired
            if self._emulation is None or self._trap is not None or self._stop_requested:
                break
            emulate.perform(self._emulation, self, self.time_stamp(), self.random_word())
            self._retired_before = retired
            if retired >= budget:
                return SliceEnd(SliceEnd.BUDGET, retired)
        if self._context_before_trap is not None:   # undo what the trapping instruction did
            self.uc.context_restore(self._context_before_trap)
            self._context_before_trap = None
        if self.breakpoint_hit is not None and self._trap is None:
            retired -= 1  # the counter saw the breakpoint's instruction, which did not run
        if self._trap is not None:
            return SliceEnd(SliceEnd.TRAP, retired, self._trap)
        if self._stop_requested or self.breakpoint_hit is not None:
            return SliceEnd(SliceEnd.STOP, retired)
        if self.counter.exhausted:
            return SliceEnd(SliceEnd.BUDGET, retired)
        return SliceEnd(SliceEnd.HALT, retired)

    @property
    def retired(self) -> int:
        """Instructions retired so far in the current slice (exact, also inside a hook)."""
        return self._retired_before + self.counter.retired

    def request_stop(self) -> None:
        """End the current slice right after the system call being handled.
        (Stopping inside the hook leaves QEMU's old_exception set; resume() and
        restore_context clear it, see exception_state.py.)"""
        self._stop_requested = True
        self.uc.emu_stop()

    def add_breakpoint(self, address: int) -> None:
        """Stop before the instruction at `address` (a hook on that address only).
        unicorn decides at translation time which instructions call hooks, so code
        translated before the hook existed would run past it: drop all translations."""
        if address not in self._breakpoint_hooks:
            self._breakpoint_hooks[address] = self.uc.hook_add(UC_HOOK_CODE, self._on_breakpoint, None,
                                                               address, address)
            self.uc.ctl_flush_tb()

    def remove_breakpoint(self, address: int) -> None:
        """Forget a breakpoint."""
        handle = self._breakpoint_hooks.pop(address, None)
        if handle is not None:
            self.uc.hook_del(handle)

    # --- hooks: hardware events become Trap records --------------------------------

    def _on_breakpoint(self, uc, address, size, user_data) -> None:
        self.breakpoint_hit = address
        uc.emu_stop()

    def _on_syscall_instruction(self, uc, user_data) -> None:
        if self.on_syscall is None:
            self._trap = Trap(vector=0, cpl=self.cpl, rip=uc.reg_read(X.UC_X86_REG_RIP), kind=SYSCALL)
            uc.emu_stop()
            return
        self.on_syscall()

    def _on_interrupt(self, uc, vector, user_data) -> None:
        rip = uc.reg_read(X.UC_X86_REG_RIP)
        cpl = uc.reg_read(X.UC_X86_REG_CS) & 3
        uc.emu_stop()
        if vector == GENERAL_PROTECTION and cpl == 3:
            emulated = emulate.decode_emulated(self._code_at(rip))
            if emulated is not None and emulated.kind in ("rdtsc", "rdtscp"):
                self._emulation = emulated           # CR4.TSD: the machine gives the virtual time
                return
        if vector not in emulate.USER_GATES and cpl == 3 and raised_by_int_instruction(uc.context_save()):
            # `int n` through a gate of DPL 0: #GP(n*8+2) at the int instruction, not vector n.
            start = rip - 2 if self._code_at(rip - 2, 2) == bytes([emulate.INT_IMM8, vector]) else rip
            self._trap = Trap(vector=GENERAL_PROTECTION, cpl=cpl, rip=start,
                              error_code=emulate.software_interrupt_gate_error(vector))
            return
        address = error_code = None
        if vector == PAGE_FAULT:
            address = self.page_fault_address = uc.reg_read(X.UC_X86_REG_CR2)
            error_code = self._page_fault_error_code(address, rip, cpl)
        self._trap = Trap(vector=vector, cpl=cpl, rip=rip, address=address, error_code=error_code,
                          kind=EXCEPTION)

    def _on_invalid_instruction(self, uc, user_data) -> bool:
        rip = uc.reg_read(X.UC_X86_REG_RIP)
        cpl = uc.reg_read(X.UC_X86_REG_CS) & 3
        code = self._code_at(rip)
        emulated = emulate.decode_emulated(code)
        if emulated is not None and emulated.kind in ("rdrand", "rdseed"):
            self._emulation = emulated               # the seeded generator, not the host's
        elif code[:1] == bytes([emulate.ICEBP]):
            self._trap = Trap(vector=DEBUG, cpl=cpl, rip=rip + 1)   # int1: a trap, like int3
        else:
            self._trap = Trap(vector=INVALID_OPCODE, cpl=cpl, rip=rip)
        return False

    def _on_port_in(self, uc, port, size, user_data) -> int:
        """`in`/`ins`: a #GP(0) at CPL 3 (IOPL is 0); at CPL 0 there is no device: 0."""
        if uc.reg_read(X.UC_X86_REG_CS) & 3 == 3:
            self._raise_general_protection(uc)
            if emulate.is_port_io(self._code_at(uc.reg_read(X.UC_X86_REG_RIP))) == "in":
                return uc.reg_read(X.UC_X86_REG_RAX) & ((1 << (8 * size)) - 1)   # leave rax as it was
        return 0

    def _on_port_out(self, uc, port, size, value, user_data) -> None:
        """`out`/`outs`: a #GP(0) at CPL 3 (IOPL is 0); at CPL 0 there is no device."""
        if uc.reg_read(X.UC_X86_REG_CS) & 3 == 3:
            self._raise_general_protection(uc)

    def _on_sysenter(self, uc, user_data) -> None:
        """`sysenter` with IA32_SYSENTER_CS = 0 (never set up): #GP(0), as Intel specifies."""
        self._raise_general_protection(uc)

    def _raise_general_protection(self, uc) -> None:
        """Report #GP(0) at the current instruction; the registers it changes are put back
        after the stop (the instruction runs to its end inside unicorn)."""
        rip = uc.reg_read(X.UC_X86_REG_RIP)
        self._trap = Trap(vector=GENERAL_PROTECTION, cpl=uc.reg_read(X.UC_X86_REG_CS) & 3, rip=rip, error_code=0)
        self._context_before_trap = uc.context_save()
        uc.emu_stop()

    def _code_at(self, address: int, length: int = 16) -> bytes:
        """Up to `length` bytes of code at virtual `address` (fewer at a page end; b"" if unmapped)."""
        physical = self.address_space().walk(address).physical
        if physical is None:
            return b""
        return self.memory.read(physical, min(length, 0x1000 - (address & 0xFFF)))

    def _trap_from_error(self, error: UcError) -> Trap:
        rip = self.uc.reg_read(X.UC_X86_REG_RIP)
        cpl = self.cpl
        if error.errno == UC_ERR_INSN_INVALID:
            return Trap(vector=INVALID_OPCODE, cpl=cpl, rip=rip)
        # Anything else -- UC_ERR_*_UNMAPPED when a page table points outside RAM -- is
        # the bus finding nothing where the CPU looked: a machine check.
        return Trap(vector=MACHINE_CHECK, cpl=cpl, rip=rip)

    def _page_fault_error_code(self, address: int, rip: int, cpl: int) -> int:
        """unicorn has no #PF error code register: rebuild it from a page walk
        and from what the faulting instruction does."""
        space = self.address_space()
        user = cpl == 3
        code_walk = space.walk(rip)
        fetch = not code_walk.allows(user=user, fetch=True) or rip <= address < rip + 16 and not \
            space.walk(address).allows(user=user, fetch=True)
        write = False
        if not fetch and code_walk.physical is not None:
            page_left = 0x1000 - (rip & 0xFFF)
            code = self.memory.read(code_walk.physical, min(16, page_left))
            write = decode.fault_was_write(code, rip, address, self.read)
        return space.walk(address).error_code(write=write, user=user, fetch=fetch)

