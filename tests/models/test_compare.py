"""`simpleos compare`: golden output (virtual time makes it exact), JSON shape, bad input.

The golden holds the four shipped models. A model added in a lab (Lab 6) adds a row and may widen
the model column, so the rows are compared cell by cell per model; the whole table is compared byte
for byte when only the shipped models exist.
"""
import json
import os
import re
from pathlib import Path

from simpleos.cli import main
from simpleos.isolation import MODELS

SAMPLES = Path(__file__).resolve().parents[2] / "channel_files"
GOLDEN = Path(__file__).parent / "golden" / "compare_bad.txt"
SHIPPED = ["monolithic", "hybrid", "microkernel", "verified"]


def shipped_rows(table: str) -> dict[str, list]:
    """Per shipped model: the cells of its table row and its footnote lines."""
    rows: dict[str, list] = {model: [] for model in SHIPPED}
    for line in table.splitlines():
        name = re.split(r"[ :]", line, maxsplit=1)[0]
        if name in rows:
            rows[name].append(re.split(r"\s{2,}", line) if not line.startswith(f"{name}:") else line)
    return rows


def test_compare_output_is_golden(capsys, monkeypatch):
    monkeypatch.chdir(SAMPLES)
    assert main(["compare", "C-00000291-bad.sys"]) == 0
    out = capsys.readouterr().out
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(out)
    golden = GOLDEN.read_text()
    assert shipped_rows(out) == shipped_rows(golden)
    assert out.splitlines()[0] == golden.splitlines()[0]
    if list(MODELS) == SHIPPED:
        assert out == golden


def test_compare_json_has_one_row_per_model(capsys):
    assert main(["compare", str(SAMPLES / "C-00000291-bad.sys"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {row["model"]: row for row in doc["models"]}
    assert list(rows) == list(MODELS) and list(rows)[:4] == SHIPPED
    assert rows["monolithic"]["machine_up"] is False and rows["monolithic"]["manual_steps"] == 1
    assert rows["monolithic"]["downtime_ms"] is None and rows["monolithic"]["reboots"] == 2
    assert all(rows[m]["machine_up"] and rows[m]["manual_steps"] == 0 for m in ("hybrid", "microkernel", "verified"))
    assert rows["microkernel"]["quarantined"] == ["C-00000291-bad.sys"]
    assert rows["microkernel"]["time_to_recover_ms"] > 2000      # the 2-period backoff
    assert rows["verified"]["rejected"] == ["C-00000291-bad.sys"] and rows["verified"]["unexamined_events"] == 0


def test_compare_of_a_missing_file_is_one_line_exit_1(capsys):
    assert main(["compare", "nope.sys"]) == 1
    assert capsys.readouterr().err == "simpleos: no such file: nope.sys\n"
