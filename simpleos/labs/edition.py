"""The student edition of the project tree: which files a workspace gets, with the answers taken out.

An answer block is the text between a line containing `lab-answer N: begin`
and a line containing `lab-answer N: end`, written in the file's own comment
syntax (`; ` in assembly, `# ` in Python, `<!-- -->` in Markdown). The student
edition drops both marker lines and everything between them, for every lab, in
every file. The project (the instructor's edition) keeps them: Lab 3's bounds
check in drivers/sensor/sensor.asm, for example, is the fixed build there and
the reference solution of Lab 3 here.

Excluded from every workspace: instructor/ (solutions, hidden tests, answer
keys, rubrics, the variant secret), tests/labs/ (the lab system's own tests,
which use instructor/), docs/teaching.md (the instructor's guide: it says
where the answers are and what the hidden tests try), simpleos/labs/killer.py
(Lab 8's variant generator: it says what the killer rule looks like),
tests/isolation/test_adding_a_model.py (it holds Lab 6's model file),
examples/fleet/role_aware_rings.py (a rollout policy with an alarm per role:
Lab 7's idea, worked out), and every labs/labK/ but the workspace's own lab.
This module must NOT know what any answer says, and must NOT copy anything
git does not track.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ..errors import BadInput

MARKER = re.compile(r"lab-answer (\d+): (begin|end)\b")
INSTRUCTOR_CODE = ("simpleos/labs/killer.py",)   # not in student trees; in the autograder
# tests/isolation/test_adding_a_model.py writes Lab 6's file (the sandboxed model) into a copy
# of the package: the project's proof that one file makes a model, and Lab 6's answer.
# examples/fleet/role_aware_rings.py watches each role of a ring on its own: the idea Lab 7 asks for.
PROJECT_ONLY = ("instructor/", "tests/labs/", "docs/teaching.md", "tests/isolation/test_adding_a_model.py",
                "examples/fleet/role_aware_rings.py") + INSTRUCTOR_CODE
HANDOUTS = "labs/"


def answer_labs(text: str) -> set[int]:
    """The labs whose answer blocks appear in `text`."""
    return {int(match.group(1)) for match in MARKER.finditer(text)}


def strip_answers(text: str, origin: str = "<text>", keep: frozenset[int] = frozenset()) -> str:
    """`text` without its answer blocks (and without marker lines); blocks of labs in `keep` stay,
    minus their markers. Unbalanced markers are BadInput naming `origin` and the line."""
    out: list[str] = []
    open_block: tuple[int, int] | None = None          # (lab, line number of its begin)
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        match = MARKER.search(line)
        if match is None:
            if open_block is None or open_block[0] in keep:
                out.append(line)
            continue
        lab, edge = int(match.group(1)), match.group(2)
        if edge == "begin":
            if open_block is not None:
                raise BadInput(f"{origin}:{number}: lab-answer {lab} begins inside lab-answer {open_block[0]}")
            open_block = (lab, number)
        else:
            if open_block is None or open_block[0] != lab:
                raise BadInput(f"{origin}:{number}: lab-answer {lab} ends where none began")
            open_block = None
    if open_block is not None:
        raise BadInput(f"{origin}:{open_block[1]}: lab-answer {open_block[0]} never ends")
    return "".join(out)


def tracked_files(project: Path) -> list[str]:
    """The files git tracks in the project checkout (paths relative to it)."""
    try:
        listing = subprocess.run(["git", "-C", str(project), "ls-files", "-z"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as problem:
        raise BadInput(f"{project} is not a git checkout of SimpleOS ({problem}): `lab start` copies "
                       f"the files git tracks") from None
    return sorted(path for path in listing.stdout.decode("utf-8").split("\0") if path)


def in_student_edition(path: str, lab_number: int) -> bool:
    """Does a workspace for lab `lab_number` get this tracked file?"""
    if path.startswith(PROJECT_ONLY):
        return False
    if path.startswith(HANDOUTS):
        return path.startswith(f"{HANDOUTS}lab{lab_number}/")
    return True


def student_text(project: Path, path: str) -> bytes:
    """The student edition of one project file: answers stripped from text files."""
    data = (project / path).read_bytes()
    if b"lab-answer " not in data:
        return data
    text = data.decode("utf-8")
    return strip_answers(text, path).encode("utf-8")


def with_answer(project: Path, path: str, lab_number: int) -> bytes:
    """One project file as a student tree has it once lab `lab_number` is solved the reference way."""
    text = (project / path).read_text(encoding="utf-8")
    return strip_answers(text, path, keep=frozenset({lab_number})).encode("utf-8")


def answer_files(project: Path, lab_number: int) -> list[str]:
    """The tracked files holding an answer block of lab `lab_number`."""
    found = []
    for path in tracked_files(project):
        if not path.startswith(PROJECT_ONLY) and (project / path).is_file():
            data = (project / path).read_bytes()
            if b"lab-answer " in data and lab_number in answer_labs(data.decode("utf-8", "replace")):
                found.append(path)
    return found
