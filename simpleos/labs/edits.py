"""Edit sets: reference solutions and planted wrong solutions, applied to a workspace.

An edit set is a TOML file in the instructor area (instructor/labN/solution.toml,
instructor/labN/wrong/NAME.toml; docs/teaching.md):

    lab = 3
    description = "compares with the constant 20 instead of r15"
    base = "reference"            # apply instructor/labN/solution.toml first
    answers = true                # put lab N's answer blocks back, from the project's own files
    must_fail = ["lab3 ..."]      # tests a planted wrong solution must fail
    [[file]]                      # a whole file: source (next to the TOML) or text
    path = "labs/lab1/kread.asm"
    source = "solution/files/labs/lab1/kread.asm"
    [[replace]]                   # one exact, unique occurrence of `old` becomes `new`
    path = "drivers/sensor/sensor.asm"
    old = "cmp rcx, r15"
    new = "cmp rcx, 20"
    [[culprit]]                   # a per-student lab's answer: the culprit of the workspace's variant
    path = "labs/lab8/answer.toml"   # (or of `student = "ID"`), from the instructor's secret

This module only edits files of the given workspace; it must NOT grade.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from ..errors import BadInput
from .catalog import lab_numbered
from .edition import answer_files, student_text, with_answer
from .variants import read_variant_file, require_secret, variant_for


@dataclass
class EditSet:
    """A parsed edit set."""
    path: Path
    lab: int
    description: str
    base: str | None
    answers: bool
    must_fail: list[str] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    replaces: list[dict] = field(default_factory=list)
    culprits: list[dict] = field(default_factory=list)


def load_edit_set(path: str | Path) -> EditSet:
    """Read an edit set; BadInput with the reason if it is malformed."""
    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise BadInput(f"cannot read {path}: {problem.strerror or problem}") from None
    except tomllib.TOMLDecodeError as problem:
        raise BadInput(f"{path}: TOML syntax error: {problem}") from None
    if not isinstance(table.get("lab"), int):
        raise BadInput(f"{path}: needs `lab = N`")
    return EditSet(path, table["lab"], table.get("description", ""), table.get("base"), bool(table.get("answers")),
                   list(table.get("must_fail", [])), list(table.get("file", [])), list(table.get("replace", [])),
                   list(table.get("culprit", [])))


def apply_edit_set(edits: EditSet, workspace: Path, project: Path, secret: bytes | None = None) -> None:
    """Apply `edits` (and its base first) to the files of `workspace`."""
    if edits.base == "reference":
        apply_edit_set(load_edit_set(edits.path.parent.parent / "solution.toml"), workspace, project, secret)
    elif edits.base not in (None, "starter"):
        raise BadInput(f"{edits.path}: base must be 'reference' or 'starter', not {edits.base!r}")
    if edits.answers:
        for relative in answer_files(project, edits.lab):
            target = workspace / relative
            if not target.is_file() or target.read_bytes() != student_text(project, relative):
                raise BadInput(f"{relative} in {workspace} is not the starter's: cannot put lab {edits.lab}'s "
                               f"answer back")
            target.write_bytes(with_answer(project, relative, edits.lab))
    for entry in edits.files:
        target = workspace / _relative(entry, edits.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if "source" in entry:
            target.write_bytes((edits.path.parent / entry["source"]).read_bytes())
        else:
            target.write_text(entry["text"], encoding="utf-8")
    for entry in edits.replaces:
        target = workspace / _relative(entry, edits.path)
        text = target.read_text(encoding="utf-8") if target.is_file() else ""
        if text.count(entry["old"]) != 1:
            raise BadInput(f"{edits.path}: {entry['path']} has {text.count(entry['old'])} copies of "
                           f"{entry['old']!r} (expected exactly one)")
        target.write_text(text.replace(entry["old"], entry["new"]), encoding="utf-8")
    for entry in edits.culprits:
        student = entry.get("student") or read_variant_file(workspace, lab_numbered(edits.lab))
        if student is None:
            raise BadInput(f"{edits.path}: {workspace} has no variant, and the edit names no student")
        culprit = variant_for(require_secret(secret), student).culprit
        (workspace / _relative(entry, edits.path)).write_text(
            f'file = "{culprit.file}"\ninstance = {culprit.instance}\nfield = {culprit.field}\n'
            f'template = "{culprit.template}"\n', encoding="utf-8")


def _relative(entry: dict, origin: Path) -> str:
    """The workspace-relative path of an entry, refusing paths that leave the workspace."""
    relative = entry.get("path", "")
    if not relative or relative.startswith("/") or ".." in Path(relative).parts:
        raise BadInput(f"{origin}: bad path {relative!r} (relative, inside the workspace)")
    return relative
