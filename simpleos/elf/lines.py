"""Source lines for addresses: the DWARF line table gcc writes with -g (.debug_line).

The line table maps each address of a program's code to a source file and
line -- how a debugger shows `hello.c:7` and sets `break hello.c:7`. It is
read with pyelftools (DWARF 2-5) when asked for, not when a program is
loaded, so `run` never pays for it. A file without -g, or a line table
pyelftools cannot read, gives an empty table with `problem` saying why:
missing debug information is never an error. The table is a
sourcelines.LineTable, as an assembled program's is. Reading only.
"""
from __future__ import annotations

import io
import os

from ..sourcelines import LineRow, LineTable
from .format import ElfFile

MAX_LINE_TABLE_BYTES = 8 << 20       # .debug_line larger than this is not read


def read_line_table(elf: ElfFile) -> LineTable:
    """The line table of `elf` (empty, with `problem` set, if it has none or it cannot be read)."""
    section = elf.section(".debug_line")
    if section is None:
        return LineTable(problem="no line table (.debug_line): compile with -g")
    if section.size > MAX_LINE_TABLE_BYTES:
        return LineTable(problem=f"line table too large ({section.size} bytes)")
    try:
        from elftools.elf.elffile import ELFFile
    except ImportError:
        return LineTable(problem="pyelftools is not installed (pip install pyelftools)")
    try:
        return LineTable(_read_rows(ELFFile(io.BytesIO(elf.data))))
    except Exception as error:  # pyelftools raises many kinds on hostile DWARF
        return LineTable(problem=f"line table unreadable: {type(error).__name__}: {error}")


def _read_rows(elffile) -> list[LineRow]:
    """Run every compilation unit's line program (pyelftools) and keep its rows."""
    dwarf = elffile.get_dwarf_info()
    rows = []
    for unit in dwarf.iter_CUs():
        program = dwarf.line_program_for_CU(unit)
        if program is None:
            continue
        paths = _file_paths(program, _compilation_directory(unit))
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            path = paths.get(state.file, f"<file {state.file}>")
            rows.append(LineRow(state.address, path, state.line, state.column, bool(state.is_stmt),
                                bool(state.end_sequence)))
    return rows


def _compilation_directory(unit) -> str:
    """DW_AT_comp_dir of a compilation unit: where gcc ran ('' if not recorded)."""
    value = unit.get_top_DIE().attributes.get("DW_AT_comp_dir")
    return _text(value.value) if value is not None else ""


def _file_paths(program, compilation_directory: str) -> dict[int, str]:
    """File number -> path, as the line program numbers its files (DWARF 5 counts from 0,
    earlier versions from 1; directory 0 is the compilation directory)."""
    header = program.header
    version = header["version"]
    directories = [_text(d) for d in header["include_directory"]]
    if version < 5:
        directories = [compilation_directory] + directories
    first = 0 if version >= 5 else 1
    paths = {}
    for number, entry in enumerate(header["file_entry"], first):
        name = _text(entry.name)
        directory = directories[entry.dir_index] if entry.dir_index < len(directories) else ""
        if directory and not os.path.isabs(directory) and compilation_directory:
            directory = os.path.join(compilation_directory, directory)
        paths[number] = name if os.path.isabs(name) or not directory else os.path.join(directory, name)
    return paths


def _text(value) -> str:
    """A DWARF string (bytes) as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
