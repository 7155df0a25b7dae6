"""What grading found: one result per test, the gradelib-style report, and Gradescope's results.json.

The text report has one line per test (`lab1 kread: OK (0.3s)`, or FAIL with
what was expected and what happened), a subtotal per part, the written
questions as MANUAL items, and `Score: X/Y` over the machine-graded points.
The JSON is Gradescope's results format; apart from `execution_time` it holds
no timings, so grading the same tree twice gives the same JSON. This module
must NOT run tests.
"""
from __future__ import annotations

from dataclasses import dataclass

from .catalog import Lab
from .gradelib import GradeTest

OK, FAIL, MANUAL = "OK", "FAIL", "MANUAL"


@dataclass
class TestResult:
    """How one test went."""
    test: GradeTest
    status: str                         # OK, FAIL or MANUAL
    message: str = ""                   # FAIL: expected vs got (one or a few lines)
    seconds: float = 0.0
    transcript: str | None = None       # FAIL: where the transcript was saved, relative to the workspace

    @property
    def score(self) -> int:
        """Points earned by the machine (manual items earn none here)."""
        return self.test.points if self.status == OK else 0


@dataclass
class Report:
    """The grade of one workspace for one lab."""
    lab: Lab
    results: list[TestResult]
    seconds: float
    student: str | None = None

    @property
    def score(self) -> int:
        """Machine-graded points earned."""
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> int:
        """Machine-graded points available (visible, plus hidden when given)."""
        return sum(r.test.points for r in self.results if not r.test.manual)

    @property
    def manual_points(self) -> int:
        """Points of the written questions, graded by hand."""
        return sum(r.test.points for r in self.results if r.test.manual)

    @property
    def full_marks(self) -> bool:
        """Every machine-graded point earned."""
        return self.score == self.max_score

    def lines(self, timings: bool = True) -> list[str]:
        """The gradelib-style report."""
        out: list[str] = []
        part, earned, available = None, 0, 0
        for result in self.results:
            test = result.test
            if test.part != part:
                if part is not None and available:
                    out.append(f"  subtotal {part}: {earned}/{available}")
                part, earned, available = test.part, 0, 0
            out += _result_lines(result, timings)
            if not test.manual:
                earned, available = earned + result.score, available + test.points
        if part is not None and available:
            out.append(f"  subtotal {part}: {earned}/{available}")
        out.append(f"Score: {self.score}/{self.max_score}")
        if self.manual_points:
            out.append(f"Written answers: {self.manual_points} more points, graded by hand (not in the score)")
        return out

    def gradescope(self) -> dict:
        """Gradescope's results.json (score, execution_time, output, tests[])."""
        tests = []
        for result in self.results:
            test = result.test
            tags = [test.part] + (["hidden"] if test.hidden else []) + (["manual"] if test.manual else [])
            entry = {"name": test.name, "score": result.score, "max_score": test.points,
                     "visibility": test.visibility, "output": _output(result), "tags": tags}
            if not test.manual:
                entry["status"] = "passed" if result.status == OK else "failed"
            tests.append(entry)
        return {"score": self.score, "execution_time": round(self.seconds, 3),
                "output": "\n".join(self.lines(timings=False)), "visibility": "visible",
                "stdout_visibility": "hidden", "tests": tests,
                "extra_data": {"lab": self.lab.number, "machine_points": self.max_score,
                               "manual_points": self.manual_points, "student": self.student}}


def _result_lines(result: TestResult, timings: bool) -> list[str]:
    test = result.test
    if test.manual:
        return [f"{test.name}: {MANUAL} ({test.points} points, graded by hand)"]
    label = test.name + (" [hidden]" if test.hidden else "")
    head = f"{label}: {result.status}" + (f" ({result.seconds:.1f}s)" if timings else "")
    lines = [head]
    if result.status == FAIL:
        lines += ["    " + line for line in result.message.splitlines()]
        if result.transcript:
            lines.append(f"    transcript: {result.transcript}")
    return lines


def _output(result: TestResult) -> str:
    """A test's `output` in results.json."""
    if result.test.manual:
        return f"Graded by hand ({result.test.points} points): {result.test.question}"
    if result.status == OK:
        return "OK"
    text = result.message
    if result.transcript:
        text += f"\ntranscript: {result.transcript}"
    return text
