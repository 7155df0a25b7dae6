"""Hybrid and verified models, and the good and zeros files under every model."""
import pytest

from simpleos.isolation import model_names
from simpleos.isolation.hybrid import MAX_RESTARTS
from paths import BAD, GOOD, ZEROS


def test_hybrid_restarts_the_interpreter_process_at_once_and_the_machine_stays_up(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="hybrid", channels=[BAD])
    text = "\n".join(session.transcript)
    assert session.verdict == "up" and len(session.boots) == 1
    crashes = session.sensor_totals["crashes"]
    assert 1 <= crashes <= MAX_RESTARTS + 1
    assert session.sensor_totals["restarts"] == min(crashes, MAX_RESTARTS)
    assert text.count("stub: interpreter process died (crash); restarting it at once") == session.sensor_totals["restarts"]
    assert session.sensor_totals["quarantined"] == []          # no content rollback in this model
    assert session.fs.exists("/drivers/sensor/C-00000291-bad.sys")
    assert "STOP" not in text


def test_verified_rejects_the_bad_file_at_load_and_keeps_the_previous_content(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="verified", channels=[BAD])
    text = "\n".join(session.transcript)
    assert session.verdict == "up"
    assert session.sensor_totals["rejected"] == ["C-00000291-bad.sys"]
    assert session.sensor_totals["crashes"] == 0
    assert ("verifier: rejected C-00000291-bad.sys: instance 291003: criterion on field 21 (index 20) "
            "reads input #21 but the sensor supplies 20 inputs; previous content stays") in text
    assert "sensor: DENY IPC" in text and "beacon: C2 channel open" not in text
    assert "(ring 0, kernel thread)" in text


def test_verified_rejects_the_zeros_file_as_malformed(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="verified", channels=[ZEROS])
    assert session.verdict == "up"
    assert session.sensor_totals["rejected"] == ["C-00000291-zeros.sys"]
    assert any("verifier: rejected C-00000291-zeros.sys: malformed:" in line for line in session.transcript)


@pytest.mark.parametrize("model", model_names())
@pytest.mark.parametrize("update", [GOOD, ZEROS], ids=["good", "zeros"])
def test_good_and_zeros_files_are_harmless_under_every_model(tmp_path, boot_machine, model, update):
    session = boot_machine(tmp_path, fresh=True, model=model, channels=[update])
    text = "\n".join(session.transcript)
    assert session.verdict == "up" and len(session.boots) == 1
    assert session.sensor_totals["crashes"] == 0 and "STOP" not in text
    assert text.count("beacon: could not open its C2 pipe (blocked)") == 3
    assert text.count("service: listening on") == 4
