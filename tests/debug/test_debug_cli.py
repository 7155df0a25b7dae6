"""`simpleos debug` on the command line: options, input sources, and clean refusals."""
from __future__ import annotations

import subprocess
import sys

import pytest

from simpleos.cli import main
from simpleos.resources import channel_files_dir
from paths import REPO

BAD_FILE = str(channel_files_dir() / "C-00000291-bad.sys")


@pytest.mark.parametrize("flag", [["--json"], ["--safe-mode"], ["--exec", "ls"], ["--auto-repair"]])
def test_boot_options_that_make_no_sense_here_are_refused_in_one_line(tmp_path, capsys, flag):
    code = main(["debug", "--machine", str(tmp_path / "m"), *flag])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and flag[0] in err


def test_a_missing_script_is_bad_input(tmp_path, capsys):
    code = main(["debug", "--machine", str(tmp_path / "m"), "--script", str(tmp_path / "nope.sdb")])
    assert code == 1 and "no such script" in capsys.readouterr().err


def test_commands_come_from_stdin_when_it_is_not_a_terminal(tmp_path):
    result = subprocess.run([sys.executable, "-m", "simpleos", "debug", "--machine", str(tmp_path / "m"), "--fresh",
                             "--channel", BAD_FILE, "--break-on-fault"],
                            input="continue\nbt\nquit\nstepi\n", capture_output=True, text=True, cwd=REPO,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "(sdb) continue" in result.stdout and "sensor.sys!match_instance+0x51" in result.stdout
    assert "(sdb) stepi" not in result.stdout, "quit ends the session"


def test_errors_in_a_script_print_one_line_and_the_session_goes_on(tmp_path, capsys):
    script = tmp_path / "s.sdb"
    script.write_text("break no_such_symbol\nx/4gx 0xffff840500000374\nfrobnicate\nx/2i $rip\n")
    assert main(["debug", "--machine", str(tmp_path / "m"), "--fresh", "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "error: no symbol 'no_such_symbol'" in out
    assert "error: cannot access memory at 0xffff840500000374" in out
    assert "error: unknown command 'frobnicate'" in out
    assert "<sensor.sys!sensor_main>:" in out, "the last command still ran (position 0: the first process is on the CPU)"


def test_gdb_without_the_stub_module_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "simpleos.debug.gdb", None)
    code = main(["debug", "--machine", str(tmp_path / "m"), "--gdb", "1234"])
    err = capsys.readouterr().err
    assert code == 1 and "gdb stub is not available" in err and err.count("\n") == 1
