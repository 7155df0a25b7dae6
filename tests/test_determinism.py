"""Determinism: same inputs and the same --seed give the same boot log, byte for byte.

Time inside the machine is virtual (instructions plus modelled costs), never the host's
clock, so boot logs are diffable and can be kept as golden files (as Pintos does).

The golden boot log is tests/golden/boot_seed0.txt. When the boot legitimately changes
(a new driver, a new message), look at the new log and regenerate it with
    SIMPLEOS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_determinism.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing

import pytest

from simpleos.cli import main
from simpleos.system import boot
from paths import GOLDEN_DIR, REPO

GOLDEN = GOLDEN_DIR / "boot_seed0.txt"


def boot_transcript(machine, seed: int = 0, fresh: bool = False) -> str:
    """Boot once and return the console transcript (the disk is closed again: the next
    boot may be of the same machine)."""
    with closing(boot(machine, seed=seed, fresh=fresh)) as session:
        assert session.boots[-1].outcome == "up"
        return session.machine.console.transcript()


def test_two_boots_with_the_same_seed_give_identical_transcripts(tmp_path):
    first = boot_transcript(tmp_path / "a")
    second = boot_transcript(tmp_path / "b")
    assert first == second
    assert "boot complete" in first


def test_a_reboot_of_the_same_machine_gives_the_same_transcript(tmp_path):
    """A machine that booted before (its disk unchanged) boots the same way again."""
    machine = tmp_path / "machine"
    assert boot_transcript(machine) == boot_transcript(machine) == boot_transcript(machine, fresh=True)


def test_the_seed_is_part_of_the_input(tmp_path):
    seed0 = boot_transcript(tmp_path / "a", seed=0)
    seed1 = boot_transcript(tmp_path / "b", seed=1)
    assert "seed 0" in seed0.splitlines()[0]
    assert "seed 1" in seed1.splitlines()[0]
    assert boot_transcript(tmp_path / "c", seed=1) == seed1


def test_the_boot_log_matches_the_golden_log(tmp_path):
    log = boot_transcript(tmp_path / "machine", seed=0, fresh=True)
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(log)
    expected = GOLDEN.read_text()
    assert log == expected, ("the boot log changed; if that is intended, check the new log and "
                             "regenerate it with SIMPLEOS_UPDATE_GOLDEN=1 (see this file's docstring)")


def test_the_golden_log_is_a_sensible_boot():
    """A look at the golden file itself: a clean boot, in order, with virtual timestamps."""
    lines = GOLDEN.read_text().splitlines()
    assert lines[0].endswith("seed 0") and "SimpleOS" in lines[0]
    kernel_lines = [line for line in lines if line.startswith("[")]
    stamps = [line[1:line.index("]")].strip() for line in kernel_lines]
    assert [float(s) for s in stamps] == sorted(float(s) for s in stamps), "time never goes backwards"
    text = "\n".join(lines)
    assert text.index("init: starting services") < text.index("boot complete")
    for pipe in ("spoolss", "eventlog", "wkssvc", "lsarpc"):
        assert f"service: listening on \\\\.\\pipe\\{pipe}" in text
    assert "beacon: could not open its C2 pipe (blocked)" in text      # the story's workload
    assert "hello, world" not in text                                 # init prints no hello of its own
    for bad in ("STOP", "bugcheck", "killed", "Traceback", "watchdog"):
        assert bad not in text


def test_boot_json_twice_is_identical(tmp_path, capsys):
    machine = str(tmp_path / "machine")
    outputs = []
    for _ in range(2):
        assert main(["boot", "--machine", machine, "--json"]) == 0
        out, err = capsys.readouterr()
        assert err == ""
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["verdict"] == "up"


def test_boot_text_output_is_the_console_transcript_then_the_verdict(tmp_path, capsys):
    machine = tmp_path / "machine"
    assert main(["boot", "--machine", str(machine)]) == 0
    out, _ = capsys.readouterr()
    assert out == boot_transcript(machine) + "verdict: up\n"


def _cli(*args: str, hash_seed: str) -> subprocess.CompletedProcess:
    """`python -m simpleos ARGS` in a fresh interpreter with a given PYTHONHASHSEED."""
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    return subprocess.run([sys.executable, "-m", "simpleos", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_boot_output_does_not_depend_on_the_host_process(tmp_path, as_json):
    """Two separate interpreters with different hash seeds (set/dict order of str keys) and a
    different machine directory print the same bytes."""
    runs = []
    for index, hash_seed in enumerate(("1", "12345")):
        args = ["boot", "--machine", str(tmp_path / f"m{index}")] + (["--json"] if as_json else [])
        result = _cli(*args, hash_seed=hash_seed)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        runs.append(result.stdout)
    assert runs[0] == runs[1]
    if not as_json:
        assert runs[0] == GOLDEN.read_text() + "verdict: up\n"
