"""The grade runner: a lab's tests against one workspace, through the workspace's own command line.

It loads the visible suite (simpleos/labs/suites/labN.py of the *grader*, not
of the workspace, so editing a workspace's copy changes nothing for the
instructor) and the hidden tests of `--tests DIR`, builds the workspace's one C
extension if needed, and runs each test in order. Each test gets a Context:
`ctx.simpleos(...)` runs the workspace's `simpleos` (its sensor.asm, its
syscalls, its models, its programs) on fresh throw-away machines. A failed
test's transcript is saved in the workspace as .grade/labN/NAME.out. Paths of
temporary machines are written as <tmp>, so reports do not depend on where
grading ran. It must NOT judge outputs itself: the tests do.
"""
from __future__ import annotations

import importlib
import importlib.util
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from ..errors import BadInput
from .catalog import Lab, lab_numbered
from .gradelib import Failed, GradeTest, Suite, one_json_object
from .results import FAIL, MANUAL, OK, Report, TestResult
from .variants import read_variant_file
from .worker import CommandResult, WorkspaceCLI, prepare_extension

PROGRAMS = Path(__file__).parent / "suites" / "programs"


class Context:
    """What a test function gets: the workspace's CLI, fresh machines, scratch files, a transcript."""

    def __init__(self, lab: Lab, workspace: Path, temp: Path, cli: WorkspaceCLI, test: GradeTest,
                 student: str | None, secret: bytes | None) -> None:
        self.lab, self.workspace, self.student, self.secret = lab, workspace, student, secret
        self.scratch = temp / "scratch" / test.slug
        self.scratch.mkdir(parents=True, exist_ok=True)
        self._temp, self._cli, self._test = temp, cli, test
        self._machines = 0
        self.transcript: list[str] = []
        self.last: CommandResult | None = None

    def simpleos(self, *argv, cwd: Path | None = None) -> CommandResult:
        """Run the workspace's `simpleos ARGV` (in the workspace, or in `cwd`)."""
        result = self._cli.run([str(a) for a in argv], cwd)
        self.last = result
        self.transcript.append(self.clean(result.transcript()))
        return result

    def machine(self) -> str:
        """A new, empty machine directory for this test."""
        self._machines += 1
        path = self._temp / "machines" / f"{self._test.slug}-{self._machines}"
        path.mkdir(parents=True)
        return str(path)

    def boot_json(self, *argv) -> dict:
        """`simpleos boot --fresh --json ARGV` on a new machine: the JSON object."""
        result = self.simpleos("boot", "--machine", self.machine(), "--fresh", "--json", *argv)
        return one_json_object(result.stdout, "boot --json")

    def boot_log(self, *argv) -> CommandResult:
        """`simpleos boot --fresh ARGV` on a new machine: the console and verdict."""
        return self.simpleos("boot", "--machine", self.machine(), "--fresh", *argv)

    def run_json(self, program: str | Path, *argv, machine: str | None = None) -> dict:
        """`simpleos run PROG --json` (fresh machine unless `machine` is given): the JSON object."""
        fresh = () if machine else ("--fresh",)
        result = self.simpleos("run", program, "--machine", machine or self.machine(), *fresh, "--json", *argv)
        return one_json_object(result.stdout, f"run {Path(program).name} --json")

    def write(self, name: str, content: str | bytes) -> Path:
        """A file of this test's own (a program, a channel file source, ...)."""
        path = self.scratch / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def channel_file(self, name: str, source: str) -> Path:
        """A .sys file of this test's own, built by the grader (not the workspace) from TOML source."""
        from ..channel import serialize
        from ..channel.source import build_source
        return self.write(name, serialize(build_source(source, name)))

    def program(self, name: str) -> Path:
        """One of the grader's test programs (suites/programs/NAME), copied into this test's scratch."""
        return self.write(name, (PROGRAMS / name).read_text(encoding="utf-8"))

    def workspace_file(self, relative: str) -> Path:
        """A file the student had to write, or Failed if it is missing."""
        path = self.workspace / relative
        if not path.is_file():
            raise Failed(f"expected the file {relative}, it is missing")
        return path

    def note(self, text: str) -> None:
        """Add a line to this test's transcript."""
        self.transcript.append(self.clean(text))

    def clean(self, text: str) -> str:
        """`text` with the run's temporary directory and the workspace's path replaced by names."""
        return text.replace(str(self._temp), "<tmp>").replace(str(self.workspace), "<workspace>")


