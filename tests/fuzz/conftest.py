"""Shared fixtures for the fuzzer's tests: one harness per sensor build (the sample files: tests/paths.py)."""
from __future__ import annotations

import pytest

from simpleos.fuzz.harness import SensorHarness


@pytest.fixture(scope="module")
def original():
    """The original sensor build on a snapshotted machine."""
    return SensorHarness("original")


@pytest.fixture(scope="module")
def fixed():
    """The fixed sensor build on a snapshotted machine."""
    return SensorHarness("fixed")
