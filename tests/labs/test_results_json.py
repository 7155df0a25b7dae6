"""`simpleos grade --json` is Gradescope's results.json, the same every time; the text report is gradelib's."""
import json

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the [test] extra (make test installs it)")

from cliutil import run_cli  # noqa: E402

from labtrees import INSTRUCTOR, reference, workspace  # noqa: E402

VISIBILITY = {"enum": ["visible", "hidden", "after_due_date", "after_published"]}
# Gradescope's autograder results format (its documentation, "Autograder Specifications").
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "execution_time", "output", "tests"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "visibility", "output"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"}, "score": {"type": "number"}, "max_score": {"type": "number"},
                "visibility": VISIBILITY, "output": {"type": "string"}, "number": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}}, "status": {"enum": ["passed", "failed"]},
                "extra_data": {"type": "object"},
            }}},
    },
}


@pytest.fixture(scope="module")
def lab3(tmp_path_factory):
    return workspace(tmp_path_factory.mktemp("json") / "lab3", 3)


def grade_json(capsys, tree, *more):
    code, out, err = run_cli(capsys, "grade", "3", "--json", "--workspace", str(tree), *more)
    assert err == "" and out.count("\n") == 1
    return code, json.loads(out)


def test_the_json_validates_against_gradescopes_results_format(capsys, lab3):
    code, doc = grade_json(capsys, lab3, "--tests", str(INSTRUCTOR))
    jsonschema.validate(doc, RESULTS_SCHEMA)
    assert code == 1 and doc["score"] < doc["extra_data"]["machine_points"] == 80
    by_name = {t["name"]: t for t in doc["tests"]}
    hidden = by_name["lab3 a PROCESS rule on input 9 of 8"]
    assert hidden["visibility"] == "after_due_date" and "hidden" in hidden["tags"] and hidden["status"] == "failed"
    manual = by_name["lab3 question (b)"]
    assert (manual["score"], manual["max_score"], manual["tags"][-1]) == (0, 10, "manual")
    assert by_name["lab3 the original build still reproduces 19 July"] == {
        "name": "lab3 the original build still reproduces 19 July", "score": 10, "max_score": 10,
        "visibility": "visible", "output": "OK", "tags": ["bounds check"], "status": "passed"}
    failed = by_name["lab3 the fixed build survives Channel File 291"]
    assert failed["output"].startswith("boot --sensor-build fixed --channel C-00000291-bad.sys --json verdict: "
                                       "expected 'up', got 'bootloop'")
    assert "transcript: .grade/lab3/the-fixed-build-survives-channel-file-291.out" in failed["output"]
    assert (lab3 / ".grade/lab3/the-fixed-build-survives-channel-file-291.out").read_text().startswith(
        "lab3 the fixed build survives Channel File 291: FAIL\n")


def test_grading_the_same_tree_twice_gives_the_same_json(capsys, lab3):
    _, first = grade_json(capsys, lab3, "--tests", str(INSTRUCTOR))
    _, second = grade_json(capsys, lab3, "--tests", str(INSTRUCTOR))
    first.pop("execution_time"), second.pop("execution_time")
    assert first == second


def test_the_report_is_gradelib_style_and_full_marks_exit_0(capsys, tmp_path):
    tree = workspace(tmp_path / "lab4", 4, edits=[reference(4)])
    code, out, err = run_cli(capsys, "grade", "4", "--workspace", str(tree))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("lab4 the deny-all file builds: OK (") and lines[0].endswith("s)")
    assert "  subtotal validator rule: 40/40" in lines
    assert "lab4 question (a): MANUAL (5 points, graded by hand)" in lines
    assert lines[-2:] == ["Score: 40/40", "Written answers: 20 more points, graded by hand (not in the score)"]


def test_a_child_test_of_a_failed_parent_says_parent_failed(capsys, tmp_path):
    tree = workspace(tmp_path / "lab2", 2)
    code, out, _ = run_cli(capsys, "grade", "2", "--workspace", str(tree))
    assert code == 1
    lines = out.splitlines()
    index = lines.index("lab2 hostname prints the machine's name: FAIL (0.0s)")
    assert lines[index + 1] == "    parent failed: lab2 hostname.asm assembles (SYS_GETHOSTNAME is defined)"
