"""The model interface (isolation/base.py) through a real boot: admit, on_sensor_death, place.

Each test model below is registered for one test only (the `register_model`
fixture puts it in the registry's answer, as if it had a file of its own), then
booted by name through simpleos.system.boot: the same path as `--model NAME`
(boot_with -> model_named -> new_kernel -> Kernel -> SensorManager). Content
updates (files named in the update log, i.e. delivered by --channel/push) are
what admit() is asked about; the files installed with the sensor are trusted.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from simpleos.isolation.base import IsolationModel
from simpleos.kernel.install import DEFAULT_CHANNEL_FILES, SENSOR_DIR
from simpleos.kernel.placement import UserProcess
from simpleos.kernel.proc import ZOMBIE
from simpleos.kernel.sensor import CRASH, SensorDeath
from paths import BAD

BEACON_OUT = "beacon: C2 channel open on "
BEACON_BLOCKED = "beacon: could not open its C2 pipe (blocked)"
REFUSAL = "every content update is refused here"


def text_of(session) -> str:
    """Every boot's console, one string."""
    return "\n".join(session.transcript)


# --- admit: a model that rejects every content update keeps the previous content --------------------

class RejectEverything(IsolationModel):
    """admit() says no to everything, and remembers what it was asked about."""

    name = "reject-everything"

    def __init__(self) -> None:
        self.asked = []

    def admit(self, content):
        self.asked.append(content)
        return [REFUSAL]


class RejectEverythingAtRing3(RejectEverything):
    name = "reject-everything-ring3"
    sensor_ring = 3


@pytest.mark.parametrize("model_class", [RejectEverything, RejectEverythingAtRing3], ids=["ring0", "ring3"])
def test_a_model_that_admits_nothing_keeps_the_previous_content(tmp_path, boot_machine, register_model, model_class):
    register_model(model_class)
    session = boot_machine(tmp_path, fresh=True, model=model_class.name, channels=[BAD], max_boots=1)
    text = text_of(session)
    sensor = session.kernel.sensor
    # The update is rejected, and only the update was asked about: installed files are trusted.
    assert [(c.name, c.data) for c in session.kernel.model.asked] == [("C-00000291-bad.sys", Path(BAD).read_bytes())]
    assert session.sensor_totals["rejected"] == ["C-00000291-bad.sys"]
    assert f"verifier: rejected C-00000291-bad.sys: {REFUSAL}; previous content stays" in text
    # The shipped good content stays in force: the beacon is still blocked, nothing crashes.
    assert [name for name, _ in sensor.content] == sorted(DEFAULT_CHANNEL_FILES)
    assert session.verdict == "up" and [b.outcome for b in session.boots] == ["up"]
    assert session.sensor_totals["crashes"] == 0 and sensor.running
    assert "sensor: DENY IPC" in text
    assert text.count(BEACON_BLOCKED) == 3 and BEACON_OUT not in text
    assert not any(line.endswith("-- killed") for line in session.transcript)
    # A rejected file is not deleted: it stays on the disk.
    assert session.fs.exists(f"{SENSOR_DIR}/C-00000291-bad.sys")
    assert session.sensor_totals["quarantined"] == []


# --- on_sensor_death: a model that restarts nothing leaves the sensor dead, fail policy applied ------

class RestartNothing(IsolationModel):
    """A ring-3 sensor; on_sensor_death only takes note."""

    name = "restart-nothing"
    sensor_ring = 3

    def __init__(self) -> None:
        self.deaths = []

    def on_sensor_death(self, death, services):
        self.deaths.append(death)


class RestartNothingFailClosed(RestartNothing):
    name = "restart-nothing-fail-closed"
    fail_open = False


def boot_until_the_sensor_dies(tmp_path, boot_machine, register_model, model_class):
    """Boot `model_class` with CF291 delivered; check that the sensor died once and stayed dead."""
    register_model(model_class)
    session = boot_machine(tmp_path, fresh=True, model=model_class.name, channels=[BAD], max_boots=1)
    sensor = session.kernel.sensor
    assert session.verdict == "up" and [b.outcome for b in session.boots] == ["up"]
    assert (session.sensor_totals["crashes"], session.sensor_totals["restarts"]) == (1, 0)
    assert not sensor.running and sensor.process.state == ZOMBIE
    assert (sensor.process.trap.vector, sensor.process.trap.cpl) == (14, 3)
    assert session.kernel.model.deaths == [SensorDeath(cause=CRASH, file="C-00000291-bad.sys", trap=sensor.process.trap,
                                                       crashes=1, restarts=0)]
    assert session.fs.exists(f"{SENSOR_DIR}/C-00000291-bad.sys") and session.sensor_totals["quarantined"] == []
    assert session.sensor_totals["unexamined"] > 0          # events met the fail policy, not the sensor
    return session


def test_restarting_nothing_fail_open_lets_the_beacon_out(tmp_path, boot_machine, register_model):
    session = boot_until_the_sensor_dies(tmp_path, boot_machine, register_model, RestartNothing)
    text = text_of(session)
    assert session.kernel.fail_open is True
    assert "beacon" in {process.name for process in session.kernel.processes.values()}
    assert len(re.findall(r"^beacon: C2 channel open on \\\\\.\\pipe\\MSSE-\d{4}-server$", text, re.M)) == 3
    assert BEACON_BLOCKED not in text and "service: refused to create" not in text


def test_restarting_nothing_fail_closed_denies_the_beacon(tmp_path, boot_machine, register_model):
    session = boot_until_the_sensor_dies(tmp_path, boot_machine, register_model, RestartNothingFailClosed)
    text = text_of(session)
    assert session.kernel.fail_open is False
    # Denied before it could ask for a pipe: the beacon's own start (a PROCESS event) was refused.
    assert BEACON_OUT not in text and BEACON_BLOCKED not in text
    assert "beacon" not in {process.name for process in session.kernel.processes.values()}
    assert "service: refused to create" in text        # fail-closed refuses the machine's own services too


# --- place: a model chooses where the driver runs, with a placement of its own ----------------------

class CountingPlacement(UserProcess):
    """A new placement kind, defined outside kernel/: ring 3 with syscall thunks, counted."""

    where = "ring 3, own address space, counted"

    def __init__(self) -> None:
        self.started = 0

    def start(self, kernel, manifest, build, name):
        self.started += 1
        return super().start(kernel, manifest, build, name)


class PlacedByItself(IsolationModel):
    name = "placed-by-itself"

    def __init__(self) -> None:
        self.placement = CountingPlacement()

    def place(self, driver):
        return self.placement


def test_the_driver_runs_where_the_model_places_it(tmp_path, boot_machine, register_model):
    register_model(PlacedByItself)
    session = boot_machine(tmp_path, fresh=True, model=PlacedByItself.name, max_boots=1)
    sensor = session.kernel.sensor
    assert sensor.placement is session.kernel.model.placement and sensor.placement.started == 1
    assert sensor.process.ring == 3 and sensor.placement.message_cost == 0     # syscall imports, no IPC
    assert (f"driver: sensor.sys (original build) started as pid {sensor.process.pid} "
            "(ring 3, own address space, counted)") in text_of(session)
    assert session.verdict == "up" and sensor.running and text_of(session).count(BEACON_BLOCKED) == 3
