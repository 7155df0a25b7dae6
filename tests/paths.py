"""Where the tests find the checkout: the repository root, the sample channel files, the goldens.

Computed once here, from this file's place in tests/, so a test file can move
between tests/ folders without its paths going wrong: `from paths import BAD`.
Paths only; no fixtures (conftest.py) and no helpers.
"""
from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CHANNEL_FILES = REPO / "channel_files"       # the sample channel files and their sources
USERLAND = REPO / "userland"
GOLDEN_DIR = TESTS / "golden"                # goldens of the top-level tests

# The three C-00000291 samples, as the strings `boot(channels=[...])` and the CLI take.
BAD = str(CHANNEL_FILES / "C-00000291-bad.sys")       # the 19 July 2024 content update
GOOD = str(CHANNEL_FILES / "C-00000291-good.sys")     # the shipped content
ZEROS = str(CHANNEL_FILES / "C-00000291-zeros.sys")   # the zero-filled file seen in 2024
PROCESS = str(CHANNEL_FILES / "C-00000292-process.sys")  # the shipped PROCESS content (channel 292)
