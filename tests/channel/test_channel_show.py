"""`channel show` output: golden plain text for the samples, rich on a terminal.

To refresh a golden after an intended change:
    python -m simpleos channel show channel_files/X.sys > tests/channel/golden/X.show.txt
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from simpleos.channel import ChannelFile, Criterion, Instance, load_channel_file, print_channel_file, render_plain
from simpleos.cli import main
from paths import CHANNEL_FILES

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"


@pytest.mark.parametrize("stem", ["C-00000291-good", "C-00000291-bad", "C-00000292-process"])
def test_show_matches_golden(stem, capsys):
    assert main(["channel", "show", str(CHANNEL_FILES / f"{stem}.sys")]) == 0
    out = capsys.readouterr().out
    assert out == (GOLDEN / f"{stem}.show.txt").read_text(encoding="utf-8")


def test_plain_text_shows_every_criterion_and_odd_values():
    cf = ChannelFile(5, 9, 3, 1, (Instance(1, 1, (Criterion.equals(b"a\x01\xff"), Criterion.integer(255),
                                                  Criterion.wildcard())),))
    text = render_plain(cf)
    assert "template_type    9 (unknown)" in text
    assert '"a\\x01\\xff"' in text and "255 (0xff)" in text and "(not declared)" in text
    assert text.count("\n  ") == 4  # column heads + 3 criteria


class FakeTerminal(io.StringIO):
    """A StringIO that claims to be a terminal, to exercise the rich path."""

    def isatty(self) -> bool:
        return True


def test_terminal_output_uses_rich_tables():
    out = FakeTerminal()
    print_channel_file(load_channel_file(CHANNEL_FILES / "C-00000291-bad.sys"), "C-00000291-bad.sys", out)
    text = out.getvalue()
    assert "instance 291003" in text and "field_21" in text and "┃" in text


def test_non_terminal_output_is_plain():
    out = io.StringIO()
    cf = load_channel_file(CHANNEL_FILES / "C-00000292-process.sys")
    print_channel_file(cf, "x.sys", out)
    assert out.getvalue() == render_plain(cf, "x.sys")
