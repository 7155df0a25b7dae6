"""`compare --plot OUT.png`: a figure for slides (matplotlib, an optional extra)."""
from __future__ import annotations

import sys

import pytest
from cliutil import run_cli

from simpleos.resources import channel_files_dir

BAD = str(channel_files_dir() / "C-00000291-bad.sys")


def test_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is the plot extra (pip install 'simpleos[plot]')")
    out_file = tmp_path / "compare.png"
    code, out, err = run_cli(capsys, "compare", BAD, "--plot", str(out_file))
    assert code == 0 and err == ""
    assert out.endswith(f"plot: {out_file}\n")
    data = out_file.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > height > 300


def test_plot_with_json_keeps_stdout_one_object(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is the plot extra (pip install 'simpleos[plot]')")
    code, out, _ = run_cli(capsys, "compare", BAD, "--json", "--plot", str(tmp_path / "c.svg"))
    assert code == 0 and out.count("\n") == 1 and (tmp_path / "c.svg").read_text().startswith("<?xml")


def test_without_matplotlib_plot_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)         # import matplotlib now fails
    code, out, err = run_cli(capsys, "compare", BAD, "--plot", str(tmp_path / "c.png"))
    assert (code, out) == (1, "")
    assert err == "simpleos: compare --plot needs matplotlib, an optional extra: pip install 'simpleos[plot]'\n"


def test_an_unwritable_plot_is_one_line(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is the plot extra (pip install 'simpleos[plot]')")
    code, _, err = run_cli(capsys, "compare", BAD, "--plot", str(tmp_path / "no" / "such" / "dir.png"))
    assert code == 1 and err.count("\n") == 1 and "cannot write the plot" in err
