"""The student edition: answer blocks out, markers balanced, the right files in a workspace."""
import subprocess

import pytest

from cliutil import run_cli
from simpleos.errors import BadInput
from simpleos.labs.edition import answer_files, strip_answers

from labtrees import ROOT

TEXT = "a\n# lab-answer 3: begin\nanswer three\n# lab-answer 3: end\nb\n; lab-answer 8: begin\neight\n; lab-answer 8: end\nc\n"


def test_answer_blocks_and_their_markers_go():
    assert strip_answers(TEXT) == "a\nb\nc\n"


def test_a_lab_kept_loses_only_its_markers():
    assert strip_answers(TEXT, keep=frozenset({3})) == "a\nanswer three\nb\nc\n"


@pytest.mark.parametrize("text, reason", [
    ("x\n# lab-answer 3: begin\n", "f:2: lab-answer 3 never ends"),
    ("# lab-answer 3: end\n", "f:1: lab-answer 3 ends where none began"),
    ("# lab-answer 3: begin\n# lab-answer 8: begin\n", "f:2: lab-answer 8 begins inside lab-answer 3"),
])
def test_unbalanced_markers_are_bad_input(text, reason):
    with pytest.raises(BadInput, match=reason):
        strip_answers(text, "f")


def test_the_project_keeps_lab_3_8_and_10_answers_in_known_places():
    assert "drivers/sensor/sensor.asm" in answer_files(ROOT, 3)
    assert "simpleos/channel/validate.py" in answer_files(ROOT, 8)
    assert answer_files(ROOT, 10) == ["drivers/sensor/sensor.asm", "tests/taxonomy/test_rootkit.py"]


def test_lab_start_makes_a_git_repository_with_one_commit(tmp_path, capsys):
    target = tmp_path / "lab1"
    code, out, err = run_cli(capsys, "lab", "start", "1", str(target))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == f"lab 1 (Make a ring-3 program fault, every way): workspace {target} (a new git repository)"
    log = subprocess.run(["git", "-C", str(target), "log", "--format=%s"], capture_output=True, text=True).stdout
    assert log == "Lab 1 starting point: Make a ring-3 program fault, every way\n"
    status = subprocess.run(["git", "-C", str(target), "status", "--porcelain"], capture_output=True, text=True).stdout
    assert status == ""
    assert (target / "labs/lab1/README.md").is_file() and not (target / "labs/lab2").exists()
    assert (target / ".simpleos-lab").read_text().splitlines()[1] == "lab = 1"
    assert (target / "Makefile").read_text() == (ROOT / "Makefile").read_text()


def test_lab_start_refuses_a_directory_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "x").write_text("mine")
    code, out, err = run_cli(capsys, "lab", "start", "2", str(tmp_path))
    assert (code, out) == (1, "") and err == f"simpleos: {tmp_path} already exists and is not an empty directory\n"
    assert (tmp_path / "x").read_text() == "mine"


def test_lab_8_needs_a_student_and_the_secret(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SIMPLEOS_LAB_SECRET", raising=False)
    monkeypatch.delenv("SIMPLEOS_LAB_SECRET_FILE", raising=False)
    code, _, err = run_cli(capsys, "lab", "start", "8", str(tmp_path / "a"))
    assert code == 1 and err == "simpleos: lab 8 is different for every student: give --student ID\n"
    if not (ROOT / "instructor/variant-secret").exists():
        code, _, err = run_cli(capsys, "lab", "start", "8", str(tmp_path / "b"), "--student", "alice")
        assert code == 1 and "need the instructor's secret" in err
    code, _, err = run_cli(capsys, "lab", "start", "8", str(tmp_path / "c"), "--student", "no/slash")
    assert code == 1 and err == "simpleos: not a student id: 'no/slash' (letters, digits and . _ @ + -, at most 64)\n"
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
