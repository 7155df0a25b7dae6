"""Monolithic model + CF291: bugcheck 0x50 in the sensor, dumps, bootloop; safe-mode and automatic repair."""
import json
from pathlib import Path

import pytest

from cliutil import run_cli
from paths import BAD


@pytest.fixture
def looping(tmp_path, capsys):
    """A machine that booted three times into the CF291 bugcheck (via the CLI, with --json)."""
    code, out, err = run_cli(capsys, "boot", "--machine", str(tmp_path), "--fresh", "--channel", BAD,
                             "--max-boots", "3", "--json")
    return tmp_path, code, json.loads(out), err


def test_three_boots_three_bugchecks_0x50_in_the_sensor_and_a_bootloop(looping):
    _, code, doc, err = looping
    assert code == 3 and err == ""
    assert doc["model"] == "monolithic" and doc["verdict"] == "bootloop"
    assert [b["outcome"] for b in doc["boots"]] == ["bugcheck"] * 3
    for b in doc["boots"]:
        assert b["mode"] == "normal"
        assert b["bugcheck"]["code"] == 0x50 and b["bugcheck"]["name"] == "PAGE_FAULT_IN_NONPAGED_AREA"
        assert b["bugcheck"]["module"] == "sensor.sys"
        assert b["bugcheck"]["address"] >= 0xFFFF840500000074  # an event handle, not NULL
    first = doc["boots"][0]["bugcheck"]
    assert all(b["bugcheck"] == first for b in doc["boots"]), "the same crash, every boot"
    assert doc["sensor"]["crashes"] == 3


def test_every_crash_leaves_a_dump_that_names_the_channel_file(looping):
    home, _, doc, _ = looping
    for number, b in enumerate(doc["boots"], 1):
        path = Path(b["dump"])
        assert path == home / "dumps" / f"CRASH-{number:04d}.dmp" and path.is_file()
        dump = json.loads(path.read_text())
        assert dump["bugcheck"]["code"] == 0x50
        assert dump["bugcheck"]["parameters"][1] == 0  # a read
        assert dump["sensor"]["file"] == "C-00000291-bad.sys"
        assert dump["sensor"]["instance"] == 291003 and dump["sensor"]["criterion"] == 20
        assert dump["process"]["name"] == "sensor" and dump["process"]["ring"] == 0
        assert bytes.fromhex(dump["instruction_bytes"])  # the faulting instruction's bytes


def test_the_boot_status_flag_counts_the_failed_boots(looping, capsys):
    home, *_ = looping
    assert run_cli(capsys, "disk", "cat", "/boot/status", "--machine", str(home))[1].startswith("3 ")


def test_safe_mode_rm_and_reboot_bring_the_machine_up(looping, capsys):
    home, *_ = looping
    code, out, _ = run_cli(capsys, "boot", "--machine", str(home), "--safe-mode", "--exec",
                           "ls /drivers/sensor; rm /drivers/sensor/C-00000291-bad.sys; reboot")
    assert code == 0
    assert "recovery> rm /drivers/sensor/C-00000291-bad.sys" in out
    assert "removed /drivers/sensor/C-00000291-bad.sys" in out
    assert "the last 3 boot(s) did not complete" in out
    assert out.rstrip().endswith("verdict: up (2 boots)")
    assert "boot complete" in out and "STOP" not in out.split("recovery: rebooting")[1]
    # and it stays up on the next boot, with the flag cleared
    code, out, _ = run_cli(capsys, "boot", "--machine", str(home), "--json")
    assert code == 0 and json.loads(out)["verdict"] == "up"
    assert run_cli(capsys, "disk", "cat", "/boot/status", "--machine", str(home))[1].startswith("0 ")


def test_safe_mode_without_reboot_leaves_the_machine_in_safe_mode(looping, capsys):
    home, *_ = looping
    code, out, _ = run_cli(capsys, "boot", "--machine", str(home), "--safe-mode", "--exec", "ls /", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "safe-mode"
    assert [b["mode"] for b in doc["boots"]] == ["safe"]


def test_auto_repair_recovers_without_manual_steps(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, channels=[BAD], auto_repair=True, max_boots=5)
    assert [(b.mode, b.outcome) for b in session.boots] == [
        ("normal", "bugcheck"), ("normal", "bugcheck"), ("safe", "up"), ("normal", "up")]
    assert session.verdict == "up"
    assert session.sensor_totals["quarantined"] == ["C-00000291-bad.sys"]
    assert session.fs.exists("/drivers/sensor/quarantine/C-00000291-bad.sys")
    assert not session.fs.exists("/drivers/sensor/C-00000291-bad.sys")
    assert any("automatic repair: rolled back content update C-00000291-bad.sys" in line
               for line in session.transcript)


def test_without_auto_repair_the_machine_never_repairs_itself(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, channels=[BAD], max_boots=5)
    assert session.verdict == "bootloop" and len(session.boots) == 5
    assert session.fs.exists("/drivers/sensor/C-00000291-bad.sys")


def test_the_blue_screen_is_on_the_console(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, channels=[BAD], max_boots=1)
    text = "\n".join(session.transcript)
    assert "Stop code: PAGE_FAULT_IN_NONPAGED_AREA" in text
    assert "What failed: sensor.sys+" in text and "(compare_string+" in text
    assert "*** STOP: 0x00000050 (0xFFFF8405" in text
