"""The CLI's rough edges, smoothed: --version, compare --seed's help, 'no such file' before the
name check, --machine on a file, channel show (the criteria that matter; --all: every one)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from cliutil import run_cli

from simpleos import __version__
from simpleos.channel import load_channel_file, print_channel_file
from simpleos.resources import channel_files_dir

SAMPLES = channel_files_dir()
GOLDEN = Path(__file__).resolve().parents[1] / "channel" / "golden"


def test_version(capsys):
    assert run_cli(capsys, "--version") == (0, f"simpleos {__version__}\n", "")


def test_compare_seed_has_help(capsys):
    code, out, _ = run_cli(capsys, "compare", "--help")
    assert code == 0 and "seed of the kernel's random numbers, the same for every model" in " ".join(out.split())


@pytest.mark.parametrize("argv", [["boot", "--channel", "/nonexistent.sys"], ["push", "/nonexistent.sys"],
                                  ["run", "/nonexistent.asm"]])
def test_a_missing_file_is_no_such_file_whatever_its_name(argv, tmp_path, capsys):
    code, out, err = run_cli(capsys, *argv, "--machine", str(tmp_path / "m"))
    assert (code, out) == (1, "")
    assert err == f"simpleos: no such file: {argv[-1]}\n"


def test_an_existing_file_with_a_bad_name_is_still_a_bad_name(tmp_path, capsys):
    odd = tmp_path / "notes.sys"
    odd.write_bytes(b"x")
    code, _, err = run_cli(capsys, "boot", "--channel", str(odd), "--machine", str(tmp_path / "m"))
    assert code == 1 and "not a channel file name: 'notes.sys'" in err


def test_machine_on_a_file_says_it_is_not_a_directory(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("")
    code, _, err = run_cli(capsys, "boot", "--machine", str(afile))
    assert (code, err) == (1, f"simpleos: cannot use machine directory {afile}: it is not a directory\n")


@pytest.mark.parametrize("stem", ["C-00000291-good", "C-00000291-bad", "C-00000292-process"])
def test_channel_show_all_is_the_full_table(stem, capsys):
    code, out, _ = run_cli(capsys, "channel", "show", "--all", str(SAMPLES / f"{stem}.sys"))
    assert code == 0 and out == (GOLDEN / f"{stem}.all.show.txt").read_text(encoding="utf-8")


def test_channel_show_leaves_out_the_wildcards(capsys):
    code, out, _ = run_cli(capsys, "channel", "show", str(SAMPLES / "C-00000291-bad.sys"))
    assert code == 0
    assert "  21     20     field_21  equals  \"c2-pipe-pattern\"" in out.splitlines()
    assert "wildcard  *" not in out
    assert out.count("(20 more criteria are wildcards, *; --all lists them)") == 4
    assert len(out.splitlines()) < 40


class FakeTerminal(io.StringIO):
    """A StringIO that claims to be a terminal, for the rich path."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_criteria_that_test_something_are_highlighted():
    out = FakeTerminal()
    print_channel_file(load_channel_file(SAMPLES / "C-00000291-bad.sys"), "C-00000291-bad.sys", out, wildcards=False)
    text = out.getvalue()
    assert "c2-pipe-pattern" in text and "--all lists them" in text and "wildcard " not in text
    assert "\x1b[1;33m" in text                # bold yellow: a criterion that tests something
