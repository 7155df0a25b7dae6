"""`make demo` (simpleos.demo): the whole blue screen once, the update in plain words, the
recovery console's listing, titles within 80 columns, no paths into vanished folders, the
notes on fail-open and hybrid -- and a closing command that works as printed."""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from pathlib import Path

import pytest
from rich.console import Console

from cliutil import run_cli

from simpleos import demo
from simpleos.demoview import SessionView
from simpleos.resources import channel_files_dir
from simpleos.system import boot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """The demo's whole output (piped: plain text) and its machines' folder."""
    folder = tmp_path_factory.mktemp("demo")
    stream = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)                          # as `make demo` runs it
    try:
        with contextlib.redirect_stdout(stream):
            assert demo.main([str(folder / "machines")]) == 0
    finally:
        os.chdir(cwd)
    return stream.getvalue(), folder / "machines"


def test_the_whole_blue_screen_appears_once_then_stop_lines(story):
    text, _ = story
    assert text.count("\n  :(\n") == 1
    assert text.count("  Your PC ran into a problem and needs to restart.") == 1
    assert text.count("  Stop code: PAGE_FAULT_IN_NONPAGED_AREA") == 1
    assert text.count("  What failed: sensor.sys+0x2d2 (compare_string+0xa)") == 1
    assert text.count("  *** STOP: 0x00000050 (0xFFFF840500000374, 0x0000000000000000, 0xFFFFFFFF800042D2, "
                      "0x0000000000000002)") == 3                  # the full screen, then two repeats
    assert text.count("  Restarting ...") == 1


def test_the_update_is_explained_in_plain_words(story):
    text, _ = story
    assert "  rule 291003 tests field 21; the sensor supplies only 20 inputs\n" in text
    assert text.index("rule 291003 tests field 21") < text.index("Your PC ran into a problem")
    assert "C-00000291-bad.sys passes the template check" in text
    assert "rule 291003 of C-00000291-bad.sys has a criterion on input 21 (index 20); the sensor supplies only " \
           "20 inputs" in text                                    # the crash dump's explanation, inline


def test_the_recovery_console_ls_shows_the_listing(story):
    text, _ = story
    listing = text[text.index("recovery> ls /drivers/sensor"):text.index("recovery> rm")]
    for entry in ("C-00000291-bad.sys  470", "C-00000291-good.sys  363", "C-00000292-process.sys  136"):
        assert entry in listing


def test_titles_fit_80_columns_and_are_whole(story):
    text, _ = story
    rules = [line for line in text.splitlines() if line.startswith("─")]
    assert len(rules) == 5
    for line in rules:
        assert len(line) <= 80 and "…" not in line


def test_every_path_it_names_exists_after_the_demo(story):
    text, machines = story
    assert "/tmp/simpleos-demo-" not in text
    dumps = re.findall(r"(\S+/dumps/CRASH-\d+\.dmp)", text)
    assert dumps and all(Path(path).is_file() for path in dumps)
    assert str(machines) in text


def test_the_fail_open_window_and_hybrid_have_their_notes(story):
    text, _ = story
    assert "beacon: C2 channel open on \\\\.\\pipe\\MSSE-5645-server" in text
    after = text[text.index("C2 channel open"):]
    assert "fail-open" in " ".join(after.split()) and "not an accident" in " ".join(after.split())
    assert "hybrid: restarted the sensor 4 times after 4 crashes" in text
    assert "hybrid is back soonest" in " ".join(text.split())


def test_the_closing_hint_works_as_printed(story, capsys, monkeypatch):
    text, _ = story
    command = next(line.strip() for line in text.splitlines() if " debug --break-on-fault" in line)
    argv = shlex.split(command)
    assert Path(argv[0]).name == "simpleos" and argv[1] == "debug"
    monkeypatch.chdir(ROOT)                                   # where `make demo` printed it
    monkeypatch.setattr(sys, "stdin", io.StringIO("continue\nbt\nexplain\nquit\n"))
    code, out, err = run_cli(capsys, *[os.path.expanduser(word) for word in argv[1:]])
    assert code == 0, err
    assert "fault held before the kernel sees it" in out and "sensor.sys!compare_string+0xa" in out
    assert "the pointer came from inputs[20]" in out


def test_on_a_terminal_the_blue_screen_is_a_white_on_blue_panel(tmp_path):
    session = boot(tmp_path / "m", fresh=True, max_boots=2, channels=[str(channel_files_dir() / "C-00000291-bad.sys")])
    screen = io.StringIO()
    SessionView(Console(file=screen, force_terminal=True, width=80, color_system="standard")).show(session)
    text = screen.getvalue()
    assert "\x1b[1;37;44m" in text                     # bold white on blue
    assert "╭" in text and "Your PC ran into a problem and needs to restart." in text
    assert text.count("Stop code: PAGE_FAULT_IN_NONPAGED_AREA") == 1


def test_what_the_fail_open_note_says_of_fail_closed_is_true(tmp_path):
    """'With --fail-closed nothing passes -- neither the beacon nor the system's own services.'"""
    session = boot(tmp_path / "m", fresh=True, model="microkernel", fail_closed=True,
                   channels=[str(channel_files_dir() / "C-00000291-bad.sys")])
    try:
        console = "\n".join(session.transcript)
        assert "C2 channel open" not in console
        assert "service: refused to create" in console
        assert not any(p.name == "beacon" for p in session.kernel.processes.values())   # its spawn was denied
    finally:
        session.close()
