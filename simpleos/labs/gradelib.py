"""Grade tests, after MIT's gradelib: points, a title, a part, an optional parent test.

A lab's tests are a Suite. The visible ones are simpleos/labs/suites/labN.py;
an instructor's hidden ones are any *.py file with a Suite in `grade --tests
DIR`. A test is a function of a Context (runner.py) that raises Failed with
what was expected and what happened; helpers below say it in one line. A test
whose parent failed fails with "parent failed", as in gradelib. Written
questions are `manual` items: they carry points but are graded by hand.

    from simpleos.labs.gradelib import Suite, expect_equal
    tests = Suite(1)

    @tests.test(5, "kread", part="faults", parent="lab1 boot")
    def kread(ctx):
        doc = ctx.run_json("labs/lab1/kread.asm")
        expect_equal(doc["fate"], "killed", "fate")

This module must NOT run anything: it only describes tests and checks values.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class Failed(Exception):
    """A test failed: the message says what was expected and what happened."""


@dataclass
class GradeTest:
    """One graded item."""
    lab: int
    title: str
    points: int
    part: str
    visibility: str | None             # None: the default of where the test came from
    func: Callable | None = None       # None for a manual item
    parent: str | None = None          # the full name of the parent test
    hidden: bool = False               # from `--tests DIR`
    question: str = ""                 # manual items: what is graded by hand

    @property
    def name(self) -> str:
        """The name in reports: 'lab1 kread'."""
        return f"lab{self.lab} {self.title}"

    @property
    def manual(self) -> bool:
        """Graded by hand, not by the machine."""
        return self.func is None

    @property
    def slug(self) -> str:
        """A file name for this test's transcript."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "test"


class Suite:
    """The tests of one lab from one source (the visible suite, or a hidden-tests file)."""

    def __init__(self, lab: int, visibility: str | None = None) -> None:
        """`visibility` is the default of this suite's tests; unset, it is `visible` for the visible
        suite and `after_due_date` for hidden tests (runner.py decides which a suite is)."""
        self.lab = lab
        self.visibility = visibility
        self.tests: list[GradeTest] = []

    def test(self, points: int, title: str, part: str = "tests", parent: "str | GradeTest | None" = None,
             visibility: str | None = None):
        """Decorator: register a machine-graded test."""
        def register(func: Callable) -> GradeTest:
            return self._add(GradeTest(self.lab, title, points, part, visibility or self.visibility, func,
                                       _parent_name(parent)))
        return register

    def manual(self, points: int, title: str, question: str, part: str = "written answers") -> GradeTest:
        """Register a written question: its points, graded by hand with the rubric."""
        return self._add(GradeTest(self.lab, title, points, part, "visible", None, None, False, question))

    def _add(self, test: GradeTest) -> GradeTest:
        if test.visibility not in VISIBILITIES + (None,):
            raise ValueError(f"{test.name}: visibility must be one of {VISIBILITIES}")
        if any(t.name == test.name for t in self.tests):
            raise ValueError(f"two tests named {test.name!r}")
        self.tests.append(test)
        return test

    @property
    def points(self) -> int:
        """Machine-graded points of this suite."""
        return sum(t.points for t in self.tests if not t.manual)

    @property
    def manual_points(self) -> int:
        """Points graded by hand."""
        return sum(t.points for t in self.tests if t.manual)


def _parent_name(parent: "str | GradeTest | None") -> str | None:
    return parent.name if isinstance(parent, GradeTest) else parent


# --- checks: each raises Failed with one line of expected vs got ------------------------------------

def expect(condition: bool, message: str) -> None:
    """Fail with `message` unless `condition`."""
    if not condition:
        raise Failed(message)


def expect_equal(got: Any, expected: Any, what: str) -> None:
    """`got` must equal `expected`."""
    if got != expected:
        raise Failed(f"{what}: expected {expected!r}, got {got!r}")


def expect_fields(doc: dict, what: str, **expected: Any) -> None:
    """Each named field of the JSON object `doc` must have the expected value."""
    for key, value in expected.items():
        if not isinstance(doc, dict) or key not in doc:
            raise Failed(f"{what}: expected a field {key!r}, got {_short(doc)}")
        expect_equal(doc[key], value, f"{what} {key}")


def expect_line(text: str, line: str, what: str) -> None:
    """`line` must be one of the lines of `text` (exactly, after any log timestamp)."""
    if line not in log_lines(text):
        raise Failed(f"{what}: expected the line {line!r}, not in the output")


def expect_no_line(text: str, pattern: str, what: str) -> None:
    """No line of `text` may match the regular expression `pattern`."""
    for line in log_lines(text):
        if re.search(pattern, line):
            raise Failed(f"{what}: expected no line matching {pattern!r}, got {line!r}")


def count_lines(text: str, line: str) -> int:
    """How many lines of `text` are exactly `line` (after any log timestamp)."""
    return log_lines(text).count(line)


def log_lines(text: str) -> list[str]:
    """The lines of console output with the kernel log's '[   0.000050] ' prefix removed."""
    return [re.sub(r"^\[\s*\d+\.\d+\] ", "", line) for line in text.splitlines()]


def one_json_object(text: str, what: str) -> Any:
    """The one JSON object that `--json` prints, or Failed."""
    try:
        return json.loads(text)
    except ValueError:
        raise Failed(f"{what}: expected one JSON object on stdout, got {_short(text)}") from None


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.strip().replace("\n", "\\n")
    return repr(text if len(text) <= limit else text[:limit] + "...")
