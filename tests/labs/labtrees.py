"""Helpers of the lab system's tests: workspaces made from this checkout, edit sets, a test secret.

Imported by name (`from labtrees import workspace`): a module of its own, not
conftest.py, so the import cannot pick another suite's conftest. The one
fixture, secret_env, is in this folder's conftest.py.

These tests use instructor/ (reference solutions, hidden tests, planted wrong
solutions), so they are project-only: `lab start` never copies tests/labs/.
Workspaces run their code with this venv's Python (no venv per workspace);
grading lends the checkout's build of the C extension.
"""
from __future__ import annotations

from pathlib import Path

from simpleos.labs.edits import apply_edit_set, load_edit_set
from simpleos.labs.variants import variant_for
from simpleos.labs.workspace import start_workspace

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTOR = ROOT / "instructor"
SECRET = b"test secret of the lab system's tests"


def workspace(directory: Path, lab: int, student: str | None = None, edits: list[Path] = ()) -> Path:
    """A fresh workspace for `lab` in `directory`, with the edit sets applied in order."""
    path = start_workspace(lab, directory, student=student, secret=SECRET, project=ROOT)
    for edit in edits:
        apply_edit_set(load_edit_set(edit), path, ROOT, SECRET)
    return path


def reference(lab: int) -> Path:
    """The reference solution's edit set."""
    return INSTRUCTOR / f"lab{lab}" / "solution.toml"


def wrong_solutions(lab: int) -> list[Path]:
    """The planted wrong solutions of a lab."""
    return sorted((INSTRUCTOR / f"lab{lab}" / "wrong").glob("*.toml"))


def ipc_student() -> str:
    """A student whose Lab 8 culprit is an IPC rule (some planted solutions only fail on PROCESS probes)."""
    return next(s for s in (f"student{i}" for i in range(100)) if variant_for(SECRET, s).culprit.template == "IPC")


def light_venv(tree: Path) -> None:
    """Give a workspace a .venv that borrows this checkout's installed packages (no pip install), its
    build of the C extension, and a stamp newer than its sources, so `make test` and `make grade` in it
    start at once (a real workspace's first `make` runs pip, as the project's does)."""
    import subprocess
    import sys
    import sysconfig
    from simpleos.labs.worker import prepare_extension
    prepare_extension(tree)
    venv = tree / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    ours = sysconfig.get_paths()["purelib"]
    theirs = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    Path(theirs, "simpleos-lab-tests.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    (venv / ".installed").touch()
