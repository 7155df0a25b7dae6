"""`simpleos channel build | show | validate`: exit codes, one-line stderr, never a traceback."""
from __future__ import annotations


import pytest

from simpleos.cli import main
from cliutil import run_cli as run
from paths import CHANNEL_FILES


def test_build_writes_the_same_bytes_as_shipped(tmp_path, capsys):
    out_file = tmp_path / "C-00000291-bad.sys"
    code, out, _ = run(capsys, "channel", "build", str(CHANNEL_FILES / "C-00000291-bad.toml"), "-o", str(out_file))
    assert code == 0 and "4 instances" in out
    assert out_file.read_bytes() == (CHANNEL_FILES / "C-00000291-bad.sys").read_bytes()


@pytest.mark.parametrize("name, abi, expected", [
    ("C-00000291-good.sys", False, "valid (template)"),
    ("C-00000291-good.sys", True, "valid (template + ABI)"),
    ("C-00000291-bad.sys", False, "valid (template)"),
    ("C-00000292-process.sys", True, "valid (template + ABI)"),
])
def test_validate_valid(capsys, name, abi, expected):
    code, out, err = run(capsys, "channel", "validate", str(CHANNEL_FILES / name), *(["--abi"] if abi else []))
    assert (code, out.strip(), err) == (0, expected, "")


def test_validate_abi_rejects_cf291_with_one_line_per_reason(capsys):
    code, out, err = run(capsys, "channel", "validate", str(CHANNEL_FILES / "C-00000291-bad.sys"), "--abi")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("simpleos: ")
    assert lines[0].endswith("instance 291003: criterion on field 21 (index 20) reads input #21 "
                             "but the sensor supplies 20 inputs")


def test_validate_reports_every_problem(tmp_path, capsys):
    source = tmp_path / "two.toml"
    source.write_text('channel = 291\ntemplate_type = "IPC"\ncontent_version = 1\n'
                      '[[instance]]\nid = 1\naction = "deny"\ncriterion = [{ field = 20, kind = "equals", value = "a" }]\n'
                      '[[instance]]\nid = 2\naction = "deny"\ncriterion = [{ field = 20, kind = "prefix", value = "b" }]\n')
    built = tmp_path / "two.sys"
    assert run(capsys, "channel", "build", str(source), "-o", str(built))[0] == 0
    code, _, err = run(capsys, "channel", "validate", str(built), "--abi")
    assert code == 1 and len(err.splitlines()) == 2 and all(l.startswith("simpleos: ") for l in err.splitlines())


@pytest.mark.parametrize("command", ["show", "validate"])
def test_zeros_file_is_bad_input(capsys, command):
    code, out, err = run(capsys, "channel", command, str(CHANNEL_FILES / "C-00000291-zeros.sys"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "file is all zero bytes (like the zero-filled C-00000291 files seen in 2024)" in err


@pytest.mark.parametrize("argv, reason", [
    (["channel", "show", "/nonexistent/C-00000291-x.sys"], "no such file: /nonexistent/C-00000291-x.sys"),
    (["channel", "validate", "/nonexistent/C-00000291-x.sys", "--abi"], "no such file: /nonexistent/C-00000291-x.sys"),
    (["channel", "build", "/nonexistent/src.toml", "-o", "/tmp/never.sys"], "no such file: /nonexistent/src.toml"),
    (["channel", "show", "."], "not a regular file: . (a directory)"),
])
def test_missing_files_are_one_line_bad_input(capsys, argv, reason):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == "" and err.startswith(f"simpleos: {reason}") and err.count("\n") == 1


def test_bad_source_and_unwritable_output(tmp_path, capsys):
    source = tmp_path / "bad.toml"
    source.write_text("channel = 291\ntemplate_type = 2\ncontent_version = \n")
    code, _, err = run(capsys, "channel", "build", str(source), "-o", str(tmp_path / "x.sys"))
    assert code == 1 and "TOML syntax error" in err and err.count("\n") == 1
    good = CHANNEL_FILES / "C-00000291-good.toml"
    code, _, err = run(capsys, "channel", "build", str(good), "-o", str(tmp_path / "no" / "dir" / "x.sys"))
    assert code == 1 and err.startswith("simpleos: cannot write ") and err.count("\n") == 1


def test_malformed_file_is_one_line_bad_input(tmp_path, capsys):
    broken = tmp_path / "C-00000291-cut.sys"
    broken.write_bytes((CHANNEL_FILES / "C-00000291-good.sys").read_bytes()[:-3])
    code, _, err = run(capsys, "channel", "validate", str(broken))
    assert code == 1 and "body_size" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["channel"], ["channel", "build", "x.toml"], ["channel", "frobnicate"],
                                  ["channel", "validate"]])
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
