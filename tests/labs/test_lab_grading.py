"""Every lab, graded with the hidden tests: the starter scores below full marks, the reference solution
full marks, and every planted wrong solution fails the tests it names (so it loses points)."""
from __future__ import annotations

import pytest

from simpleos.labs.catalog import LABS, lab_numbered
from simpleos.labs.edits import load_edit_set
from simpleos.labs.runner import grade

from labtrees import INSTRUCTOR, SECRET, ipc_student, reference, workspace, wrong_solutions

STUDENT = ipc_student()
PLANTED = [(lab.number, path) for lab in LABS for path in wrong_solutions(lab.number)]


def graded(tmp_path, lab: int, edits=()):
    student = STUDENT if lab == 8 else None
    tree = workspace(tmp_path / f"lab{lab}", lab, student, list(edits))
    return grade(lab, tree, [INSTRUCTOR], secret=SECRET)


def failures(report) -> dict[str, str]:
    return {r.test.name: r.message for r in report.results if r.status == "FAIL"}


@pytest.mark.parametrize("lab", [lab.number for lab in LABS], ids=lambda n: f"lab{n}")
def test_the_reference_solution_gets_full_marks(tmp_path, lab):
    report = graded(tmp_path, lab, [reference(lab)])
    assert failures(report) == {}
    assert report.full_marks and report.max_score == lab_numbered(lab).visible_points + lab_numbered(lab).hidden_points


@pytest.mark.parametrize("lab", [lab.number for lab in LABS], ids=lambda n: f"lab{n}")
def test_the_starter_scores_below_full_marks(tmp_path, lab):
    report = graded(tmp_path, lab)
    assert report.score < report.max_score
    assert any(r.test.hidden and r.status == "FAIL" for r in report.results)


@pytest.mark.parametrize("lab, planted", PLANTED, ids=[f"lab{n}-{p.stem}" for n, p in PLANTED])
def test_a_planted_wrong_solution_loses_points(tmp_path, lab, planted):
    edits = load_edit_set(planted)
    assert edits.must_fail, f"{planted.name} names no test it must fail"
    report = graded(tmp_path, lab, [planted])
    failed = failures(report)
    assert set(edits.must_fail) <= set(failed), (edits.description, failed)
    assert report.score < report.max_score
