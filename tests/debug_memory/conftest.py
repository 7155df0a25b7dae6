"""Fixtures of the memory-and-post-mortem debugger tests: a machine held at the CF291 fault, its crash dump,
and the dump of a second crash from a different rule and field.

Booting costs about a second, so each is made once per test session. The second crash is a channel
file built here from TOML (simpleos.channel): rule 291077 puts a string test on IPC field 3,
creator_pid, an integer input -- compare_string dereferences the number 3.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from simpleos.channel.format import serialize
from simpleos.channel.source import build_source
from simpleos.system import BootOptions, boot
from paths import BAD

PID_RULE = """
channel = 291
template_type = "IPC"
content_version = 40

[[instance]]
id = 291077
action = "notify"
[[instance.criterion]]
field = "creator_pid"
kind = "equals"
value = 'svchost'
"""


def crash_dump(home: Path, channel: str) -> Path:
    """Boot once with `channel` (it bugchecks); the path of the dump it wrote."""
    session = boot(home, fresh=True, channels=[channel], max_boots=1)
    try:
        record = session.boots[0]
        assert record.bugcheck is not None and record.dump, "the channel file must crash the sensor"
        return Path(record.dump)
    finally:
        session.close()


@pytest.fixture(scope="session")
def cf291_dump(tmp_path_factory) -> Path:
    """The crash dump of the CF291 bugcheck."""
    return crash_dump(tmp_path_factory.mktemp("cf291") / "machine", BAD)


@pytest.fixture(scope="session")
def pid_channel_file(tmp_path_factory) -> Path:
    """C-00000291-pid.sys: a string test on the integer field creator_pid."""
    path = tmp_path_factory.mktemp("pidrule") / "C-00000291-pid.sys"
    path.write_bytes(serialize(build_source(PID_RULE)))
    return path


@pytest.fixture(scope="session")
def pid_dump(tmp_path_factory, pid_channel_file) -> Path:
    """The crash dump of the second crash (rule 291077, field 3)."""
    return crash_dump(tmp_path_factory.mktemp("pid") / "machine", str(pid_channel_file))


@pytest.fixture(scope="session")
def held_fault(tmp_path_factory):
    """A DebugTarget stopped at the CF291 fault, before the kernel sees it."""
    from simpleos.debug.target import DebugTarget
    target = DebugTarget(BootOptions(machine=str(tmp_path_factory.mktemp("held") / "machine"), fresh=True,
                                     channels=[BAD]), break_on_fault=True)
    event = target.cont()
    assert event.reason == "fault"
    return target
