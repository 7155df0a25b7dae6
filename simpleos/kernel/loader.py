"""The program loader: find a program, assemble it, and lay out its first moments at ring 3.

User programs are `.asm` sources in userland/ (the /bin of this system),
assembled at USER_TEXT_BASE with every SYS_* number defined. A new
process's first context is a *ring-0* context at the kernel's `user_entry`
trampoline (entry.asm) whose stack holds an iretq frame: the first
instruction it "runs" drops the CPU to CPL 3 for real. This module builds
images and frames; it does not schedule or decide anything.
"""
from __future__ import annotations


from ..assembler import Image, assemble_file
from ..machine.layout import PAGE_SIZE, USER_CODE_SELECTOR, USER_DATA_SELECTOR, USER_TEXT_BASE, phys_to_virt
from ..machine.trap import RFLAGS_FIXED, RFLAGS_IF
from ..record import dataclass
from ..resources import userland_dir
from .syscalls import SYSCALL_NUMBERS

MAX_ARGUMENT = 256          # bytes of the argument string copied onto a new process's stack
USER_RFLAGS = RFLAGS_FIXED | RFLAGS_IF       # interrupts enabled, as every user program starts

# What every user program may use by name: SYS_WRITE, SYS_EXIT, ... (docs/syscalls.md).
USER_DEFINES = {f"SYS_{name.upper()}": number for name, number in SYSCALL_NUMBERS.items()}

_GENERAL = ("rax", "rbx", "rcx", "rdx", "rsi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")


def assemble_user_program(path) -> Image:
    """Assemble a ring-3 program: at USER_TEXT_BASE, with SYS_* defined and lib.asm includable."""
    return assemble_file(path, USER_TEXT_BASE, defines=USER_DEFINES, search=[userland_dir()])


def find_program(name: str) -> Image | None:
    """The image of /bin/NAME (userland/NAME.asm), or None if there is no such program."""
    if not name.replace("_", "").isalnum() or name == "lib":
        return None
    path = userland_dir() / f"{name}.asm"
    return assemble_user_program(path) if path.is_file() else None


@dataclass
class Module:
    """Code loaded into the kernel half (the kernel's entry code, ring-0 drivers)."""
    name: str
    image: Image

    def contains(self, address: int) -> bool:
        """Is `address` inside this module?"""
        return self.image.base <= address < self.image.base + len(self.image.code)


def argument_block(argument: bytes) -> bytes:
    """The argument string as it is copied to the top of a new stack: capped, NUL-terminated."""
    return argument[:MAX_ARGUMENT] + b"\0"


def iretq_frame(entry: int, user_stack: int) -> bytes:
    """The five words user_entry's iretq pops: RIP, CS, RFLAGS, RSP, SS (entry.asm)."""
    frame = [entry, USER_CODE_SELECTOR, USER_RFLAGS, user_stack, USER_DATA_SELECTOR]
    return b"".join(value.to_bytes(8, "little") for value in frame)


def first_user_registers(kernel_stack: int, frame_size: int, user_entry: int, argument_pointer: int) -> dict:
    """Registers of a new process's first (ring-0) context: at user_entry, RSP on the iretq
    frame at the top of its kernel stack, rdi = its argument string, the rest zero."""
    registers = {name: 0 for name in _GENERAL}
    registers.update(rsp=phys_to_virt(kernel_stack + PAGE_SIZE - frame_size), rip=user_entry, rdi=argument_pointer)
    return registers
