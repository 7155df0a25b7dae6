"""Microkernel + CF291: the machine stays up; restart with MINIX backoff; quarantine; fail-open vs closed."""
import pytest

from simpleos.isolation.reincarnation import restart_backoff
from paths import BAD


@pytest.fixture
def boot_microkernel(boot_machine):
    """boot_microkernel(DIR, **options): a fresh microkernel machine with CF291 delivered
    (closed when the test ends)."""
    def boot_microkernel(directory, **options):
        return boot_machine(directory, fresh=True, model="microkernel", channels=[BAD], **options)
    return boot_microkernel


def test_restart_backoff_follows_minix():
    assert [restart_backoff(n) for n in range(7)] == [0, 2, 4, 8, 16, 30, 30]


def test_one_boot_up_sensor_crashes_restarts_with_backoff_and_quarantine(tmp_path, boot_microkernel):
    session = boot_microkernel(tmp_path)
    assert session.verdict == "up" and len(session.boots) == 1
    assert session.boots[0].outcome == "up" and session.boots[0].bugcheck is None
    totals = session.sensor_totals
    assert totals["crashes"] == 2 and totals["restarts"] == 2
    assert totals["quarantined"] == ["C-00000291-bad.sys"]
    assert session.kernel.model.rs.backoff_log == [0, 2]     # at once, then 1 << 1 periods
    assert session.fs.exists("/drivers/sensor/quarantine/C-00000291-bad.sys")
    text = "\n".join(session.transcript)
    assert text.count("pid ") and text.count("sensor: trap 14 #PF (page fault)") == 2
    assert "rs: sensor died (crash); restart 1 at once" in text
    assert "rs: sensor died (crash); restart 2 in 2 s (backoff)" in text
    assert "STOP" not in text


def test_after_the_rollback_the_good_rules_still_block_the_beacon(tmp_path, boot_microkernel):
    session = boot_microkernel(tmp_path)
    text = session.transcript
    restarted = next(i for i, line in enumerate(text) if "restarted as pid" in line and "restart 2" in line)
    later = text[restarted:]
    assert any("DENY IPC \\\\.\\pipe\\MSSE-" in line and "(rule 291001)" in line for line in later)
    assert later.count("beacon: could not open its C2 pipe (blocked)") == 2
    # while the sensor was down, the beacon's first try passed unexamined (the outage's cost)
    assert any(line.startswith("beacon: C2 channel open") for line in text[:restarted])


def test_the_next_boot_is_clean(tmp_path, boot_machine, boot_microkernel):
    boot_microkernel(tmp_path).close()
    session = boot_machine(tmp_path, model="microkernel")
    assert session.sensor_totals["crashes"] == 0 and session.verdict == "up"
    assert session.sensor_totals["denials"] == 3


def test_fail_open_and_fail_closed_differ(tmp_path, boot_microkernel):
    opened = boot_microkernel(tmp_path / "open")
    closed = boot_microkernel(tmp_path / "closed", fail_closed=True)
    open_text, closed_text = "\n".join(opened.transcript), "\n".join(closed.transcript)
    assert "events pass unexamined (fail-open)" in open_text
    assert "events are denied (fail-closed)" in closed_text
    # fail-open: the beacon got out while the sensor was down; fail-closed: it never did,
    # but the machine's own services were refused too (the availability cost)
    assert "beacon: C2 channel open" in open_text and "beacon: C2 channel open" not in closed_text
    assert "service: refused to create" in closed_text and "service: refused to create" not in open_text
    assert opened.sensor_totals["unexamined"] > 0 and closed.sensor_totals["unexamined"] > 0
    assert opened.sensor_totals["unexamined"] != closed.sensor_totals["unexamined"]


def test_process_exits_reach_the_sensor_as_notify_messages(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="microkernel")
    exited = [p for p in session.kernel.processes.values() if p.fate and p.name != "sensor"]
    assert {p.name for p in exited} >= {"beacon"}
    assert session.sensor_totals["notifications"] == len(exited)
    assert session.sensor_totals["unexamined"] == 0      # nobody waits for a NOTIFY
    assert session.sensor_totals["events"] == 12          # the AUTH events are counted apart
