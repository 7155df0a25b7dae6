"""The fuzzer's workload is the boot's: each event it hands the sensor is byte for byte the
message a real seed-0 monolithic boot hands it at the same place in the sequence (so that
every crash address, the event handle above all, is the one a boot would fault on)."""
from __future__ import annotations

from simpleos.fuzz.workload import boot_workload
from simpleos.kernel.sensor import manager
from simpleos.kernel.sensor.events import encode


def test_every_workload_event_is_the_boots_event(tmp_path, boot_machine, monkeypatch):
    delivered = {}
    submit = manager.SensorManager.submit

    def recording(self, operation):
        event = submit(self, operation)
        delivered[event.sequence] = encode(event)
        return event
    monkeypatch.setattr(manager.SensorManager, "submit", recording)
    boot_machine(tmp_path / "m", fresh=True, max_boots=1)
    for item in boot_workload():
        assert delivered[item.event.sequence] == item.message, item.label
