"""The lab system's tests' fixture: the test secret in the environment (helpers: labtrees.py)."""
from __future__ import annotations

import pytest
from labtrees import SECRET

from simpleos.labs.variants import SECRET_ENV


@pytest.fixture
def secret_env(monkeypatch):
    """The test secret as $SIMPLEOS_LAB_SECRET (for tests that go through the CLI)."""
    monkeypatch.setenv(SECRET_ENV, SECRET.decode())
    return SECRET
