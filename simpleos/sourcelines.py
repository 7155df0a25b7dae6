"""Source lines for code addresses: one interface for assembled and compiled programs.

A line table maps each address of a program's code to a source file and
line -- how a debugger shows `sensor.asm:412` or `hello.c:7` and sets
`break hello.c:7`. Every Image has one (`image.line_table`,
`image.source_line(address)`): the assembler builds it from its own label
trick (assembler.py), the ELF loader reads gcc's DWARF (elf/lines.py).
SourceOrigin is where one line of an expanded source (after `.include`)
came from. This module only holds and queries tables: it reads no file,
assembles nothing and knows no format.
"""
from __future__ import annotations

import bisect
import os

from .record import dataclass


class SourceOrigin(str):
    """'lib.asm:12' -- as error messages name a line -- that also knows the file's full path."""

    path: str
    line: int

    def __new__(cls, path: str, line: int, name: str | None = None) -> "SourceOrigin":
        """The origin of line `line` (1-based) of the file at `path` (`name`: its basename,
        if the caller already knows it)."""
        origin = super().__new__(cls, f"{name or os.path.basename(path)}:{line}")
        origin.path, origin.line = str(path), line
        return origin


def origin_parts(origin: str) -> tuple[str, int]:
    """(path, line) of an origin: a SourceOrigin's full path, or the name in a plain 'file:12'."""
    if isinstance(origin, SourceOrigin):
        return origin.path, origin.line
    name, _, number = origin.rpartition(":")
    return (name, int(number)) if number.isdigit() and name else (origin, 0)


@dataclass(frozen=True)
class LineRow:
    """One row of the line table: code from `address` on comes from `path`:`line`."""
    address: int
    path: str               # the source file, absolute when known
    line: int
    column: int = 0
    is_statement: bool = True     # a good place for a breakpoint (the start of a statement)
    end_sequence: bool = False    # the first address after a run of code (no source line there)

    @property
    def file(self) -> str:
        """The source file's name, without its directory: 'hello.c'."""
        return os.path.basename(self.path)


class LineTable:
    """Every row of a program's line table, ordered by address."""

    def __init__(self, rows: list[LineRow] | None = None, problem: str | None = None) -> None:
        """A table of `rows` (sorted here); `problem` says why the table is empty, if it is."""
        self.rows = sorted(rows or (), key=lambda row: (row.address, not row.end_sequence))
        self.problem = problem
        self._addresses = [row.address for row in self.rows]

    def __repr__(self) -> str:
        return f"LineTable(rows={self.rows!r}, problem={self.problem!r})"

    def line_at(self, address: int) -> LineRow | None:
        """The row whose code holds `address` (None between sequences or outside the code)."""
        index = bisect.bisect_right(self._addresses, address) - 1
        if index < 0 or self.rows[index].end_sequence:
            return None
        return self.rows[index]

    def addresses_of(self, file: str, line: int) -> list[int]:
        """The statement addresses of `file`:`line` ('hello.c' or a full path), lowest first."""
        found = {row.address for row in self.rows
                 if row.line == line and row.is_statement and not row.end_sequence and file in (row.file, row.path)}
        return sorted(found)

    def files(self) -> list[str]:
        """The source files that contributed code, in the order first seen."""
        return list(dict.fromkeys(row.path for row in self.rows if not row.end_sequence))

    def path_of(self, file: str) -> str | None:
        """The full path of source file `file` ('sensor.asm' or a full path), if it gave code."""
        return next((path for path in self.files() if file in (path, os.path.basename(path))), None)

    def code_rows(self) -> list[LineRow]:
        """The rows that start code (no end-of-sequence markers), by address."""
        return [row for row in self.rows if not row.end_sequence]


def assembled_line_table(rows: list[tuple[int, str, int]], end: int) -> LineTable:
    """The table of an assembled program: (address, path, line) per source line that emitted
    code, and `end`, the first address after the code (an end-of-sequence row)."""
    table = [LineRow(address, path, line) for address, path, line in rows]
    if table:
        table.append(LineRow(end, table[-1].path, table[-1].line, end_sequence=True))
    return LineTable(table, None if table else "no code lines")
