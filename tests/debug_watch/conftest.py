"""Fixtures of the watchpoint and `why` tests: the CF291 machine held at its fault, the second crash's file.

Helpers (and where the second crash's rule comes from) are in watchfixtures.py.
"""
from __future__ import annotations

import pytest

from simpleos.channel.format import serialize
from simpleos.channel.source import build_source
from simpleos.debug.target import DebugTarget
from watchfixtures import PID_RULE, held_at_fault


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
