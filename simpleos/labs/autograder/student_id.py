"""Helper of run_autograder (Gradescope), plain Python 3 with no dependencies.

`student_id.py METADATA` prints the submitting student's id from Gradescope's
submission_metadata.json (the first user's sid, else email), or nothing.
`student_id.py --finish RESULTS` moves results.json.new to results.json, or,
if the grader wrote no valid JSON, writes a results.json that says why.
It must NOT grade.
"""
import json
import os
import re
import sys

STUDENT_ID = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


def student(metadata_path):
    """The id to grade as, or '' if the metadata names none."""
    try:
        with open(metadata_path, encoding="utf-8") as handle:
            users = json.load(handle).get("users") or []
    except (OSError, ValueError, AttributeError):
        return ""
    for user in users:
        for key in ("sid", "email"):
            value = str(user.get(key) or "")
            if STUDENT_ID.fullmatch(value):
                return value
    return ""


def finish(results):
    """Put the grader's JSON in place, or a results.json with the grader's error."""
    produced = os.path.join(results, "results.json.new")
    try:
        with open(produced, encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError):
        try:
            with open(os.path.join(results, "grader.err"), encoding="utf-8", errors="replace") as handle:
                why = handle.read()[-2000:]
        except OSError:
            why = "(no error output)"
        doc = {"score": 0, "output": "The grader could not grade this submission:\n" + why, "tests": []}
    with open(os.path.join(results, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(doc, handle)
    if os.path.exists(produced):
        os.remove(produced)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--finish"]:
        finish(sys.argv[2])
    else:
        print(student(sys.argv[1]))
