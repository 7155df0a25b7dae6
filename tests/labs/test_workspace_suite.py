"""A workspace with correct solutions passes its own `make test` (the project's suite as a student has it).

One workspace gets the reference solutions of Labs 2, 3, 4, 6, 7 and 9 and Lab 8's validator rule: a
syscall, the bounds check, three validator rules, two new models, a rollout policy. The suite must stay
green: tests that assert an answer are answer blocks (not in student trees), the original sensor build
still crashes as the tests pin it, and model lists come from the registry. It runs the whole suite once more, so it is the slowest
test here (about the time of `make test`).
"""
import subprocess

import re

from simpleos.labs.edits import EditSet, apply_edit_set, load_edit_set

from labtrees import ROOT, light_venv, reference, workspace


def test_a_solved_workspace_passes_its_own_make_test(tmp_path):
    tree = workspace(tmp_path / "lab3", 3, edits=[reference(3), reference(6), reference(2)])
    apply_edit_set(EditSet(reference(8), 8, "Lab 8's validator rule, without an answer file", None, True), tree, ROOT)
    apply_edit_set(load_edit_set(reference(4)), tree, ROOT)       # after Lab 8's: both edit validate.py
    apply_edit_set(load_edit_set(reference(9)), tree, ROOT)       # a third rule in validate.py
    apply_edit_set(load_edit_set(reference(7)), tree, ROOT)       # labs/lab7/policy.py and answers.toml
    assert (tree / "simpleos/isolation/sandboxed.py").is_file() and ".if BOUNDS_CHECK" in (
        tree / "drivers/sensor/sensor.asm").read_text()
    light_venv(tree)
    done = subprocess.run(["make", "-s", "test"], cwd=tree, capture_output=True, text=True)
    tail = done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, tail
    summary = done.stdout.strip().splitlines()[-1]
    assert " failed" not in summary and int(re.search(r"(\d+) passed", summary).group(1)) > 450, summary
