"""The program loader: find a program, assemble or load it, and lay out its first moments at ring 3.

User programs are `.asm` sources in userland/ (the /bin of this system),
assembled at USER_TEXT_BASE with every SYS_* number defined; `simpleos run`
also takes a static x86-64 ELF executable (elfload.py), such as one built
by `simpleos cc`. map_program() maps an image's pages (text R-X, data RW-
and NX; an ELF's segments with their own rights) and initial_stack() lays
out its stack (userstack.py). A new process's first context is a *ring-0*
context at the kernel's `user_entry` trampoline (entry.asm) whose stack
holds an iretq frame: the first instruction it "runs" drops the CPU to
CPL 3 for real. This module builds images and frames; it does not
schedule or decide anything.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..assembler import Image, assemble_file
from ..errors import BadInput
from ..hostfiles import read_regular_file
from ..machine.layout import PAGE_SIZE, USER_CODE_SELECTOR, USER_DATA_SELECTOR, USER_TEXT_BASE, phys_to_virt
from ..machine.paging import USER
from ..machine.trap import RFLAGS_FIXED, RFLAGS_IF
from ..record import dataclass
from ..resources import userland_dir
from .syscalls import SYSCALL_NUMBERS
from .userstack import InitialStack, argument_stack, linux_stack
from .vm import DATA, TEXT, map_fresh_pages

USER_RFLAGS = RFLAGS_FIXED | RFLAGS_IF       # interrupts enabled, as every user program starts

# What every user program may use by name: SYS_WRITE, SYS_EXIT, ... (docs/syscalls.md).
USER_DEFINES = {f"SYS_{name.upper()}": number for name, number in SYSCALL_NUMBERS.items()}

_GENERAL = ("rax", "rbx", "rcx", "rdx", "rsi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")


def assemble_user_program(path) -> Image:
    """Assemble a ring-3 program: at USER_TEXT_BASE, with SYS_* defined and lib.asm includable."""
    return assemble_file(path, USER_TEXT_BASE, defines=USER_DEFINES, search=[userland_dir()])


def load_user_program(path) -> Image:
    """The program at host path `path`: a static x86-64 ELF executable, else an assembly source.
    (The ELF reader is imported here, not with this module: a plain boot never needs it.)"""
    from ..elf import is_elf
    from .elfload import MAX_PROGRAM_FILE, load_elf
    data = read_regular_file(path, MAX_PROGRAM_FILE, "program")
    if is_elf(data):
        return load_elf(data, Path(path).name)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: neither an ELF executable (no \\x7fELF magic) nor an assembly source "
                       f"(not UTF-8 text)") from None
    return assemble_user_program(path)


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


def map_program(space, image: Image) -> list[int]:
    """Map `image` into the user address space `space`; the frames it took. An assembled
    image: text R-X, data RW- NX. An ELF image: each segment with its own rights."""
    if _is_elf_image(image):
        frames = []
        for segment in image.segments:
            frames += map_fresh_pages(space, segment.address, segment.size, USER | segment.rights, segment.content)
        return frames
    frames = map_fresh_pages(space, image.base, image.data_offset, USER | TEXT, image.text)
    if image.data:
        frames += map_fresh_pages(space, image.base + image.data_offset, len(image.data), USER | DATA, image.data)
    return frames


def initial_stack(image: Image, name: str, argument: bytes, top: int, random_bytes) -> InitialStack:
    """What a new process finds on its stack: Linux's argc/argv/auxv for an ELF executable,
    the argument string for an assembly program (userstack.py)."""
    if _is_elf_image(image):
        return linux_stack(top, name, argument, image, random_bytes)
    return argument_stack(top, argument)


def _is_elf_image(image: Image) -> bool:
    """Is `image` a loaded ELF executable (elfload.ElfImage)? Asked without importing elfload:
    until something has imported it, no ElfImage exists."""
    elfload = sys.modules.get(f"{__package__}.elfload")
    return elfload is not None and isinstance(image, elfload.ElfImage)


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
