"""Fixtures for the rest of the taxonomy (issue 15): a kernel powered on by hand, run step by step.

`powered_on(tmp_path, **boot options)` builds the machine exactly as `simpleos boot` does
(system.open_home, the --channel updates delivered, system.new_kernel, Kernel.power_on) but
runs nothing: the test drives `run_until(kernel, condition)` itself and can look at the
machine -- page tables, the process tables in guest memory, a process's capabilities --
in the middle of a boot. Every machine opened is powered off and its disk closed at teardown.
"""
from __future__ import annotations

import pytest

from simpleos import system
from simpleos.kernel.kernel import IDLE

STEP_LIMIT = 200_000         # scheduler steps: more than a whole boot takes
STEP_INSTRUCTIONS = 100      # each step runs at most this many instructions (slices resume where they stopped)


@pytest.fixture
def powered_on():
    """powered_on(directory, **BootOptions fields) -> a powered-on Kernel that has not run yet."""
    opened = []

    def power_on(directory, **options):
        boot_options = system.BootOptions(machine=str(directory), fresh=True, **options)
        contents = system.read_channel_files(boot_options.channels)
        _, fs = system.open_home(boot_options.machine, fresh=True)
        system.deliver_channel_files(fs, contents)
        kernel = system.new_kernel(boot_options, fs)
        opened.append((kernel, fs))
        kernel.power_on()
        return kernel

    yield power_on
    for kernel, fs in reversed(opened):
        kernel.machine.power_off()
        fs.close()


def run_until(kernel, condition, limit: int = STEP_LIMIT) -> bool:
    """Run the scheduler loop, STEP_INSTRUCTIONS at a time (as the debugger steps it: the
    schedule does not change), until `condition()` holds (True) or the machine is idle (False)."""
    for _ in range(limit):
        if condition():
            return True
        if kernel.run_once(STEP_INSTRUCTIONS) == IDLE:
            return condition()
    raise AssertionError(f"still running after {limit} scheduler steps")


def process_named(kernel, name: str):
    """The live process called `name`, or None."""
    return next((p for p in kernel.processes.values() if p.name == name and p.alive), None)
