"""`simpleos lab start N DIR`: a student's workspace, a new git repository at lab N's starting point.

The workspace is the student edition of the project checkout this SimpleOS
runs from (edition.py: the files git tracks, answers taken out, no instructor
area), with labs/labN/ holding the handout and the files to write. For a
per-student lab it also holds that student's variant (variants.py), made from
the instructor's secret. `.simpleos-lab` records which lab and student the
tree is for. The first commit is the starting point, so `git diff` shows the
student's work. This module must NOT write outside DIR.
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from .. import __version__
from ..errors import BadInput
from .catalog import Lab, lab_numbered
from .edition import in_student_edition, student_text, tracked_files
from .variants import check_student_id, require_secret, variant_for, write_variant

MARKER_FILE = ".simpleos-lab"
GIT_IDENTITY = ["-c", "user.name=simpleos lab start", "-c", "user.email=lab-start@simpleos.invalid",
                "-c", "commit.gpgsign=false"]


def project_root() -> Path:
    """The SimpleOS checkout this code runs from (where instructor/ and labs/ live)."""
    return Path(__file__).resolve().parents[2]


def start_workspace(lab_number: int, directory: str | Path, student: str | None = None,
                    secret: bytes | None = None, project: Path | None = None) -> Path:
    """Create the workspace for lab `lab_number` in `directory` (new or empty); its path."""
    lab = lab_numbered(lab_number)
    project = project or project_root()
    if student is not None:
        check_student_id(student)
    if lab.per_student:
        if student is None:
            raise BadInput(f"lab {lab.number} is different for every student: give --student ID")
        secret = require_secret(secret)
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BadInput(f"{target} already exists and is not an empty directory")
    files = [path for path in tracked_files(project) if in_student_edition(path, lab.number)]
    if not any(path.startswith(lab.folder + "/") for path in files):
        raise BadInput(f"{project} has no {lab.folder}/ (is it a SimpleOS checkout?)")
    target.mkdir(parents=True, exist_ok=True)
    try:
        _copy_student_edition(project, target, files)
        if lab.per_student:
            write_variant(target / lab.folder, variant_for(secret, student), secret)
        _write_marker(target, lab, student, project)
        _first_commit(target, lab)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def _copy_student_edition(project: Path, target: Path, files: list[str]) -> None:
    """Copy each file as the student edition has it, keeping the executable bit."""
    for relative in files:
        source = project / relative
        if not source.is_file():
            continue  # tracked but deleted in the working tree
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(student_text(project, relative))
        if source.stat().st_mode & stat.S_IXUSR:
            destination.chmod(destination.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _write_marker(target: Path, lab: Lab, student: str | None, project: Path) -> None:
    """.simpleos-lab: which lab this tree is for, from which commit of SimpleOS."""
    commit = _git(project, "rev-parse", "--short", "HEAD", check=False).strip() or "unknown"
    lines = ["# A SimpleOS lab workspace (simpleos lab start). `make grade LAB=N` grades it.",
             f"lab = {lab.number}", f'name = "{lab.name}"', f'simpleos = "{__version__} ({commit})"']
    if student is not None:
        lines.append(f'student = "{student}"')
    (target / MARKER_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _first_commit(target: Path, lab: Lab) -> None:
    """A new git repository whose first commit is the starting point."""
    _git(target, "init", "-q")
    _git(target, "symbolic-ref", "HEAD", "refs/heads/main")
    _git(target, "add", "-A")
    _git(target, *GIT_IDENTITY, "commit", "-q", "-m", f"Lab {lab.number} starting point: {lab.name}")


def _git(where: Path, *argv: str, check: bool = True) -> str:
    """Run git in `where`; its stdout (BadInput if it fails and `check`)."""
    environment = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(["git", "-C", str(where), *argv], capture_output=True, text=True, env=environment)
    except OSError as problem:
        raise BadInput(f"git is needed for lab workspaces: {problem}") from None
    if check and done.returncode != 0:
        raise BadInput(f"git {' '.join(argv)} failed in {where}: {done.stderr.strip()}")
    return done.stdout
