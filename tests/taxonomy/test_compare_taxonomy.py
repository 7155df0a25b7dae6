"""`simpleos compare` over the whole taxonomy: six rows, and with --rootkit and --latency the price of
user space -- what each model costs per event and what each can see."""
from __future__ import annotations

import json
import re

import pytest

from cliutil import run_cli
from compare_table import HEADER, cells
from paths import BAD, GOOD

from simpleos.isolation import model_names, registry

SIX = ["monolithic", "hybrid", "microkernel", "verified", "exokernel", "nanokernel"]   # (a lab may add more)


def table(text: str) -> tuple[str, list[str], dict[str, dict[str, str]]]:
    """(title, header cells, model -> {column: cell}) of a compare table."""
    title, header, _rule, *rest = text.splitlines()
    columns = cells(header)
    rows = {}
    for line in rest:
        row = cells(line)
        if len(row) == len(columns):
            rows[row[0]] = dict(zip(columns, row))
    return title, columns, rows


@pytest.fixture(scope="module")
def rootkit_table():
    """`compare C-00000291-bad.sys --rootkit --latency`, once for the module."""
    from simpleos.cli import main
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["compare", BAD, "--rootkit", "--latency"]) == 0
    return table(out.getvalue())


def the_six(names) -> list[str]:
    """The course's models among `names`, in their order (a Lab 6 tree has two models more)."""
    return [name for name in names if name in SIX]


def test_the_registry_has_the_six_models_of_the_course():
    assert the_six(model_names()) == SIX
    assert [registry()[name].sensor_ring for name in SIX] == [0, 3, 3, 0, 3, 3]


def test_compare_has_six_rows_and_the_default_columns_are_unchanged(capsys):
    code, out, err = run_cli(capsys, "compare", BAD)
    _, columns, rows = table(out)
    assert code == 0 and columns == HEADER and list(rows) == model_names() and the_six(rows) == SIX
    assert rows["exokernel"]["machine up"] == rows["nanokernel"]["machine up"] == "yes"
    assert rows["exokernel"]["crashes"] == "1" and rows["nanokernel"]["crashes"] == "4"


def test_the_done_when_table_shows_what_each_costs_and_what_each_can_see(rootkit_table):
    title, columns, rows = rootkit_table
    assert title == ("content update C-00000291-bad.sys under every isolation model, rootkit.sys (unlink) hiding "
                     "the beacon (virtual time; monolithic gets 3 boots):")
    assert columns == HEADER + ["cycles/event", "visibility"] and list(rows) == model_names()
    assert {model: rows[model]["visibility"] for model in the_six(rows)} == {
        "monolithic": "machine down", "hybrid": "blind", "microkernel": "blind", "verified": "found beacon",
        "exokernel": "blind", "nanokernel": "blind"}
    for model, row in rows.items():
        ring = registry()[model].sensor_ring
        assert re.fullmatch(rf"\d{{1,3}}(,\d{{3}})* \(ring {ring}\)", row["cycles/event"]), row


def test_latency_at_ring_3_costs_more_than_at_ring_0(capsys):
    code, out, err = run_cli(capsys, "compare", GOOD, "--json")
    rows = {row["model"]: row for row in json.loads(out)["models"]}
    assert code == 0 and all(row["examined_events"] == 12 for row in rows.values())
    ring0 = rows["monolithic"]["event_cycles"]
    assert rows["verified"]["event_cycles"] == ring0
    for model in ("hybrid", "microkernel", "exokernel", "nanokernel"):
        assert rows[model]["event_cycles"] > ring0, model
    assert rows["hybrid"]["event_cycles"] - ring0 >= 2 * 300     # an IPC message each way, at least
    assert all(row["hidden_found"] is None for row in rows.values())


def test_compare_rootkit_json_and_with_good_content_both_ring_0_models_see(capsys):
    code, out, err = run_cli(capsys, "compare", GOOD, "--rootkit", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["rootkit"] == "unlink"
    found = {row["model"]: row["hidden_found"] for row in doc["models"] if row["model"] in SIX}
    assert found == {"monolithic": ["beacon"], "hybrid": [], "microkernel": [], "verified": ["beacon"],
                     "exokernel": [], "nanokernel": []}
