"""The CPU's hardware-event hooks: unicorn's callbacks turned into Trap records (mixed into CPU).

unicorn reports an exception, an invalid instruction, a `syscall` or port
I/O through a callback in the middle of emu_start. Each callback here
records what happened -- a Trap, an instruction the machine completes
itself (emulate.py), or the registers to put back -- and stops the CPU;
CPU.resume (cpu.py) acts on it after the run. Each also records the RIP of
the instruction it stopped at (`_fault_rip`), because the block counter
counted that instruction's whole block and resume corrects the count from
it. Facts only: what a trap means is the kernel's business.
"""
from __future__ import annotations

from unicorn import UC_ERR_INSN_INVALID, UcError
from unicorn import x86_const as X

from . import decode, emulate
from .exception_state import raised_by_int_instruction
from .layout import NO_ACCESS_PML4_PHYS, PAGE_SIZE
from .trap import (BREAKPOINT, DEBUG, EXCEPTION, GENERAL_PROTECTION, INVALID_OPCODE, MACHINE_CHECK, PAGE_FAULT,
                   SYSCALL, Trap)

_TRAPS = frozenset({DEBUG, BREAKPOINT, 4})     # #DB, #BP, #OF: raised after their instruction


class TrapHooks:
    """unicorn callbacks of the CPU (see the module docstring); CPU supplies uc, memory, cpl..."""

    def _stop_at_fault(self, uc, rip: int, started: bool = True) -> None:
        """Stop the CPU inside a hook at `rip`: a fault of the instruction there (`started`:
        it counts, as it did begin), or a trap raised after the instructions before it."""
        self._fault_rip = (rip, started)
        uc.emu_stop()

    def _on_syscall_instruction(self, uc, user_data) -> None:
        if self._trap is not None:
            return                  # after a port I/O #GP in the same block: it never ran (see below)
        if self.on_syscall is None:
            self._trap = Trap(vector=0, cpl=self.cpl, rip=uc.reg_read(X.UC_X86_REG_RIP), kind=SYSCALL)
            uc.emu_stop()
            return
        self.on_syscall()

    def _on_interrupt(self, uc, vector, user_data) -> None:
        self._stale_exception_state = True     # QEMU remembers it as old_exception (exception_state.py)
        if self._trap is not None:
            uc.emu_stop()           # after a port I/O #GP in the same block: the first trap stands
            return
        rip = uc.reg_read(X.UC_X86_REG_RIP)
        cpl = uc.reg_read(X.UC_X86_REG_CS) & 3
        if vector == GENERAL_PROTECTION and cpl == 3:
            emulated = emulate.decode_emulated(self._code_at(rip))
            if emulated is not None and emulated.kind in ("rdtsc", "rdtscp"):
                self._emulation = emulated           # CR4.TSD: the machine gives the virtual time
                self._stop_at_fault(uc, rip)
                return
        if vector not in emulate.USER_GATES and cpl == 3 and raised_by_int_instruction(uc.context_save()):
            # `int n` through a gate of DPL 0: #GP(n*8+2) at the int instruction, not vector n.
            # (RIP is past the instruction, which ends its block: the count is exact.)
            uc.emu_stop()
            start = rip - 2 if self._code_at(rip - 2, 2) == bytes([emulate.INT_IMM8, vector]) else rip
            self._trap = Trap(vector=GENERAL_PROTECTION, cpl=cpl, rip=start,
                              error_code=emulate.software_interrupt_gate_error(vector))
            return
        # Traps (#DB, #BP, #OF) report RIP past the instruction that raised them; faults, at it.
        self._stop_at_fault(uc, rip, started=vector not in _TRAPS)
        address = error_code = None
        if vector == PAGE_FAULT:
            address = self.page_fault_address = uc.reg_read(X.UC_X86_REG_CR2)
            error_code = self._page_fault_error_code(address, rip, cpl)
        self._trap = Trap(vector=vector, cpl=cpl, rip=rip, address=address, error_code=error_code,
                          kind=EXCEPTION)

    def _on_invalid_instruction(self, uc, user_data) -> bool:
        self._stale_exception_state = True
        if self._trap is not None:
            return False            # the first trap stands
        rip = uc.reg_read(X.UC_X86_REG_RIP)
        cpl = uc.reg_read(X.UC_X86_REG_CS) & 3
        self._fault_rip = (rip, True)
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
        if uc.reg_read(X.UC_X86_REG_CS) & 3 == 3 and self._trap is None:
            self._raise_general_protection(uc)
            if emulate.is_port_io(self._code_at(uc.reg_read(X.UC_X86_REG_RIP))) == "in":
                return uc.reg_read(X.UC_X86_REG_RAX) & ((1 << (8 * size)) - 1)   # leave rax as it was
        return 0

    def _on_port_out(self, uc, port, size, value, user_data) -> None:
        """`out`/`outs`: a #GP(0) at CPL 3 (IOPL is 0); at CPL 0 there is no device."""
        if uc.reg_read(X.UC_X86_REG_CS) & 3 == 3 and self._trap is None:
            self._raise_general_protection(uc)

    def _on_sysenter(self, uc, user_data) -> None:
        """`sysenter` with IA32_SYSENTER_CS = 0 (never set up): #GP(0), as Intel specifies."""
        self._raise_general_protection(uc)

    def _raise_general_protection(self, uc) -> None:
        """Report #GP(0) at the current instruction. unicorn calls these hooks in the middle of
        the instruction and then runs on to the end of its block (a stop takes effect between
        blocks), so: the registers are saved here and put back after the stop (resume), and
        CR3 points at a page table that maps nothing, so that the rest of the block cannot
        touch memory (its first access faults, and the first trap stands)."""
        if self._trap is not None:
            return
        rip = uc.reg_read(X.UC_X86_REG_RIP)
        self._trap = Trap(vector=GENERAL_PROTECTION, cpl=uc.reg_read(X.UC_X86_REG_CS) & 3, rip=rip, error_code=0)
        self._context_before_trap = uc.context_save()
        uc.reg_write(X.UC_X86_REG_CR3, NO_ACCESS_PML4_PHYS)
        self._stop_at_fault(uc, rip)

    def _code_at(self, address: int, length: int = 16) -> bytes:
        """Up to `length` bytes of code at virtual `address` (fewer at a page end; b"" if unmapped)."""
        physical = self.address_space().walk(address).physical
        if physical is None:
            return b""
        return self.memory.read(physical, min(length, PAGE_SIZE - (address & (PAGE_SIZE - 1))))

    def _code_between(self, start: int, end: int) -> bytes:
        """The code bytes of [start, end), page by page (b"" short where a page is unmapped)."""
        pieces, address = [], start
        while address < end:
            piece = self._code_at(address, min(end - address, PAGE_SIZE))
            if not piece:
                break
            pieces.append(piece)
            address += len(piece)
        return b"".join(pieces)

    def _trap_from_error(self, error: UcError) -> Trap:
        rip = self.uc.reg_read(X.UC_X86_REG_RIP)
        cpl = self.cpl
        self._fault_rip = (rip, True)
        self._stale_exception_state = True
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
            page_left = PAGE_SIZE - (rip & (PAGE_SIZE - 1))
            code = self.memory.read(code_walk.physical, min(16, page_left))
            write = decode.fault_was_write(code, rip, address, self.read)
        return space.walk(address).error_code(write=write, user=user, fetch=fetch)
