"""Read a TOML file a student wrote, for a grade test: a dict, or Failed with a one-line reason.

It must NOT judge the content: the tests do.
"""
from __future__ import annotations

from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .gradelib import Failed


def read_toml(path: Path, name: str) -> dict:
    """The parsed file; Failed if it is not UTF-8 TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise Failed(f"{name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as problem:
        raise Failed(f"{name}: TOML syntax error: {problem}") from None
