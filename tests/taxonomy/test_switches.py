"""The sensor's switches (drivers/sensor/switches.asm): off, the July build line for line; on, real code.

The switched event loop lives in its own file so that turning the features of this issue on
never moves a line of sensor.asm: crash dumps, the debugger's goldens and every lab handout
cite its lines. And the scan it runs reads memory a ring-0 rootkit can write, so a list
corrupted into a loop must not hang the sensor.
"""
from __future__ import annotations

from pathlib import Path

from stepping import process_named, run_until

from simpleos.assembler import assemble
from simpleos.kernel.drivers import assemble_driver, driver_defines, read_manifest
from simpleos.kernel.kernel import IDLE
from simpleos.kernel.proclist import LINKS, OBJECTS
from simpleos.machine.layout import PROCESS_TABLES_PHYS

SENSOR_BASE = 0xFFFFFFFF80004000
INCLUDE = '    .include "switches.asm"'


def test_with_every_switch_off_switches_asm_assembles_to_nothing():
    manifest = read_manifest("sensor")
    for build in manifest.builds:
        image = assemble_driver(manifest, build, SENSOR_BASE)
        source = manifest.source.read_text()
        assert source.count(INCLUDE) == 1
        without = "\n".join(line for line in source.splitlines() if not line.startswith(INCLUDE))
        bare = assemble(without, SENSOR_BASE, "sensor.asm", driver_defines(manifest, build))
        assert image.code == bare.code and image.symbols == bare.symbols, build
        assert {Path(path).name for _, path, _ in image.line_rows} == {"sensor.asm"}


def test_with_a_switch_on_the_event_is_served_from_switches_asm(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="monolithic", rootkit="unlink")
    sensor = next(m for m in kernel.modules if m.name == "sensor.sys")
    files = {Path(path).name for _, path, _ in sensor.image.line_rows}
    assert files == {"sensor.asm", "switches.asm"} and "cross_view_scan" in sensor.image.symbols


def test_a_list_corrupted_into_a_loop_does_not_hang_the_ring_0_scan(tmp_path, powered_on):
    """The rootkit hides the beacon; then the first object's flink is pointed at itself, so a walk
    from the head never comes back to it. The sensor's scan stops at SCAN_MAX entries, reports what
    it must, and the boot goes on to the end -- no watchdog, no hang."""
    kernel = powered_on(tmp_path, model="monolithic", rootkit="unlink")
    tables = kernel.process_tables
    assert run_until(kernel, lambda: process_named(kernel, "beacon") is not None
                     and "beacon" not in [name for _, name in tables.listed()])
    first = tables.address + OBJECTS
    kernel.machine.memory.write_u64(PROCESS_TABLES_PHYS + OBJECTS + LINKS, first)
    events = kernel.sensor.stats.events
    while kernel.run_once() != IDLE:
        pass
    assert kernel.sensor.running and kernel.sensor.stats.crashes == 0
    assert kernel.sensor.stats.events > events                  # it went on judging events
    assert "beacon" in kernel.sensor.stats.hidden_found
