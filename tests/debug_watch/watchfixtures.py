"""Helpers of tests/debug_watch: a machine held at its fault, and tests/debug_memory's second-crash builder.

The second crash reuses tests/debug_memory's builder (rule 291077 puts a string test on IPC field 3,
creator_pid, an integer input) and its crash_dump(), loaded from that folder's conftest so they are
written once. The sdb and real-gdb helpers come from tests/debug_source/sourcegdb.py, for the same
reason (that folder is put on sys.path here). Helpers only: no tests, no fixtures.
"""
from __future__ import annotations

import importlib.util
import sys

from paths import BAD, TESTS
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
