"""Endpoint Security deadlines: AUTH events carry a deadline in virtual time; a slow ring-3 sensor is
killed (deadline-miss mode kill, the default) or the operation is denied and it lives (fail-closed)."""
from __future__ import annotations

from cliutil import run_cli
from stepping import log_of, run_until

from simpleos.machine.clock import CYCLES_PER_SECOND

DEADLINE_LINE = "sensor: no verdict for PROCESS /bin/service within 10 ms (AUTH deadline)"
SLOW = 15.0                        # ms the sensor waits before each verdict: over the 10 ms deadline



def test_kill_mode_kills_the_slow_sensor(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="hybrid", sensor_delay_ms=SLOW)
    lines = log_of(session)
    assert session.verdict == "up"
    assert lines[lines.index(DEADLINE_LINE) + 1] == "pid 1 sensor: missed its AUTH deadline -- killed"
    assert session.kernel.processes[1].death_cause == "no-reply"
    totals = session.sensor_totals
    assert totals["crashes"] >= 1 and totals["deadline_misses"] == totals["crashes"]
    assert "stub: interpreter process died (no-reply); restarting it at once" in lines


def test_fail_closed_mode_denies_the_event_and_the_sensor_lives(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="hybrid", sensor_delay_ms=SLOW, deadline_mode="fail-closed")
    lines = log_of(session)
    assert session.verdict == "up"
    assert lines[lines.index(DEADLINE_LINE) + 1] == \
        "sensor: deadline-miss mode fail-closed: PROCESS /bin/service denied; the sensor lives"
    totals = session.sensor_totals
    assert totals["crashes"] == 0 and totals["restarts"] == 0 and totals["deadline_misses"] >= 1
    assert session.kernel.sensor.process.pid == 1 and session.kernel.sensor.running     # the same client, alive
    assert not any(line.startswith("service: listening on") for line in lines)          # denied, all of them
    assert "missed its AUTH deadline" not in "\n".join(lines)


def test_in_time_the_slow_sensor_only_makes_everyone_wait(tmp_path, boot_machine):
    """2 ms each is in time even when the services' events queue up; the waiting is the latency."""
    session = boot_machine(tmp_path, fresh=True, model="microkernel", sensor_delay_ms=2.0)
    totals = session.sensor_totals
    assert totals["deadline_misses"] == 0 and totals["crashes"] == 0 and totals["examined"] == 12
    assert session.latency_cycles // totals["examined"] > 2 * CYCLES_PER_SECOND // 1000


def test_events_that_queue_behind_a_slow_sensor_miss_their_deadline_too(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="microkernel", sensor_delay_ms=5.0)
    assert session.sensor_totals["deadline_misses"] >= 1       # 5 ms each, but the second waits for the first


def test_a_ring_0_sensor_has_no_deadline_to_miss(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="monolithic", sensor_delay_ms=SLOW)
    totals = session.sensor_totals
    assert session.verdict == "up" and totals["deadline_misses"] == 0 and totals["crashes"] == 0
    assert totals["examined"] == 12 and log_of(session).count("beacon: could not open its C2 pipe (blocked)") == 3


def test_auth_events_carry_a_deadline_in_virtual_time(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="nanokernel")
    assert run_until(kernel, lambda: kernel.sensor.queue.current is not None)
    event = kernel.sensor.queue.current
    assert event.deadline == event.submitted_at + 10 * CYCLES_PER_SECOND // 1000
    monolithic = powered_on(tmp_path / "m", model="monolithic")
    assert run_until(monolithic, lambda: monolithic.sensor.queue.current is not None)
    assert monolithic.sensor.queue.current.deadline is None


def test_the_flags(tmp_path, capsys):
    machine = str(tmp_path / "m")
    code, out, err = run_cli(capsys, "boot", "--machine", machine, "--fresh", "--model", "hybrid", "--json",
                             "--sensor-delay", "15", "--deadline-mode", "fail-closed")
    assert code == 0 and '"deadline_misses": 5' in out and '"crashes": 0' in out
    for bad in (["--sensor-delay", "-1"], ["--sensor-delay", "soon"], ["--deadline-mode", "ignore"],
                ["--rootkit", "nope"]):
        code, out, err = run_cli(capsys, "boot", "--machine", machine, *bad)
        assert code == 2 and err.startswith("simpleos boot: error: argument") and err.count("\n") == 1, (bad, err)
