"""Grade a folder of submissions in parallel: one workspace per student, a process pool.

`simpleos grade N --submissions DIR --workers K`: every directory in DIR is one
student's workspace, named by the student's id (the id a per-student lab's
variant was made for). Each is graded exactly as `simpleos grade N` would
grade it alone, so the pool changes only how long it takes. Writes
RESULTS/<student>.json (Gradescope's shape) and RESULTS/grades.csv. It must
NOT grade anything itself: runner.grade does.
"""
from __future__ import annotations

import csv
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..errors import BadInput
from .catalog import lab_numbered
from .runner import grade
from .variants import STUDENT_ID


def grade_submissions(lab_number: int, submissions: str | Path, workers: int, test_dirs: list[str],
                      results_dir: str | Path, secret: bytes | None) -> list[str]:
    """Grade every workspace in `submissions`; the lines to print."""
    lab = lab_numbered(lab_number)
    base = Path(submissions)
    if not base.is_dir():
        raise BadInput(f"--submissions {base}: no such directory")
    students = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise BadInput(f"--submissions {base}: no workspaces in it (one folder per student)")
    out = Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(grade_one, lab.number, str(p), list(test_dirs), p.name, secret) for p in students]
        results = [(p.name, future.result()) for p, future in zip(students, futures)]
    lines = []
    for student, doc in results:
        (out / f"{student}.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        if "error" in doc:
            lines.append(f"{student}: not graded: {doc['error']}")
        else:
            lines.append(f"{student}: {doc['score']}/{doc['extra_data']['machine_points']}")
    _write_csv(out / "grades.csv", results)
    lines.append(f"wrote {len(results)} results and {out / 'grades.csv'}")
    return lines


def grade_one(lab_number: int, workspace: str, test_dirs: list[str], student: str, secret: bytes | None) -> dict:
    """One submission's results.json (or {"error": reason}); runs in a pool process."""
    try:
        who = student if STUDENT_ID.fullmatch(student) else None
        return grade(lab_number, workspace, test_dirs, student=who, secret=secret).gradescope()
    except BadInput as reason:
        return {"error": str(reason)}


def _write_csv(path: Path, results: list[tuple[str, dict]]) -> None:
    """One row per student: score, machine points, manual points, then each test's score."""
    names: list[str] = []
    for _, doc in results:
        for test in doc.get("tests", []):
            if test["name"] not in names:
                names.append(test["name"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "machine_points", "manual_points", "error"] + names)
        for student, doc in results:
            scores = {t["name"]: t["score"] for t in doc.get("tests", []) if "manual" not in t.get("tags", [])}
            extra = doc.get("extra_data", {})
            writer.writerow([student, doc.get("score", ""), extra.get("machine_points", ""),
                             extra.get("manual_points", ""), doc.get("error", "")]
                            + [scores.get(name, "") for name in names])
