"""`make grade LAB=1` in a workspace: the workspace's own grader prints the Score line; exit 0 only at
full marks. The workspace's .venv borrows this checkout's packages (see labtrees.light_venv)."""
import subprocess

from labtrees import light_venv, reference, workspace


def make_grade(tree, *extra):
    return subprocess.run(["make", "-s", "grade", "LAB=1", *extra], cwd=tree, capture_output=True, text=True)


def test_make_grade_below_full_marks_exits_non_zero(tmp_path):
    tree = workspace(tmp_path / "lab1", 1)
    light_venv(tree)
    done = make_grade(tree)
    assert done.returncode != 0
    assert "Score: 0/40" in done.stdout.splitlines()
    assert "lab1 kread: FAIL" in done.stdout and (tree / ".grade/lab1/kread.out").is_file()


def test_make_grade_at_full_marks_exits_0(tmp_path):
    tree = workspace(tmp_path / "lab1", 1, edits=[reference(1)])
    light_venv(tree)
    done = make_grade(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-2] == "Score: 40/40"
    json_run = make_grade(tree, "ARGS=--json")
    assert json_run.returncode == 0 and json_run.stdout.startswith('{"score": 40, ')


def test_make_grade_without_lab_is_a_usage_error(tmp_path):
    tree = workspace(tmp_path / "lab1", 1)
    light_venv(tree)
    done = subprocess.run(["make", "-s", "grade"], cwd=tree, capture_output=True, text=True)
    assert done.returncode != 0 and "usage: make grade LAB=N" in done.stderr
