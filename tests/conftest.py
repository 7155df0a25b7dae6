"""Shared test set-up: the fixtures that boot machines, and this folder on sys.path.

tests/ is laid out like simpleos/: machine/, kernel/, isolation/, channel/, debug/,
commands/ (the CLI), and top-level tests for the top-level modules (system, compare,
determinism, packaging, layering). Helpers shared across folders sit here:
paths.py (the repository, the sample channel files), cliutil.py (the CLI in-process),
compare_table.py (the per-model compare goldens).

This folder is on sys.path (pytest puts a rootdir conftest's folder there), so every
test can `from cliutil import run_cli` and `from paths import BAD`.

A booted Session holds its machine's disk open (and locked) until it is closed.
These fixtures close every session they opened when the test ends, pass or fail:

  boot_machine(...)         simpleos.system.boot(...)        -> Session
  run_machine_program(...)  simpleos.system.run_program(...) -> (Session, RunResult)

A test that boots the same machine directory twice closes the first session itself
(session.close() may be called again safely) before the second boot.
"""
from __future__ import annotations

import contextlib

import pytest

from simpleos import system


def _closing_sessions(open_session, session_of):
    """Yield `open_session` wrapped so that each Session it opens (`session_of` its result)
    is closed when the generator ends -- the newest first, each even if another fails."""
    with contextlib.ExitStack() as sessions:
        def opened(*args, **options):
            value = open_session(*args, **options)
            sessions.callback(session_of(value).close)
            return value

        yield opened


@pytest.fixture
def boot_machine():
    """simpleos.system.boot, with every Session it returned closed at teardown."""
    yield from _closing_sessions(system.boot, lambda session: session)


@pytest.fixture
def run_machine_program():
    """simpleos.system.run_program, with every Session it returned closed at teardown."""
    yield from _closing_sessions(system.run_program, lambda pair: pair[0])
