"""The rootkit only ring 0 can see: DKOM on the kernel's process list in guest memory, and the
sensor's cross-view scan, which finds the hidden beacon at ring 0 and cannot at ring 3."""
from __future__ import annotations

import hashlib

import pytest

from stepping import log_of, process_named, run_until

from simpleos.isolation import model_names, registry
from simpleos.kernel.drivers import assemble_driver, read_manifest
from simpleos.kernel.proclist import OBJECTS, OBJECT_SIZE, ProcessTables
from simpleos.machine.layout import PROCESS_TABLES_PHYS

FOUND = "sensor: cross-view: pid 8 beacon is in the run queue but not on the process list: a hidden process"
BLOCKED = "beacon: could not open its C2 pipe (blocked)"



@pytest.mark.parametrize("model", model_names())
def test_only_a_ring_0_sensor_finds_the_hidden_beacon(tmp_path, boot_machine, model):
    session = boot_machine(tmp_path, fresh=True, model=model, rootkit="unlink")
    lines = log_of(session)
    ring = registry()[model].sensor_ring
    assert session.verdict == "up" and lines.count(BLOCKED) == 3      # hidden, and still blocked by rule 291001
    assert "driver: rootkit.sys (unlink build) started as pid 2 (ring 0, kernel thread)" in lines
    assert session.sensor_totals["hidden_found"] == (["beacon"] if ring == 0 else [])
    assert (FOUND in lines) == (ring == 0)
    assert session.to_json()["sensor"]["hidden_found"] == session.sensor_totals["hidden_found"]


def test_the_issues_two_cases(tmp_path, boot_machine):
    assert boot_machine(tmp_path / "m", fresh=True, model="monolithic", rootkit="unlink").sensor_totals[
        "hidden_found"] == ["beacon"]
    assert boot_machine(tmp_path / "u", fresh=True, model="microkernel", rootkit="unlink").sensor_totals[
        "hidden_found"] == []


def test_the_rootkit_really_unlinks_the_beacon_from_the_list_in_guest_memory(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="microkernel", rootkit="unlink")
    tables = kernel.process_tables
    assert tables.address == 0xFFFF800000080000                      # the direct map of PROCESS_TABLES_PHYS
    assert run_until(kernel, lambda: process_named(kernel, "beacon") is not None
                     and "beacon" not in [name for _, name in tables.listed()])
    beacon = process_named(kernel, "beacon")
    obj = tables.object_address(beacon.pid)
    offset = obj - tables.address
    memory = kernel.machine.memory
    assert memory.read_u64(PROCESS_TABLES_PHYS + offset) == obj      # its own links point at itself
    assert memory.read_u64(PROCESS_TABLES_PHYS + offset + 8) == obj
    assert (beacon.pid, "beacon") in tables.run_queue()               # the scheduler still runs it ...
    assert (beacon.space.root, beacon.pid) in tables.roots()
    assert beacon in kernel.scheduler.queue                            # ... from the kernel's own records
    alive = {(p.pid, p.name) for p in kernel.processes.values() if p.alive}
    assert set(tables.listed()) == alive - {(beacon.pid, "beacon")}
    # The sanctioned view, as a ring-3 sensor asks it: process_list walks the same list.
    from simpleos.kernel.proclist import sys_process_list
    sensor = kernel.sensor.process
    buffer = sensor.image.symbols["event_buffer"]
    count = sys_process_list(kernel, sensor, buffer, 4096)
    names = [memory.read(sensor.space.translate(buffer + 24 * i + 8), 16).split(b"\0")[0] for i in range(count)]
    assert count == len(alive) - 1 and b"beacon" not in names and b"init" in names


