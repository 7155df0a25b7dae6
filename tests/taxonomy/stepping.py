"""Running a powered-on kernel step by step, and reading a session's log, for the taxonomy tests.

Helpers only (the fixture is conftest.powered_on): a uniquely named module, so that
`from stepping import run_until` never picks up another folder's conftest.
"""
from __future__ import annotations

from simpleos.kernel.kernel import IDLE

STEP_LIMIT = 200_000         # scheduler steps: more than a whole boot takes
STEP_INSTRUCTIONS = 100      # each step runs at most this many instructions (slices resume where they stopped)


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


def log_of(session) -> list[str]:
    """The console lines of a boot session, with the kernel log's timestamps removed."""
    return [line.split("] ", 1)[1] if line.startswith("[") else line for line in session.transcript]
