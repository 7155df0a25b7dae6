"""`simpleos fleet` and `fleet compare` on the command line: output, determinism, plots, backends, errors."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from simpleos.isolation import model_names
from cliutil import run_cli

CHANNELS = Path(__file__).resolve().parents[2] / "channel_files"
BAD = str(CHANNELS / "C-00000291-bad.sys")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_19_july_replay_prints_a_short_summary_and_a_text_chart(capsys):
    code, out, err = run_cli(capsys, "fleet", "--channel", BAD, "--workers", "1")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "C-00000291-bad.sys: all-at-once, 10,000 machines (monolithic), seed 0"
    assert any(line.startswith("rollout halted after       78 min (2024-07-19T05:27Z)") for line in lines)
    assert any(line.startswith("99% of crashed back after") and "2024-07-2" in line for line in lines)
    assert any(line.startswith("machines down (peak ") for line in lines)
    assert any("|" in line and "█" in line for line in lines)


def test_json_is_one_object_and_byte_identical_for_a_seed(capsysbinary):
    runs = [run_cli(capsysbinary, "fleet", "--channel", BAD, "--policy", "rings", "--seed", "7", "--json",
                    "--workers", "1") for _ in range(2)]
    assert runs[0][0] == 0 and runs[0][1] == runs[1][1] and runs[0][2] == b""
    report = json.loads(runs[0][1])
    for key in ("policy", "model", "machines", "crashed", "bricked", "recovered_automatically",
                "halted_after_minutes", "machine_hours_lost", "emulated_boots", "rings", "timeline"):
        assert key in report
    assert set(report["rings"][0]) >= {"size", "crashed", "halted"}
    assert all(len(point) == 2 for point in report["timeline"])
    other = run_cli(capsysbinary, "fleet", "--channel", BAD, "--policy", "rings", "--seed", "8", "--json",
                    "--workers", "1")
    assert other[1] != runs[0][1]                                  # the seed moves the timing


def test_a_process_pool_gives_the_same_json_as_one_process(capsysbinary):
    one = run_cli(capsysbinary, "fleet", "--channel", BAD, "--mix", "monolithic=0.5,hybrid=0.5", "--seed", "2",
                  "--json", "--workers", "1")
    from simpleos.fleet.emulate import forget_cached_boots
    forget_cached_boots()                                          # make the pool really boot them
    pool = run_cli(capsysbinary, "fleet", "--channel", BAD, "--mix", "monolithic=0.5,hybrid=0.5", "--seed", "2",
                   "--json", "--workers", "2")
    assert one[0] == pool[0] == 0 and one[1] == pool[1]


def test_ray_backend_gives_the_same_json_as_local(capsysbinary):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'simpleos[ray]' (CI installs it)")
    local = run_cli(capsysbinary, "fleet", "--channel", BAD, "--policy", "canary", "--json", "--workers", "1")
    from simpleos.fleet.emulate import forget_cached_boots
    forget_cached_boots()
    ray = run_cli(capsysbinary, "fleet", "--channel", BAD, "--policy", "canary", "--json", "--workers", "2",
                  "--backend", "ray")
    assert ray[0] == 0 and ray[1] == local[1]


def test_plot_writes_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is an optional extra: pip install 'simpleos[fleet]'")
    out_png = tmp_path / "fleet.png"
    code, out, _ = run_cli(capsys, "fleet", "--channel", BAD, "--plot", str(out_png), "--workers", "1")
    assert code == 0 and out.splitlines()[-1] == f"wrote {out_png}"
    assert out_png.read_bytes()[:8] == PNG_MAGIC


def test_plot_without_matplotlib_is_a_one_line_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)          # import matplotlib now raises ImportError
    code, out, err = run_cli(capsys, "fleet", "--channel", BAD, "--plot", str(tmp_path / "x.png"))
    assert code == 1 and out == ""
    assert err == "simpleos: --plot needs matplotlib: pip install 'simpleos[fleet]'\n"


def test_compare_shows_every_policy_and_model_in_one_table_and_one_picture(capsys, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is an optional extra: pip install 'simpleos[fleet]'")
    picture = tmp_path / "compare.png"
    code, out, _ = run_cli(capsys, "fleet", "compare", "--channel", BAD, "--machines", "100000",
                           "--workers", "1", "--plot", str(picture))
    assert code == 0 and picture.read_bytes()[:8] == PNG_MAGIC
    rows = {tuple(line.split()[:2]): line.split() for line in out.splitlines()[3:-1]}
    assert len(rows) == 3 * len(model_names())
    assert float(rows[("all-at-once", "monolithic")][3].rstrip("%")) > 50
    for policy in ("rings", "canary"):
        assert float(rows[(policy, "monolithic")][3].rstrip("%")) <= 1.0     # capped near 1%
    for policy in ("all-at-once", "rings", "canary"):
        assert rows[(policy, "microkernel")][2] == "0" and rows[(policy, "microkernel")][4] == "0"


def test_compare_json_holds_every_run(capsys):
    code, out, _ = run_cli(capsys, "fleet", "compare", "--channel", BAD, "--policies", "rings",
                           "--models", "monolithic,verified", "--json", "--workers", "1")
    comparison = json.loads(out)
    assert code == 0 and [(r["policy"], r["model"]) for r in comparison["runs"]] == [
        ("rings", "monolithic"), ("rings", "verified")]


def test_progress_bar_goes_to_a_terminal_only(capsys, monkeypatch):
    from simpleos.fleet.progress import BootProgress
    with BootProgress(2, enabled=None) as bar:                     # stderr is not a terminal here
        bar.advance("a")
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("FORCE_COLOR", "1")
    with BootProgress(2, enabled=True) as bar:
        bar.advance("monolithic/original/server")
    assert "booting machine classes" in capsys.readouterr().err


@pytest.mark.parametrize("argv, code, message", [
    (["fleet"], 1, "simpleos: no channel file: give --channel FILE"),
    (["fleet", "--channel", "missing/C-00000291-x.sys"], 1, "simpleos: no such file: missing/C-00000291-x.sys"),
    (["fleet", "--channel", "README.md"], 1, "simpleos: not a channel file name: 'README.md'"),
    (["fleet", "--channel", BAD, "--policies", "rings"], 2, "--policies is for `fleet compare` only"),
    (["fleet", "--channel", BAD, "--bake", "5"], 2, "--bake does nothing for all-at-once"),
    (["fleet", "--channel", BAD, "--model", "hybrid", "--mix", "hybrid=1"], 2, "not allowed with argument"),
    (["fleet", "--channel", BAD, "--mix", "monolithic=0.5,mainframe=0.5"], 1, "unknown model 'mainframe'"),
    (["fleet", "--channel", BAD, "--roles", "server=0"], 1, "role mix adds up to 0"),
    (["fleet", "--channel", BAD, "--bitlocker", "2"], 1, "bitlocker must be between 0 and 1"),
    (["fleet", "--channel", BAD, "--machines", "0"], 2, "must be at least 1"),
    (["fleet", "--channel", BAD, "--ray-address", "x:1"], 2, "--ray-address needs --backend ray"),
    (["fleet", "compare", "--channel", BAD, "--model", "hybrid"], 2, "use --models"),
    (["fleet", "--channel", BAD, "--scenario", "missing.toml"], 1, "simpleos: no such file: missing.toml"),
])
def test_bad_input_is_one_line(capsys, argv, code, message):
    got, out, err = run_cli(capsys, *argv)
    assert got == code and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
