"""The lab registry: `lab list`, and points that add up (visible suite + hidden tests + written questions)."""
from pathlib import Path

import pytest

from cliutil import run_cli
from simpleos.labs.catalog import LABS
from simpleos.labs.runner import load_suites

from labtrees import INSTRUCTOR


def test_lab_list_has_one_line_per_lab(capsys):
    code, out, err = run_cli(capsys, "lab", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [int(line.split()[0]) for line in lines] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert lines[0] == ("1  rings         100 points  Make a ring-3 program fault, every way: eight ring-3 programs, "
                        "each stopped by the CPU (or the kernel) in a different way")
    assert "Find the killer rule" in lines[7] and "Design a rollout policy" in lines[6]
    assert lines[8].startswith("9  fuzz          100 points  Fuzz your own validator: ")
    assert lines[9].startswith("10  visibility    100 points  What only ring 0 can see: ")


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: f"lab{lab.number}")
def test_points_add_up(lab):
    visible = load_suites(lab)
    everything = load_suites(lab, [INSTRUCTOR])
    hidden = [t for t in everything if t.hidden]
    assert sum(t.points for t in visible if not t.manual) == lab.visible_points
    assert sum(t.points for t in hidden) == lab.hidden_points
    assert sum(t.points for t in visible if t.manual) == lab.manual_points
    assert all(t.visibility == "after_due_date" for t in hidden)
    assert all(t.parent is None or t.parent in {u.name for u in everything} for t in everything)


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: f"lab{lab.number}")
def test_every_lab_has_the_instructor_kit(lab):
    folder = INSTRUCTOR / f"lab{lab.number}"
    for name in ("solution.toml", "answers.md", "rubric.md"):
        assert (folder / name).is_file(), name
    assert list((folder / "hidden").glob("*.py")) and list((folder / "wrong").glob("*.toml"))
    assert (Path(__file__).resolve().parents[2] / lab.folder / "README.md").is_file()


@pytest.mark.parametrize("argv, code, message", [
    (["lab", "start", "11", "/tmp/never"], 1, "simpleos: no lab 11 (labs: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)\n"),
    (["lab", "start", "x", "/tmp/never"], 2, None),
    (["grade", "1", "--workers", "2"], 2, "simpleos grade: error: --workers and --results go with --submissions (try --help)\n"),
    (["lab", "variant", "1", "--student", "a"], 1, "simpleos: lab 1 has no per-student variants\n"),
])
def test_bad_lab_commands_are_one_line(capsys, argv, code, message):
    got, out, err = run_cli(capsys, *argv)
    assert got == code and out == ""
    assert err.count("\n") == 1 and (message is None or err == message)
