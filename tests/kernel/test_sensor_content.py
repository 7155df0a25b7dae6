"""Malformed content on a running machine: the zero-filled C-00000291 file, and one end-to-end
check that the CLI's ABI validation names the CF291 rule.

docs/channel-files.md: a malformed file must never crash the host program; what it
does to the emulated machine depends on the sensor and the model. Here the kernel reads the file,
logs that it is malformed and hands it to the sensor as is (the kernel does not judge content);
the sensor checks the header and ignores it. Template/ABI validation itself is covered in
tests/channel/; the sensor's kernel API (syscalls 510-513) in tests/kernel/test_syscalls.py.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from simpleos.kernel.install import SENSOR_DIR
from simpleos.system import open_home
from paths import BAD, REPO, ZEROS

MODELS = ["monolithic", "microkernel"]     # the sensor at ring 0 and at ring 3 (every model: tests/isolation/)

KERNEL_SAYS_MALFORMED = ("content: C-00000291-zeros.sys: malformed (file is all zero bytes (like the "
                         "zero-filled C-00000291 files seen in 2024)); handed to the sensor as is")
SENSOR_IGNORES_IT = "sensor: a content file has a bad header: ignored"
BEACON_DENIED = re.compile(r"sensor: DENY IPC \\\\\.\\pipe\\MSSE-\d{4}-server \(rule 291001\)$")
BEACON_EXEC_REPORTED = "sensor: detection: PROCESS /bin/beacon matched rule 292001 (notify)"
SERVICE_PIPES = ["spoolss", "eventlog", "wkssvc", "lsarpc"]


def console_lines(session) -> list[str]:
    """The console, with the kernel log's '[  time] ' prefix removed."""
    return [re.sub(r"^\[\s*\d+\.\d+\] ", "", line) for line in session.machine.console.lines]


def assert_up_and_unharmed(session) -> list[str]:
    """One normal boot, up, no trap anywhere, the sensor alive, the services listening."""
    lines = console_lines(session)
    assert session.verdict == "up"
    assert [(b.mode, b.outcome, b.bugcheck) for b in session.boots] == [("normal", "up", None)]
    assert "boot complete" in lines
    assert not any(line.endswith("-- killed") for line in lines), lines
    assert session.kernel.sensor.running
    assert session.to_json()["sensor"]["crashes"] == 0
    for pipe in SERVICE_PIPES:
        assert f"service: listening on \\\\.\\pipe\\{pipe}" in lines
    return lines


@pytest.mark.parametrize("model", MODELS)
def test_zeros_pushed_next_to_the_defaults_is_ignored_and_good_rules_still_work(tmp_path, boot_machine, model):
    session = boot_machine(tmp_path / "machine", fresh=True, channels=[ZEROS], model=model, max_boots=1)
    lines = assert_up_and_unharmed(session)
    assert lines.count(KERNEL_SAYS_MALFORMED) == 1
    assert lines.count(SENSOR_IGNORES_IT) == 1
    assert lines.index(KERNEL_SAYS_MALFORMED) < lines.index(SENSOR_IGNORES_IT)
    # The good channel 291 file and the channel 292 file are loaded and judge as before.
    denials = sum(bool(BEACON_DENIED.search(line)) for line in lines)
    assert denials >= 1
    assert lines.count("beacon: could not open its C2 pipe (blocked)") == denials
    assert not any(line.startswith("beacon: C2 channel open") for line in lines)
    assert BEACON_EXEC_REPORTED in lines


@pytest.mark.parametrize("model", MODELS)
def test_zeros_as_the_only_channel_291_file(tmp_path, boot_machine, model):
    """The good 291 file removed, the zeros file the only one left for channel 291: no IPC rules
    at all, so the beacon's pipe goes through; the machine is unharmed; channel 292 still reports."""
    machine = tmp_path / "machine"
    _, fs = open_home(machine, fresh=True)
    with fs:
        fs.remove(f"{SENSOR_DIR}/C-00000291-good.sys")
        assert [e.name for e in fs.listdir(SENSOR_DIR) if e.name.startswith("C-00000291")] == []
    session = boot_machine(machine, channels=[ZEROS], model=model, max_boots=1)
    assert sorted(e.name for e in session.fs.listdir(SENSOR_DIR) if e.name.startswith("C-00000291")) == \
        ["C-00000291-zeros.sys"]
    lines = assert_up_and_unharmed(session)
    assert lines.count(KERNEL_SAYS_MALFORMED) == 1
    assert lines.count(SENSOR_IGNORES_IT) == 1
    assert not any(line.startswith("content: C-00000291-good.sys") for line in lines)
    assert not any(BEACON_DENIED.search(line) for line in lines)
    assert any(re.fullmatch(r"beacon: C2 channel open on \\\\\.\\pipe\\MSSE-\d{4}-server", line)
               for line in lines), lines
    assert BEACON_EXEC_REPORTED in lines


def test_cli_abi_validation_names_instance_291003_end_to_end(tmp_path):
    """`simpleos channel validate --abi` as a user runs it: exit 1, one line naming the rule;
    template validation alone passes the same file (CF291's blind spot)."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_STATE_HOME=str(tmp_path / "state"))
    bad = BAD
    abi = subprocess.run([sys.executable, "-m", "simpleos", "channel", "validate", bad, "--abi"],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert abi.returncode == 1
    assert abi.stdout == ""
    assert "Traceback" not in abi.stderr
    assert abi.stderr.count("\n") == 1
    assert abi.stderr.startswith("simpleos: ")
    assert "instance 291003" in abi.stderr
    assert "reads input #21 but the sensor supplies 20 inputs" in abi.stderr
    template = subprocess.run([sys.executable, "-m", "simpleos", "channel", "validate", bad],
                              capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert (template.returncode, template.stdout.strip(), template.stderr) == (0, "valid (template)", "")
