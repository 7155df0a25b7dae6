"""Golden transcripts that quote the sensor's source, compared so that they hold in a student's tree.

A debugger transcript names source lines (`sensor.asm:437`) and lists them.
In the project those must match exactly. A student's tree has a different
drivers/sensor/sensor.asm: the lab system strips the answers from it, and
Lab 3 asks the student to edit it, which moves every line after the edit.
There (a tree without instructor/), the comparison leaves out what comes
from the source file -- the line numbers and the listed source lines -- and
everything else (addresses, registers, positions, frames) must still match.
Comparison only; no fixtures (conftest.py) and no paths (paths.py).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from paths import REPO

STUDENT_TREE = not (REPO / "instructor").is_dir()
_SOURCE_LINE = re.compile(r"\bsensor\.asm:\d+(-\d+)?")
_LINE_OF = re.compile(r'\bline \d+ of "sensor\.asm"')
_LISTED = re.compile(r"^(=>)?\s+\d+\t.*\n", re.M)          # `list` and the context view's source pane
_QUOTED = re.compile(r"^(   sensor\.asm:N\t).*$", re.M)      # the source line under a stop
_RULE = re.compile(r"─+$", re.M)                             # a heading's padding (its width follows the text)


def source_neutral(text: str) -> str:
    """`text` without what depends on sensor.asm's line layout."""
    text = _LINE_OF.sub('line N of "sensor.asm"', _SOURCE_LINE.sub("sensor.asm:N", text))
    return _RULE.sub("─", _QUOTED.sub(r"\1", _LISTED.sub("", text)))


def assert_matches_golden(text: str, golden: Path, message: str) -> None:
    """`text` is the golden file's (SIMPLEOS_UPDATE_GOLDEN=1 rewrites it first); in a student's
    tree, up to the source lines (see the module docstring)."""
    if os.environ.get("SIMPLEOS_UPDATE_GOLDEN"):
        golden.write_text(text)
    expected = golden.read_text()
    if STUDENT_TREE:
        assert source_neutral(text) == source_neutral(expected), message
    else:
        assert text == expected, message
