"""`simpleos grade N --submissions DIR --workers K`: a pool of processes, a JSON per student and one CSV."""
import csv
import json
import shutil

from cliutil import run_cli

from labtrees import INSTRUCTOR, reference, workspace


def test_a_folder_of_submissions_is_graded_in_parallel(tmp_path, capsys, secret_env):
    submissions = tmp_path / "submissions"
    workspace(submissions / "alice", 8, "alice", [reference(8)])
    bob = workspace(submissions / "bob", 8, "bob", [reference(8)])
    shutil.copy(submissions / "alice/labs/lab8/answer.toml", bob / "labs/lab8/answer.toml")  # alice's answer
    (submissions / "carol").mkdir()                                                         # not a workspace
    results = tmp_path / "grades"
    code, out, err = run_cli(capsys, "grade", "8", "--submissions", str(submissions), "--workers", "2",
                             "--tests", str(INSTRUCTOR), "--results", str(results))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "alice: 70/70"
    assert lines[1].startswith("bob: ") and lines[1] != "bob: 70/70"
    assert lines[2].startswith("carol: not graded: ") and "not a SimpleOS workspace" in lines[2]
    assert lines[3] == f"wrote 3 results and {results / 'grades.csv'}"
    alice = json.loads((results / "alice.json").read_text())
    assert alice["score"] == 70 and alice["extra_data"]["student"] == "alice"
    rows = list(csv.DictReader((results / "grades.csv").open()))
    assert [r["student"] for r in rows] == ["alice", "bob", "carol"]
    assert rows[0]["score"] == "70" and rows[0]["manual_points"] == "30"
    assert rows[1]["lab8 your answer is your culprit"] == "0" and rows[0]["lab8 your answer is your culprit"] == "15"
    assert rows[2]["error"]
