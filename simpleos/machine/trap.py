"""Trap records: what the CPU reports when an exception or system call happens.

Every exception and every `syscall` becomes a Trap: vector, name, the CPL it
happened at, RIP, the faulting address (CR2) and, for #PF, the error code.
A Trap is a fact about the hardware; what it *means* (kill a process, bug-
check the machine) is decided by the kernel's on_fault.
"""
from __future__ import annotations


from ..record import dataclass
from .paging import PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE

# vector -> (mnemonic, description), Intel SDM vol. 3, table 6-1.
VECTORS = {
    0: ("#DE", "divide error"),
    1: ("#DB", "debug"),
    2: ("NMI", "non-maskable interrupt"),
    3: ("#BP", "breakpoint"),
    4: ("#OF", "overflow"),
    5: ("#BR", "bound range exceeded"),
    6: ("#UD", "invalid opcode"),
    7: ("#NM", "device not available"),
    8: ("#DF", "double fault"),
    10: ("#TS", "invalid TSS"),
    11: ("#NP", "segment not present"),
    12: ("#SS", "stack-segment fault"),
    13: ("#GP", "general protection"),
    14: ("#PF", "page fault"),
    16: ("#MF", "x87 floating-point error"),
    17: ("#AC", "alignment check"),
    18: ("#MC", "machine check"),
    19: ("#XM", "SIMD floating-point exception"),
}
DIVIDE_ERROR, DEBUG, BREAKPOINT, INVALID_OPCODE, GENERAL_PROTECTION, PAGE_FAULT = 0, 1, 3, 6, 13, 14
MACHINE_CHECK = 18

# RFLAGS bits a trap frame carries (Intel SDM vol. 1, 3.4.3).
RFLAGS_FIXED = 1 << 1          # always 1
RFLAGS_IF = 1 << 9             # interrupts enabled

SYSCALL = "syscall"     # Trap.kind for a system call
EXCEPTION = "exception"  # Trap.kind for a CPU exception or software interrupt


def vector_name(vector: int) -> str:
    """'#PF' for 14; 'INT 0x80' for software interrupts without a name."""
    return VECTORS.get(vector, (f"INT {vector:#x}", "software interrupt"))[0]


def vector_description(vector: int) -> str:
    """'page fault' for 14."""
    return VECTORS.get(vector, ("", "software interrupt"))[1]


def describe_selector_error(code: int) -> str:
    """A #GP/#TS/#NP/#SS error code in words: 'IDT entry 14' (Intel SDM vol. 3, 6.13)."""
    where = "IDT entry" if code & 2 else ("LDT selector" if code & 4 else "GDT selector")
    index = code >> 3
    return f"{where} {index}" + (" (external)" if code & 1 else "")


def describe_error_code(code: int) -> str:
    """A #PF error code in words: 'user read, protection violation'."""
    who = "user" if code & PF_USER else "kernel"
    what = "instruction fetch" if code & PF_FETCH else ("write" if code & PF_WRITE else "read")
    why = "protection violation" if code & PF_PRESENT else "page not present"
    return f"{who} {what}, {why}"


@dataclass(frozen=True)
class Trap:
    """One exception or system call, as the CPU saw it."""
    vector: int
    cpl: int
    rip: int
    address: int | None = None       # CR2 for #PF
    error_code: int | None = None    # #PF error code (derived from a page walk)
    kind: str = EXCEPTION

    @property
    def name(self) -> str:
        """Mnemonic such as '#PF'."""
        return "SYSCALL" if self.kind == SYSCALL else vector_name(self.vector)

    @property
    def description(self) -> str:
        """Words such as 'page fault'."""
        return "system call" if self.kind == SYSCALL else vector_description(self.vector)

    @property
    def is_write(self) -> bool:
        """For #PF: was the access a write?"""
        return bool(self.error_code and self.error_code & PF_WRITE)

    @property
    def is_fetch(self) -> bool:
        """For #PF: was the access an instruction fetch?"""
        return bool(self.error_code and self.error_code & PF_FETCH)

    def summary(self, symbol: str | None = None, source: str | None = None) -> str:
        """One line: 'trap 14 #PF (page fault) rip 0x... <symbol> addr 0x... err 0x5 [user read, ...]'
        (`symbol`, if given, names the code at RIP, e.g. '_start+0x12'; `source` its line, 'kread.c:19')."""
        text = f"trap {self.vector} {self.name} ({self.description}) rip {self.rip:#x}"
        if symbol:
            text += f" <{symbol}>"
        if source:
            text += f" ({source})"
        if self.address is not None:
            text += f" addr {self.address:#x}"
        if self.error_code is not None and self.vector == PAGE_FAULT:
            text += f" err {self.error_code:#x} [{describe_error_code(self.error_code)}]"
        elif self.error_code:
            text += f" err {self.error_code:#x} [{describe_selector_error(self.error_code)}]"
        return text
