"""Lab 9's hidden harmless files really are harmless and valid, and the rules of Labs 4 and 8 pass Lab 9.

The files are the hidden tests' own (instructor/lab9/hidden/), built as the grader builds them; the
project's validators hold Lab 8's kind check, so "valid here" means valid under the reference rules.
A Lab 9 workspace with Lab 8's answer and Lab 4's reference rule (what a student who did both labs
brings along) gets full marks: the relation docs/teaching.md describes.
"""
import importlib.util

from simpleos.channel import abi_validate, parse, serialize
from simpleos.channel.source import build_source
from simpleos.labs.edits import EditSet, apply_edit_set, load_edit_set
from simpleos.labs.runner import grade

from labtrees import INSTRUCTOR, ROOT, SECRET, reference, workspace


def harmless_files(directory):
    """The hidden test's harmless files, written to `directory`, with the shipped edge file first."""
    spec = importlib.util.spec_from_file_location("lab9_hidden", INSTRUCTOR / "lab9/hidden/test_lab9_hidden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = [ROOT / module.EDGE]
    for name, source in module.HARMLESS.items():
        paths.append(directory / name)
        paths[-1].write_bytes(serialize(build_source(source, name)))
    return paths


def test_the_hidden_harmless_files_are_valid_and_crash_nothing(tmp_path, boot_machine):
    paths = harmless_files(tmp_path)
    for path in paths:
        assert abi_validate(parse(path.read_bytes()), path.name) == [], path.name
    session = boot_machine(tmp_path / "m", fresh=True, channels=[str(p) for p in paths], max_boots=1)
    assert session.verdict == "up" and session.sensor_totals["crashes"] == 0


def test_lab_9_with_the_rules_of_labs_4_and_8_brought_along_gets_full_marks(tmp_path):
    lab8_rule = EditSet(reference(8), 8, "Lab 8's kind check, without an answer file", None, True)
    tree = workspace(tmp_path / "lab9", 9)
    apply_edit_set(lab8_rule, tree, ROOT)
    apply_edit_set(load_edit_set(reference(4)), tree, ROOT)
    report = grade(9, tree, [INSTRUCTOR], secret=SECRET)
    assert {r.test.name: r.message for r in report.results if r.status == "FAIL"} == {}
    assert report.full_marks
