"""Fixtures for the rest of the taxonomy (issue 15): a kernel powered on by hand, run step by step.

`powered_on(tmp_path, **boot options)` builds the machine exactly as `simpleos boot` does
(system.open_home, the --channel updates delivered, system.new_kernel, Kernel.power_on) but
runs nothing: the test drives `stepping.run_until(kernel, condition)` itself and can look at the
machine -- page tables, the process tables in guest memory, a process's capabilities --
in the middle of a boot. Every machine opened is powered off and its disk closed at teardown.
"""
from __future__ import annotations

import pytest

from simpleos import system


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
