"""No instructor material reaches a student tree, for any lab.

Checked in every workspace: no file from instructor/ or tests/labs/ and no
docs/teaching.md; no lab-answer marker; no answer block of the project; no
text that a reference solution adds or replaces; no file equal to a
reference solution's file; no hidden test; no variant secret. And the
starter's `--sensor-build fixed` is not the fixed build: it still crashes;
the starter's cross-view scan has no view 3: the deep rootkit stays hidden.
"""
import re

import pytest

from simpleos.labs.catalog import LABS
from simpleos.labs.edition import MARKER, answer_files
from simpleos.labs.edits import load_edit_set

from labtrees import INSTRUCTOR, ROOT, SECRET, workspace


def answer_blocks() -> list[str]:
    """The text of every answer block in the project (marker lines excluded)."""
    blocks = []
    for lab in LABS:
        for path in answer_files(ROOT, lab.number):
            text = (ROOT / path).read_text(encoding="utf-8")
            pattern = rf"lab-answer {lab.number}: begin[^\n]*\n(.*?)\n[^\n]*lab-answer {lab.number}: end"
            blocks += re.findall(pattern, text, re.S)
    return [b for b in blocks if b.strip()]


def solution_texts() -> list[str]:
    """What the reference solutions write: added text and whole files."""
    texts = []
    for lab in LABS:
        edits = load_edit_set(INSTRUCTOR / f"lab{lab.number}" / "solution.toml")
        texts += [entry["new"] for entry in edits.replaces]
        texts += [(edits.path.parent / e["source"]).read_text() if "source" in e else e["text"] for e in edits.files]
    return [t.strip() for t in texts if len(t.strip()) > 20]


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """A starter workspace of every lab."""
    base = tmp_path_factory.mktemp("starters")
    return {lab.number: workspace(base / f"lab{lab.number}", lab.number, "alice" if lab.per_student else None)
            for lab in LABS}


@pytest.mark.parametrize("lab", [lab.number for lab in LABS], ids=lambda n: f"lab{n}")
def test_a_student_tree_holds_no_instructor_material(trees, lab):
    tree = trees[lab]
    files = [p for p in tree.rglob("*") if p.is_file() and ".git" not in p.relative_to(tree).parts]
    relative = {str(p.relative_to(tree)) for p in files}
    assert not any(r.startswith(("instructor/", "tests/labs/")) for r in relative)
    assert "docs/teaching.md" not in relative and "simpleos/labs/killer.py" not in relative
    assert "examples/fleet/role_aware_rings.py" not in relative          # Lab 7's idea, worked out
    assert {r.split("/")[1] for r in relative if r.startswith("labs/")} == {f"lab{lab}"}
    instructor_files = {p.read_bytes() for p in INSTRUCTOR.rglob("*") if p.is_file()}
    blocks, solutions = answer_blocks(), solution_texts()
    assert blocks and solutions
    for path in files:
        data = path.read_bytes()
        assert data not in instructor_files, path
        assert SECRET not in data, path
        text = data.decode("utf-8", errors="replace")
        assert MARKER.search(text) is None, path
        for block in blocks:
            assert block not in text, (path, block[:80])
        for solution in solutions:
            assert solution not in text, (path, solution[:80])


def test_the_starter_fixed_build_is_not_the_answer(trees, tmp_path, capsys):
    """In a student tree `--sensor-build fixed` has no bounds check: CF291 still crashes it."""
    from simpleos.labs.worker import WorkspaceCLI, prepare_extension
    tree = trees[3]
    prepare_extension(tree)
    cli = WorkspaceCLI(tree)
    try:
        result = cli.run(["boot", "--machine", str(tmp_path / "m"), "--fresh", "--max-boots", "1", "--json",
                          "--sensor-build", "fixed", "--channel", "channel_files/C-00000291-bad.sys"])
    finally:
        cli.close()
    assert result.code == 3 and '"verdict": "bootloop"' in result.stdout
    assert ".if BOUNDS_CHECK" not in (tree / "drivers/sensor/sensor.asm").read_text()


def test_the_lab_10_starter_scan_has_no_view_3(trees, tmp_path):
    """Lab 10's tree scans the list against the run queue only: the plain rootkit is found, the deep
    one (off the run-queue view too) is not, and the roots loop of the answer is not in the source."""
    import json
    from simpleos.labs.worker import WorkspaceCLI, prepare_extension
    tree = trees[10]
    prepare_extension(tree)
    cli = WorkspaceCLI(tree)
    found = {}
    try:
        for build in ("unlink", "deep"):
            result = cli.run(["boot", "--machine", str(tmp_path / build), "--fresh", "--json", "--rootkit", build])
            assert result.code == 0, result.stdout
            found[build] = json.loads(result.stdout)["sensor"]["hidden_found"]
    finally:
        cli.close()
    assert found == {"unlink": ["beacon"], "deep": []}
    source = (tree / "drivers/sensor/sensor.asm").read_text()
    assert "cross_view_scan:" in source and ".Lscan_roots" not in source


def test_the_lab_8_tree_names_no_culprit(trees):
    from simpleos.labs.variants import variant_for
    tree = trees[8]
    culprit = variant_for(SECRET, "alice").culprit
    for name in ("VARIANT", "answer.toml", "README.md"):
        text = (tree / "labs/lab8" / name).read_text()
        assert str(culprit.instance) not in text and culprit.file not in text
