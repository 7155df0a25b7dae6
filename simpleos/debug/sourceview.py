"""Source lines for people: which file:line an address is, and the text of the lines around it.

Every image the debugger knows (kernel modules, the current process's
program) has a line table (sourcelines.py): the assembler's for .asm code,
gcc's DWARF for C. This module finds the row for an address and reads the
source file it names, so a stop can show `sensor.asm:438` and the line
itself -- with its textbook comment -- and `list` can show the lines
around it. Files are read as gdb reads them: from the path the table
records, when they are asked for (size-limited; a missing file is "no
source"). Reading only: it never runs or changes the machine.
"""
from __future__ import annotations

import os
from functools import lru_cache

from ..hostfiles import read_text_file
from ..sourcelines import LineRow
from .output import CURRENT, DIM, Line
from .symbols import CodeRegion, process_label, target_regions

MAX_SOURCE_BYTES = 4 << 20


def images(target) -> list[CodeRegion]:
    """The code regions the debugger can name: the current ones, then other processes' images."""
    found = target_regions(target)
    if not found:
        return found                    # a crash dump: no images
    for process in target.kernel.processes.values():
        if process is not target.current_process and process.ring == 3 and process.image is not None \
                and all(region.image is not process.image for region in found):
            found.append(CodeRegion(process_label(process), process.image))
    return found


def row_at(target, address: int) -> LineRow | None:
    """The line-table row of the code at `address` in the current address space (None if unknown)."""
    for region in target_regions(target):
        if region.contains(address):
            return region.image.source_line(address)
    return None


def where(target, address: int) -> str:
    """'sensor.asm:438' for `address`, or '' when no line table knows it."""
    row = row_at(target, address)
    return f"{row.file}:{row.line}" if row is not None else ""


def file_lines(path: str) -> list[str] | None:
    """The lines of source file `path` (None if it cannot be read)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _read(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _read(path: str, mtime: int, size: int) -> list[str] | None:
    try:
        return read_text_file(path, MAX_SOURCE_BYTES, "source file").splitlines()
    except Exception:   # BadInput, OSError, undecodable text: no source to show
        return None


def text_of(path: str, line: int) -> str | None:
    """The text of line `line` (1-based) of `path`, right-stripped (None if out of range)."""
    lines = file_lines(path)
    if lines is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1].rstrip()


def numbered(path: str, first: int, last: int, current: int | None = None) -> list[Line]:
    """Lines first..last of `path` as gdb lists them ('438\\t<text>'), the current one marked '=>'."""
    lines = file_lines(path) or []
    out: list[Line] = []
    for number in range(max(1, first), min(last, len(lines)) + 1):
        here = number == current
        out.append([("=>" if here else "  ", CURRENT if here else ""), (f"{number:>5}", DIM),
                    (f"\t{lines[number - 1].rstrip()}", CURRENT if here else "")])
    return out


def stop_lines(target, address: int) -> list[Line]:
    """What a stop adds under its '=>' line: the source line of `address`, numbered."""
    row = row_at(target, address)
    if row is None:
        return []
    text = text_of(row.path, row.line)
    return [[(f"   {row.file}:{row.line}", DIM), (f"\t{text.strip()}" if text else "", "")]]


def source_pane(target, address: int, before: int = 2, after: int = 3) -> list[Line]:
    """The context view's source pane: the lines around `address`'s line."""
    row = row_at(target, address)
    if row is None:
        return [[(f"    no source line for {address:#x}", DIM)]]
    lines = numbered(row.path, row.line - before, row.line + after, row.line)
    return lines or [[(f"    {row.file}:{row.line}: the source file cannot be read", DIM)]]


def path_of(target, file: str) -> str | None:
    """The full path of source file `file` ('sensor.asm', or a path) in any known line table."""
    for region in images(target):
        path = region.image.line_table.path_of(file)
        if path is not None:
            return path
    if os.path.isfile(file):
        return os.path.abspath(file)
    return None


def addresses_of(target, path: str, line: int) -> list[int]:
    """The code addresses of `path`:`line` in the known images (lowest first)."""
    found: set[int] = set()
    for region in images(target):
        found.update(region.image.line_table.addresses_of(path, line))
    return sorted(found)
