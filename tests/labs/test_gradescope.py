"""`simpleos lab gradescope N OUT.zip`: what the autograder holds, and its run_autograder end to end
(outside Gradescope: AUTOGRADER_ROOT and SIMPLEOS_COMMAND point it at a temporary root and this venv)."""
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cliutil import run_cli
from simpleos.labs.edition import MARKER

from labtrees import SECRET, reference, workspace


def test_the_zip_holds_the_scripts_the_grader_and_the_hidden_tests(tmp_path, capsys):
    out = tmp_path / "autograder.zip"
    code, stdout, err = run_cli(capsys, "lab", "gradescope", "1", str(out))
    assert (code, err) == (0, "") and stdout.startswith(f"wrote {out}: setup.sh, run_autograder, the grader (")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        texts = {name: archive.read(name) for name in names}
    assert {"setup.sh", "run_autograder", "student_id.py", "hidden/test_lab1_hidden.py"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "simpleos/pyproject.toml" in names and "simpleos/simpleos/labs/runner.py" in names
    assert "simpleos/simpleos/labs/killer.py" in names          # the variant generator: staff only
    assert all(n in ("setup.sh", "run_autograder", "student_id.py") or n.startswith(("simpleos/", "hidden/"))
               for n in names)
    assert not any("/instructor/" in n or n.startswith("simpleos/labs/") or "solution" in n for n in names)
    assert not [n for n in names if MARKER.search(texts[n].decode("utf-8", "replace"))]
    assert b"grade 1 --json" in texts["run_autograder"]


@pytest.mark.parametrize("lab", [7, 9])
def test_the_simulator_and_fuzzer_labs_export_their_hidden_tests_and_no_answers(tmp_path, capsys, lab):
    out = tmp_path / f"autograder-lab{lab}.zip"
    code, stdout, err = run_cli(capsys, "lab", "gradescope", str(lab), str(out))
    assert (code, err) == (0, "") and stdout.endswith(", 1 hidden test files\n")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        texts = {name: archive.read(name) for name in names}
    assert f"hidden/test_lab{lab}_hidden.py" in names and f"simpleos/simpleos/labs/suites/lab{lab}.py" in names
    assert f"grade {lab} --json".encode() in texts["run_autograder"]
    assert "simpleos/channel_files/C-00000291-kiosk-bad.sys" in names                 # the hidden fleets' content
    assert not any(n.startswith("simpleos/examples/") or "role_aware" in n for n in names)
    assert not [n for n in names if MARKER.search(texts[n].decode("utf-8", "replace"))]


def test_run_autograder_grades_a_submission_as_gradescope_would(tmp_path, capsys, secret_env):
    out = tmp_path / "autograder.zip"
    assert run_cli(capsys, "lab", "gradescope", "8", str(out))[0] == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(out) as archive:
        assert archive.read("variant-secret").strip() == SECRET
        archive.extractall(root / "source")
    tree = workspace(tmp_path / "alice", 8, "alice", [reference(8)])
    shutil.copytree(tree, root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"sid": "alice", "email": "a@example.org"}]}))
    environment = {"AUTOGRADER_ROOT": str(root), "SIMPLEOS_COMMAND": str(Path(sys.executable).with_name("simpleos")),
                   "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 70 and results["extra_data"]["student"] == "alice"
    assert any("hidden" in t["tags"] for t in results["tests"])
    (root / "submission_metadata.json").write_text(json.dumps({"users": [{"sid": "bob"}]}))
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment, check=True)
    as_bob = json.loads((root / "results" / "results.json").read_text())
    assert as_bob["score"] < 70 and as_bob["extra_data"]["student"] == "bob"


def test_student_id_py_finishes_with_a_results_json_even_when_grading_failed(tmp_path):
    helper = Path(__file__).resolve().parents[2] / "simpleos/labs/autograder/student_id.py"
    (tmp_path / "grader.err").write_text("simpleos: something broke\n")
    subprocess.run([sys.executable, str(helper), "--finish", str(tmp_path)], check=True)
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["score"] == 0 and "simpleos: something broke" in doc["output"] and doc["tests"] == []


def test_the_grader_in_the_zip_installs_and_grades_from_its_wheel(tmp_path, capsys):
    """What setup.sh's `pip install` makes of the zip's grader: a wheel that grades a workspace on its
    own (lab data files included; the C extension compiled in the workspace, as on Gradescope)."""
    out = tmp_path / "autograder.zip"
    assert run_cli(capsys, "lab", "gradescope", "1", str(out))[0] == 0
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "source")
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(tmp_path / "source" / "simpleos")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheels.glob("simpleos-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
        names = archive.namelist()
    assert "simpleos/labs/autograder/run_autograder" in names and "simpleos/labs/suites/programs/hostname.asm" in names
    tree = workspace(tmp_path / "lab1", 1, edits=[reference(1)])
    done = subprocess.run([sys.executable, "-m", "simpleos", "grade", "1", "--workspace", str(tree), "--tests",
                           str(tmp_path / "source" / "hidden")], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/local/bin:/usr/bin:/bin",
                               "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-2] == "Score: 80/80"
