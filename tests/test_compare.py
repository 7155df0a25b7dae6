"""`simpleos compare`: golden rows (virtual time makes them exact), JSON shape, bad input.

`compare` runs once for the whole module. Each model's row and notes are kept
in a golden of its own (tests/golden/compare/<model>.txt, see compare_table.py),
so a new model adds a row without touching the others' goldens; a model with
no golden yet must still give a well-formed row. After a legitimate change,
look at the new table and regenerate every model's golden with
    SIMPLEOS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_compare.py
"""
import io
import json
import os
from contextlib import redirect_stdout

import pytest

from simpleos.cli import main
from simpleos.isolation import model_names
from compare_table import (COMPARE_GOLDEN_DIR, HEADER, assert_well_formed_row, cells, golden_lines, parse_table,
                           write_golden)
from paths import BAD

SHIPPED_WITH_GOLDENS = ["monolithic", "hybrid", "microkernel", "verified", "exokernel", "nanokernel"]   # the course


@pytest.fixture(scope="module")
def table():
    """`simpleos compare channel_files/C-00000291-bad.sys`, run once, taken apart. With
    SIMPLEOS_UPDATE_GOLDEN=1 it first rewrites every model's golden."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["compare", BAD]) == 0
    parsed = parse_table(out.getvalue())
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        for model in parsed.rows:
            write_golden(parsed, model)
    return parsed


def test_compare_title_and_header(table):
    assert table.title == ("content update C-00000291-bad.sys under every isolation model "
                           "(virtual time; monolithic gets 3 boots):")
    assert cells(table.header) == HEADER
    assert [len(dashes) for dashes in table.rule.split("  ")] == [len(cell) for cell in cells(table.rule)]


def test_compare_has_one_row_per_model_in_registry_order(table):
    assert list(table.rows) == model_names()


@pytest.mark.parametrize("model", model_names())
def test_compare_row_is_golden_or_at_least_well_formed(table, model):
    assert_well_formed_row(table, model)
    expected = golden_lines(model)
    if expected is not None:        # a model without a golden (a new one) passes on a well-formed row
        assert table.row_and_notes(model) == expected, (
            f"the compare row of {model} changed; if that is intended, regenerate its golden with "
            "SIMPLEOS_UPDATE_GOLDEN=1 (see this file's docstring)")


def test_the_course_models_keep_their_goldens():
    """Deleting a golden would quietly turn its check into a well-formedness check."""
    assert all(golden_lines(model) is not None for model in SHIPPED_WITH_GOLDENS)
    stale = {path.stem for path in COMPARE_GOLDEN_DIR.glob("*.txt")} - set(model_names())
    assert not stale, f"goldens of models that no longer exist: {sorted(stale)}"


def test_compare_json_has_one_row_per_model(capsys):
    assert main(["compare", BAD, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {row["model"]: row for row in doc["models"]}
    assert list(rows) == model_names()
    assert rows["monolithic"]["machine_up"] is False and rows["monolithic"]["manual_steps"] == 1
    assert rows["monolithic"]["downtime_ms"] is None and rows["monolithic"]["reboots"] == 2
    assert all(rows[m]["machine_up"] and rows[m]["manual_steps"] == 0 for m in ("hybrid", "microkernel", "verified"))
    assert rows["microkernel"]["quarantined"] == ["C-00000291-bad.sys"]
    assert rows["microkernel"]["time_to_recover_ms"] > 2000      # the 2-period backoff
    assert rows["verified"]["rejected"] == ["C-00000291-bad.sys"] and rows["verified"]["unexamined_events"] == 0


def test_compare_of_a_missing_file_is_one_line_exit_1(capsys):
    assert main(["compare", "nope.sys"]) == 1
    assert capsys.readouterr().err == "simpleos: no such file: nope.sys\n"
