"""`simpleos lab gradescope N OUT.zip`: a Gradescope autograder for lab N.

The zip holds what Gradescope asks for -- setup.sh (run once, installs Python,
gcc and the grader) and run_autograder (run per submission, writes
/autograder/results/results.json) -- plus the grader itself (the student
edition of this checkout with the variant generator, installed with pip), lab N's hidden tests and, for a
per-student lab, the variant secret. Gradescope keeps autograder zips private
to the course staff: never hand the zip to students. The scripts are in
autograder/ next to this file. This module only writes the zip.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import BadInput
from .catalog import lab_numbered
from .edition import INSTRUCTOR_CODE, in_student_edition, student_text, tracked_files
from .runner import hidden_test_files

SCRIPTS = Path(__file__).parent / "autograder"
GRADER_PARTS = ("pyproject.toml", "setup.py", "README.md", "simpleos/", "drivers/", "channel_files/", "userland/")


def build_autograder(lab_number: int, out: Path, project: Path, tests_dir: Path | None,
                     secret: bytes | None) -> str:
    """Write the zip; a one-line summary of what went in."""
    lab = lab_numbered(lab_number)
    if tests_dir is not None and not tests_dir.is_dir():
        raise BadInput(f"--tests {tests_dir}: no such directory")
    hidden = hidden_test_files(tests_dir, lab) if tests_dir is not None else []
    if lab.per_student and secret is None:
        raise BadInput(f"lab {lab.number} needs the variant secret in its autograder: set $SIMPLEOS_LAB_SECRET "
                       f"or write instructor/variant-secret")
    grader = [p for p in tracked_files(project) if p.startswith(GRADER_PARTS) and (project / p).is_file()
              and (in_student_edition(p, lab.number) or p in INSTRUCTOR_CODE)]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "setup.sh", (SCRIPTS / "setup.sh").read_bytes(), executable=True)
        run = (SCRIPTS / "run_autograder").read_text(encoding="utf-8").replace("@LAB@", str(lab.number))
        _add(archive, "run_autograder", run.encode("utf-8"), executable=True)
        _add(archive, "student_id.py", (SCRIPTS / "student_id.py").read_bytes())
        for relative in grader:
            _add(archive, f"simpleos/{relative}", student_text(project, relative))
        for path in hidden:
            _add(archive, f"hidden/{path.name}", path.read_bytes())
        if lab.per_student:
            _add(archive, "variant-secret", secret + b"\n")
    extra = " and the variant secret" if lab.per_student else ""
    return (f"wrote {out}: setup.sh, run_autograder, the grader ({len(grader)} files), "
            f"{len(hidden)} hidden test files{extra}")


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    """One member with Unix permissions (Gradescope runs setup.sh and run_autograder directly)."""
    info = zipfile.ZipInfo(name, date_time=(2024, 7, 19, 4, 9, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
