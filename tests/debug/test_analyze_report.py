"""`simpleos analyze DUMP`: the !analyze -v report of a Channel File 291 crash dump.

The report is deterministic (the dump is), so it is kept as a golden file;
regenerate it after a legitimate change with
    SIMPLEOS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/debug/test_analyze_report.py
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simpleos.cli import main
from simpleos.resources import channel_files_dir
from simpleos.system import boot

GOLDEN = Path(__file__).parent / "golden" / "cf291_analyze.txt"
BAD_FILE = str(channel_files_dir() / "C-00000291-bad.sys")


@pytest.fixture(scope="module")
def dump_path(tmp_path_factory) -> Path:
    """The crash dump of one boot with the bad channel file."""
    session = boot(tmp_path_factory.mktemp("cf291") / "machine", fresh=True, channels=[BAD_FILE], max_boots=1)
    session.close()              # the dump is a host file; the machine's disk is not needed
    assert session.boots[0].outcome == "bugcheck"
    return Path(session.boots[0].dump)


def analyze(path, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["analyze", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_report_matches_the_golden_file(dump_path, capsys):
    code, report, _ = analyze(dump_path, capsys)
    assert code == 0
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        GOLDEN.write_text(report)
    assert report == GOLDEN.read_text(), "the analyze report changed; regenerate it if intended (see docstring)"


def test_the_report_names_the_stop_the_culprit_and_the_content(dump_path, capsys):
    _, report, _ = analyze(dump_path, capsys)
    assert "PAGE_FAULT_IN_NONPAGED_AREA (50)" in report
    assert "Arg1: ffff840500000374, memory referenced." in report
    assert "Arg2: 0000000000000000, access type: 0 read, 2 write, 0x10 execute -> read." in report
    assert "READ_ADDRESS:  ffff8405`00000374" in report
    assert "IMAGE_NAME:  sensor.sys" in report and "PROCESS_NAME:  sensor" in report
    assert "sensor.sys!compare_string+0xa" in report
    assert "0fb6040f        movzx eax, byte ptr [rdi + rcx]" in report
    stack = report.split("STACK_TEXT:")[1].split("\n\n")[0]
    for frame in ("compare_string", "match_instance+0x51", "interpret+0x79", "sensor_event_loop+0x3d"):
        assert frame in stack
    assert "channel file:  C-00000291-bad.sys" in report and "instance:      291003" in report
    assert "criterion:     20" in report
    assert "one past the 20-entry array" in report
    for fix in ("--sensor-build fixed", "--model verified", "--model microkernel", "staged rollout",
                'rm /drivers/sensor/C-00000291-bad.sys; reboot'):
        assert fix in report


@pytest.mark.parametrize("content, reason", [
    (None, "no such dump"),
    ("not json at all", "not a crash dump (not JSON)"),
    ('{"format": "something else"}', "not a SimpleOS crash dump"),
    ('{"format": "simpleos-crashdump-1", "bugcheck": {}}', "malformed crash dump"),
])
def test_a_missing_or_malformed_dump_is_one_line_and_exit_1(tmp_path, capsys, content, reason):
    path = tmp_path / "CRASH-0001.dmp"
    if content is not None:
        path.write_text(content)
    code, out, err = analyze(path, capsys)
    assert code == 1 and out == ""
    assert reason in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_dump_with_parts_missing_still_gets_a_report(dump_path, tmp_path, capsys):
    dump = json.loads(dump_path.read_text())
    dump["sensor"] = None
    dump["instruction_bytes"] = ""
    dump["process"] = None
    path = tmp_path / "partial.dmp"
    path.write_text(json.dumps(dump))
    code, report, _ = analyze(path, capsys)
    assert code == 0 and "PAGE_FAULT_IN_NONPAGED_AREA" in report and "instruction bytes not in the dump" in report
