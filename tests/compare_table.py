"""Reading the `simpleos compare` table in tests, one model at a time.

The table's column widths depend on every row, so a new model (a student's
Lab 6 file) may re-pad the others. The goldens therefore keep one model
each (tests/golden/compare/<model>.txt): its row with every run of two or
more spaces made exactly two (cells never contain two spaces in a row),
then its note lines. A model without a golden must still give a well-formed
row: one cell per column, aligned under the header, each cell of its kind.
Parsing and checking only; the tests that run `compare` are
tests/test_compare.py and tests/isolation/test_adding_a_model.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from paths import GOLDEN_DIR

COMPARE_GOLDEN_DIR = GOLDEN_DIR / "compare"
HEADER = ["model", "machine up", "reboots", "crashes", "restarts", "downtime ms", "recovery ms",
          "unexamined", "manual steps"]
COUNT = re.compile(r"\d+")
MILLISECONDS = re.compile(r"\d{1,3}(,\d{3})*\.\d{3}")
CELL_KINDS = {                       # column -> what may stand in it, besides the model's name
    "machine up": lambda cell: cell in ("yes", "NO (bootloop)"),
    "downtime ms": lambda cell: cell == "until fixed" or bool(MILLISECONDS.fullmatch(cell)),
    "recovery ms": lambda cell: cell == "by hand" or bool(MILLISECONDS.fullmatch(cell)),
}


@dataclass
class CompareTable:
    """The text output of `simpleos compare FILE`, taken apart."""
    title: str
    header: str
    rule: str
    rows: dict[str, str] = field(default_factory=dict)          # model -> its row, as printed
    notes: dict[str, list[str]] = field(default_factory=dict)   # model -> its note lines

    def row_and_notes(self, model: str) -> list[str]:
        """What a model's golden holds: its normalised row, then its note lines."""
        return [normalise(self.rows[model]), *self.notes.get(model, [])]


def normalise(line: str) -> str:
    """The row with every run of two or more spaces made exactly two, no trailing blanks."""
    return re.sub(r" {2,}", "  ", line.rstrip())


def cells(line: str) -> list[str]:
    """A row's cells (they are separated by at least two spaces)."""
    return re.split(r" {2,}", line.strip())


def parse_table(text: str) -> CompareTable:
    """Title, header, rule, then one row per model, then note lines 'model: ...'."""
    title, header, rule, *rest = text.splitlines()
    table = CompareTable(title, header, rule)
    for line in rest:
        if len(cells(line)) == len(HEADER):
            table.rows[cells(line)[0]] = line
            continue
        model, colon, _ = line.partition(": ")
        assert colon and model in table.rows, f"a line that is neither a row nor a model's note: {line!r}"
        table.notes.setdefault(model, []).append(line)
    return table


def column_spans(rule: str) -> list[tuple[int, int]]:
    """(start, end) of each column, from the '-----  ----' rule under the header."""
    return [(dashes.start(), dashes.end()) for dashes in re.finditer(r"-+", rule)]


def assert_well_formed_row(table: CompareTable, model: str) -> None:
    """The model's row has one cell per column, each under its header and of its kind."""
    line = table.rows[model]
    spans = column_spans(table.rule)
    assert len(spans) == len(HEADER), table.rule
    assert [line[start:end].strip() for start, end in spans] == cells(line), f"misaligned row: {line!r}"
    assert all(line[start - 1] == " " for start, _ in spans[1:]), f"cells run together: {line!r}"
    row = dict(zip(HEADER, cells(line)))
    assert row["model"] == model
    for column, cell in row.items():
        if column != "model":
            assert CELL_KINDS.get(column, COUNT.fullmatch)(cell), f"{column}: {cell!r} in {line!r}"


def golden_path(model: str) -> Path:
    """Where the model's compare golden is (it may not exist: a new model has none)."""
    return COMPARE_GOLDEN_DIR / f"{model}.txt"


def golden_lines(model: str) -> list[str] | None:
    """The model's golden row and notes, or None if it has no golden."""
    path = golden_path(model)
    return path.read_text().splitlines() if path.is_file() else None


def write_golden(table: CompareTable, model: str) -> None:
    """SIMPLEOS_UPDATE_GOLDEN=1: (re)write the model's golden from this table."""
    COMPARE_GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    golden_path(model).write_text("\n".join(table.row_and_notes(model)) + "\n")
