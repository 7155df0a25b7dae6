"""AUTH deadlines: a sensor that does not answer in time is killed ("no-reply"), and the event it
sat on is decided by the fail policy -- the path a hung interpreter takes (macOS Endpoint Security
kills such a client). The test model's deadline is far shorter than one round trip to a ring-3
sensor, so every AUTH event misses it."""
from __future__ import annotations

from simpleos.isolation.base import IsolationModel
from simpleos.kernel.sensor import NO_REPLY

DEADLINE_MS = 0.0001           # 100 cycles: less than one IPC message


def impatient(fail_open: bool):
    deaths = []

    class Impatient(IsolationModel):
        """A ring-3 sensor with a deadline it cannot meet; nobody restarts it."""
        name = "impatient"
        sensor_ring = 3
        auth_deadline_ms = DEADLINE_MS

        def on_sensor_death(self, death, services):
            deaths.append(death)
            self.announce_outage(services)
    Impatient.fail_open = fail_open
    return Impatient, deaths


def test_a_silent_sensor_is_killed_at_its_deadline_and_fail_open_lets_the_event_pass(
        tmp_path, boot_machine, register_model):
    model, deaths = impatient(fail_open=True)
    register_model(model)
    session = boot_machine(tmp_path / "m", fresh=True, model="impatient")
    text = "\n".join(session.transcript)
    assert session.verdict == "up"
    assert "sensor: no verdict for PROCESS /bin/service within 0.0001 ms (AUTH deadline)" in text
    assert "sensor: missed its AUTH deadline -- killed" in text
    assert [death.cause for death in deaths] == [NO_REPLY] and deaths[0].trap is None
    assert not session.kernel.sensor.running
    assert session.sensor_totals["unexamined"] >= 1
    assert text.count("service: listening on") == 4, "fail-open: the operation went ahead"


def test_with_fail_closed_the_event_the_sensor_missed_is_denied(tmp_path, boot_machine, register_model):
    model, deaths = impatient(fail_open=False)
    register_model(model)
    session = boot_machine(tmp_path / "m", fresh=True, model="impatient")
    text = "\n".join(session.transcript)
    assert [death.cause for death in deaths] == [NO_REPLY]
    assert "service: listening on" not in text, "fail-closed: nothing the sensor did not see goes ahead"
    assert session.sensor_totals["unexamined"] >= 1 and session.verdict == "up"
