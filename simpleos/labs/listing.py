"""The grader's own look at a student's program: assembled by the grader, disassembled at an address.

A hidden test that asks "is the faulting instruction really `ud2`?" assembles
the student's source with the grader's assembler (the same dialect and
SYS_* names as `simpleos run`) and decodes the instruction at the rip the
workspace reported. It reads sources only; it must NOT run anything.
"""
from __future__ import annotations

from pathlib import Path

from ..assembler import AssemblyError, Image, assemble_file
from ..kernel.loader import USER_DEFINES
from ..machine.decode import disassemble
from ..machine.layout import USER_TEXT_BASE
from .gradelib import Failed


def assembled(workspace: Path, relative: str) -> Image:
    """The program `relative` of the workspace, as it is loaded at USER_TEXT_BASE."""
    try:
        return assemble_file(workspace / relative, USER_TEXT_BASE, defines=USER_DEFINES,
                             search=[workspace / "userland"])
    except AssemblyError as problem:
        raise Failed(f"{relative} does not assemble: {problem}") from None


def instruction_at(image: Image, address: int) -> str:
    """The mnemonic of the instruction at `address` in `image` ('?' if none decodes there)."""
    offset = address - image.base
    if not 0 <= offset < len(image.code):
        return "?"
    decoded = disassemble(image.code[offset:offset + 16], address, 1)
    return decoded[0][2] if decoded else "?"


def text_range(image: Image) -> range:
    """Addresses of the program's text (code) pages' contents."""
    return range(image.base, image.base + image.data_offset)


def data_range(image: Image) -> range:
    """Addresses of the program's data."""
    return range(image.base + image.data_offset, image.base + len(image.code))
