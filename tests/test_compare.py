"""`simpleos compare`: golden output (virtual time makes it exact), JSON shape, bad input."""
import json
import os

from simpleos.cli import main
from paths import BAD, CHANNEL_FILES, GOLDEN_DIR

GOLDEN = GOLDEN_DIR / "compare_bad.txt"


def test_compare_output_is_golden(capsys, monkeypatch):
    monkeypatch.chdir(CHANNEL_FILES)
    assert main(["compare", "C-00000291-bad.sys"]) == 0
    out = capsys.readouterr().out
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(out)
    assert out == GOLDEN.read_text()


def test_compare_json_has_one_row_per_model(capsys):
    assert main(["compare", BAD, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = {row["model"]: row for row in doc["models"]}
    assert list(rows) == ["monolithic", "hybrid", "microkernel", "verified"]
    assert rows["monolithic"]["machine_up"] is False and rows["monolithic"]["manual_steps"] == 1
    assert rows["monolithic"]["downtime_ms"] is None and rows["monolithic"]["reboots"] == 2
    assert all(rows[m]["machine_up"] and rows[m]["manual_steps"] == 0 for m in ("hybrid", "microkernel", "verified"))
    assert rows["microkernel"]["quarantined"] == ["C-00000291-bad.sys"]
    assert rows["microkernel"]["time_to_recover_ms"] > 2000      # the 2-period backoff
    assert rows["verified"]["rejected"] == ["C-00000291-bad.sys"] and rows["verified"]["unexamined_events"] == 0


def test_compare_of_a_missing_file_is_one_line_exit_1(capsys):
    assert main(["compare", "nope.sys"]) == 1
    assert capsys.readouterr().err == "simpleos: no such file: nope.sys\n"