def test_the_kernel_keeps_the_list_in_step_with_its_records(tmp_path, powered_on):
    """At every point of a whole boot (services start, the beacon starts and exits), the three views
    in guest memory say what the kernel's own records say."""
    kernel = powered_on(tmp_path, model="monolithic")
    tables = kernel.process_tables
    seen = set()

    def in_step() -> bool:
        alive = [(p.pid, p.name) for p in kernel.processes.values() if p.alive]
        seen.update(name for _, name in alive)
        assert tables.listed() == alive and sorted(tables.run_queue()) == sorted(alive)
        assert sorted(tables.roots()) == sorted((p.space.root, p.pid) for p in kernel.processes.values()
                                                if p.alive and p.ring == 3)
        return False
    assert run_until(kernel, in_step) is False                          # ran to idle, checking all along
    assert {"sensor", "init", "service", "beacon"} <= seen


def test_an_entry_someone_unlinked_stays_unlinked_and_the_kernels_unlink_is_then_harmless(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="monolithic")
    tables = kernel.process_tables
    init = process_named(kernel, "init")
    obj = tables.object_address(init.pid)
    offset = obj - tables.address
    memory = kernel.machine.memory
    flink, blink = memory.read_u64(PROCESS_TABLES_PHYS + offset), memory.read_u64(PROCESS_TABLES_PHYS + offset + 8)
    memory.write_u64(PROCESS_TABLES_PHYS + blink - tables.address, flink)       # DKOM, by hand
    memory.write_u64(PROCESS_TABLES_PHYS + flink - tables.address + 8, blink)
    memory.write_u64(PROCESS_TABLES_PHYS + offset, obj)
    memory.write_u64(PROCESS_TABLES_PHYS + offset + 8, obj)
    before = tables.listed()
    assert (init.pid, "init") not in before
    tables.exited(init)                                                         # RemoveEntryList: checks first
    assert tables.listed() == before


def test_a_corrupted_list_never_hangs_the_kernels_walk(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="monolithic")
    tables = kernel.process_tables
    first = tables.address + OBJECTS
    kernel.machine.memory.write_u64(PROCESS_TABLES_PHYS + OBJECTS, first)       # a loop onto itself
    assert len(tables.listed()) <= 128
    kernel.machine.memory.write_u64(PROCESS_TABLES_PHYS, 0xDEAD0000)             # the head points nowhere
    assert tables.listed() == []
    assert OBJECT_SIZE == 64 and isinstance(tables, ProcessTables)


def test_without_the_rootkit_the_sensor_is_the_july_build_byte_for_byte(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="monolithic")
    manifest = read_manifest("sensor")
    module = next(m for m in kernel.modules if m.name == "sensor.sys")
    shipped = assemble_driver(manifest, "original", module.image.base)
    assert "cross_view_scan" not in module.image.symbols
    assert hashlib.sha256(module.image.code[:module.image.data_offset]).digest() == \
        hashlib.sha256(shipped.code[:shipped.data_offset]).digest()
    assert len(module.image.code) == len(shipped.code)
    with_scan = powered_on(tmp_path / "rk", model="monolithic", rootkit="unlink")
    scanning = next(m for m in with_scan.modules if m.name == "sensor.sys")
    assert "cross_view_scan" in scanning.image.symbols


# lab-answer 10: begin (the deep rootkit is found only by the address-space roots check, Lab 10's answer)
def test_the_deep_rootkit_is_found_by_the_address_space_roots(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="monolithic", rootkit="deep")
    lines = log_of(session)
    assert session.sensor_totals["hidden_found"] == ["beacon"]
    assert ("sensor: cross-view: pid 8 beacon is in the address-space roots but not on the process list: "
            "a hidden process") in lines
    assert FOUND not in lines
# lab-answer 10: end


def test_the_deep_rootkit_empties_the_run_queue_view_too(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="microkernel", rootkit="deep")
    tables = kernel.process_tables
    assert run_until(kernel, lambda: process_named(kernel, "beacon") is not None
                     and "beacon" not in [name for _, name in tables.run_queue()])
    beacon = process_named(kernel, "beacon")
    assert (beacon.pid, "beacon") not in tables.listed()
    assert (beacon.space.root, beacon.pid) in tables.roots()           # the one view it left
