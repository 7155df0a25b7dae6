"""Fixtures of the watchpoint and `why` tests: the CF291 machine held at its fault, and the second crash's file.

The second crash reuses tests/debug_memory's builder (rule 291077 puts a string test on IPC field 3,
creator_pid, an integer input), loaded from that folder's conftest so the rule is written once. Helpers
for sdb and real gdb come from tests/debug_source/sourcegdb.py, for the same reason.
"""
from __future__ import annotations

import importlib.util
import sys

import pytest

from paths import BAD, TESTS
from simpleos.channel.format import serialize
from simpleos.channel.source import build_source
from simpleos.debug.target import DebugTarget
from simpleos.system import BootOptions

sys.path.insert(0, str(TESTS / "debug_source"))       # sourcegdb: sdb() and gdb() helpers


def _debug_memory_fixtures():
    spec = importlib.util.spec_from_file_location("debug_memory_fixtures", TESTS / "debug_memory" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_DEBUG_MEMORY = _debug_memory_fixtures()
PID_RULE = _DEBUG_MEMORY.PID_RULE              # the second crash's rule
crash_dump = _DEBUG_MEMORY.crash_dump          # boot once with a channel file; the dump it wrote


def held_at_fault(machine, channel: str = BAD) -> DebugTarget:
    """A DebugTarget on a fresh machine with `channel`, continued to its held fault."""
    target = DebugTarget(BootOptions(machine=str(machine), fresh=True, channels=[channel]), break_on_fault=True)
    assert target.cont().reason == "fault"
    return target


@pytest.fixture
def cf291_fault(tmp_path) -> DebugTarget:
    """The CF291 machine at its held fault (a new one per test: tests move it)."""
    return held_at_fault(tmp_path / "machine")


@pytest.fixture(scope="session")
def pid_channel(tmp_path_factory) -> str:
    """C-00000291-pid.sys: the second crash's channel file."""
    path = tmp_path_factory.mktemp("pidrule") / "C-00000291-pid.sys"
    path.write_bytes(serialize(build_source(PID_RULE)))
    return str(path)
