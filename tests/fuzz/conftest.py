"""Shared fixtures for the fuzzer's tests: one harness per sensor build, the sample files."""
from __future__ import annotations

from pathlib import Path

import pytest

from simpleos.fuzz.harness import SensorHarness

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "channel_files"
GOOD = SAMPLES / "C-00000291-good.sys"
BAD = SAMPLES / "C-00000291-bad.sys"
PROCESS = SAMPLES / "C-00000292-process.sys"
ZEROS = SAMPLES / "C-00000291-zeros.sys"


@pytest.fixture(scope="module")
def original():
    """The original sensor build on a snapshotted machine."""
    return SensorHarness("original")


@pytest.fixture(scope="module")
def fixed():
    """The fixed sensor build on a snapshotted machine."""
    return SensorHarness("fixed")