def load_suites(lab: Lab, test_dirs: list[str | Path] = ()) -> list[GradeTest]:
    """The visible tests of `lab`, then every hidden test found under `test_dirs`."""
    module = importlib.import_module(f"simpleos.labs.suites.lab{lab.number}")
    tests = [replace(t, visibility=t.visibility or "visible") for t in module.tests.tests]
    for directory in test_dirs:
        for path in hidden_test_files(Path(directory), lab):
            tests += _load_hidden(path, lab)
    names = [t.name for t in tests]
    for duplicate in {n for n in names if names.count(n) > 1}:
        raise BadInput(f"two tests are named {duplicate!r}")
    return tests


def hidden_test_files(directory: Path, lab: Lab) -> list[Path]:
    """The *.py files of DIR/labN/hidden, DIR/hidden or DIR (the first that exists)."""
    if not directory.is_dir():
        raise BadInput(f"--tests {directory}: no such directory")
    for candidate in (directory / f"lab{lab.number}" / "hidden", directory / "hidden", directory):
        if candidate.is_dir():
            return sorted(candidate.glob("*.py"))
    return []


def _load_hidden(path: Path, lab: Lab) -> list[GradeTest]:
    """The tests of lab `lab` defined by Suites in one hidden-tests file."""
    spec = importlib.util.spec_from_file_location(f"simpleos_hidden_tests_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as problem:
        raise BadInput(f"{path}: cannot load hidden tests: {type(problem).__name__}: {problem}") from None
    return [replace(test, hidden=True, visibility=test.visibility or "after_due_date")
            for value in vars(module).values() if isinstance(value, Suite) and value.lab == lab.number
            for test in value.tests]


def grade(lab_number: int, workspace: str | Path, test_dirs: list[str | Path] = (), student: str | None = None,
          secret: bytes | None = None, python: str = sys.executable) -> Report:
    """Grade `workspace` for lab `lab_number`; the Report."""
    lab = lab_numbered(lab_number)
    root = Path(workspace).resolve()
    if not (root / "simpleos" / "cli.py").is_file():
        raise BadInput(f"{root} is not a SimpleOS workspace (no simpleos/cli.py): run `simpleos lab start`")
    tests = load_suites(lab, test_dirs)
    if lab.per_student and student is None:
        student = read_variant_file(root, lab)
    prepare_extension(root, python)
    out_dir = root / ".grade" / f"lab{lab.number}"
    shutil.rmtree(out_dir, ignore_errors=True)
    started = time.monotonic()
    results: list[TestResult] = []
    with tempfile.TemporaryDirectory(prefix="simpleos-grade-") as temp_name:
        temp = Path(temp_name).resolve()
        cli = WorkspaceCLI(root, {"XDG_STATE_HOME": str(temp / "state"), "XDG_CACHE_HOME": str(temp / "cache")},
                           python)
        try:
            outcome: dict[str, str] = {}
            for test in tests:
                result = _run_one(test, outcome, Context(lab, root, temp, cli, test, student, secret), out_dir)
                outcome[test.name] = result.status
                results.append(result)
        finally:
            cli.close()
    results = [r for r in results if not r.test.manual] + [r for r in results if r.test.manual]
    return Report(lab, results, time.monotonic() - started, student)


def _run_one(test: GradeTest, outcome: dict[str, str], ctx: Context, out_dir: Path) -> TestResult:
    """Run one test (or note a manual item); save the transcript if it failed."""
    if test.manual:
        return TestResult(test, MANUAL)
    if test.parent is not None and outcome.get(test.parent) != OK:
        why = "parent failed" if test.parent in outcome else f"parent {test.parent!r} is not a test of this run"
        return TestResult(test, FAIL, f"{why}: {test.parent}")
    started = time.monotonic()
    try:
        test.func(ctx)
        status, message = OK, ""
    except Failed as failure:
        status, message = FAIL, ctx.clean(str(failure))
    except Exception as problem:  # the workspace printed something the test did not expect
        status, message = FAIL, ctx.clean(f"unexpected output ({type(problem).__name__}: {problem})")
        ctx.note(traceback.format_exc())
    seconds = time.monotonic() - started
    saved = _save_transcript(out_dir, test, message, ctx.transcript) if status == FAIL else None
    return TestResult(test, status, message, seconds, saved)


def _save_transcript(out_dir: Path, test: GradeTest, message: str, transcript: list[str]) -> str | None:
    """Write .grade/labN/NAME.out; its path relative to the workspace (None if it cannot be written)."""
    path = out_dir / f"{test.slug}{'-hidden' if test.hidden else ''}.out"
    text = f"{test.name}: FAIL\n{message}\n\n" + "\n\n".join(transcript) + "\n"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return str(path.relative_to(out_dir.parent.parent))
