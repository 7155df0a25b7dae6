"""Fixtures of the CLI tests: the --machine directory every command test boots in."""
import pytest


@pytest.fixture
def machine(tmp_path):
    """A --machine directory (nothing in it yet), as the CLI takes it: a string."""
    return str(tmp_path / "machine")
