"""`simpleos lab list|start|variant|gradescope|apply`: the course's labs, for students and instructors.

list prints one line per lab; start makes a student's workspace (a new git
repository at the lab's starting point); variant regenerates a student's
per-student content (and, for the instructor, names its culprit); gradescope
writes an autograder.zip; apply applies an edit set (a reference or planted
wrong solution) to a workspace. The work is in simpleos/labs/; this module
only parses and prints.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import BadInput
from ..labs.catalog import LABS, describe, lab_numbered
from ..labs.edits import apply_edit_set, load_edit_set
from ..labs.gradescope import build_autograder
from ..labs.variants import check_student_id, load_secret, require_secret, variant_for, write_variant
from ..labs.workspace import project_root, start_workspace


def register(subparsers) -> None:
    """Add `lab` and its actions."""
    parser = subparsers.add_parser("lab", help="the labs: list them, start a workspace, variants, Gradescope export")
    actions = parser.add_subparsers(dest="lab_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True

    listing = actions.add_parser("list", help="one line per lab: number, name, points, goal")
    listing.set_defaults(func=run_list)

    start = actions.add_parser("start", help="make DIR a new git repository: the student's tree for lab N")
    start.add_argument("number", type=int, metavar="N", help="the lab (simpleos lab list)")
    start.add_argument("directory", metavar="DIR", help="a new or empty directory")
    start.add_argument("--student", metavar="ID", help="the student (needed by per-student labs)")
    start.set_defaults(func=run_start)

    variant = actions.add_parser("variant", help="a student's per-student content, from the instructor secret")
    variant.add_argument("number", type=int, metavar="N")
    variant.add_argument("--student", metavar="ID", required=True)
    variant.add_argument("-o", "--output", metavar="DIR", help="write the channel files (and VARIANT) to DIR")
    variant.add_argument("--answer", action="store_true", help="print the culprit (instructors only)")
    variant.set_defaults(func=run_variant)

    gradescope = actions.add_parser("gradescope", help="write a Gradescope autograder.zip for lab N")
    gradescope.add_argument("number", type=int, metavar="N")
    gradescope.add_argument("output", metavar="OUT.zip")
    gradescope.add_argument("--tests", metavar="DIR", help="hidden tests to include (default: instructor/)")
    gradescope.set_defaults(func=run_gradescope)

    apply = actions.add_parser("apply", help="apply an edit set (a reference or planted solution) to DIR")
    apply.add_argument("edits", metavar="EDITS.toml")
    apply.add_argument("directory", metavar="DIR")
    apply.set_defaults(func=run_apply)


def run_list(args) -> int:
    """Print the labs."""
    for lab in LABS:
        print(describe(lab))
    return 0


def run_start(args) -> int:
    """Create the workspace."""
    lab = lab_numbered(args.number)
    secret = load_secret(project_root()) if lab.per_student else None
    target = start_workspace(args.number, args.directory, student=args.student, secret=secret)
    who = f" for {args.student}" if args.student else ""
    print(f"lab {lab.number} ({lab.name}){who}: workspace {target} (a new git repository)")
    print(f"read {lab.folder}/README.md, then grade yourself with: cd {target} && make grade LAB={lab.number}")
    return 0


def run_variant(args) -> int:
    """Write or describe a student's variant."""
    lab = lab_numbered(args.number)
    if not lab.per_student:
        raise BadInput(f"lab {lab.number} has no per-student variants")
    secret = require_secret(load_secret(project_root()))
    variant = variant_for(secret, check_student_id(args.student))
    if args.output:
        write_variant(Path(args.output), variant, secret)
        print(f"wrote {len(variant.files)} channel files for {args.student} to {Path(args.output) / 'content'}")
    for name in sorted(variant.files):
        print(name)
    if args.answer:
        c = variant.culprit
        print(f"culprit: {c.file} instance {c.instance} field {c.field} ({c.field_name()}) template {c.template}")
    return 0


def run_gradescope(args) -> int:
    """Write the autograder zip."""
    project = project_root()
    tests = Path(args.tests) if args.tests else project / "instructor"
    summary = build_autograder(args.number, Path(args.output), project, tests, load_secret(project))
    print(summary)
    return 0


def run_apply(args) -> int:
    """Apply an edit set to a workspace."""
    edits = load_edit_set(args.edits)
    target = Path(args.directory)
    if not target.is_dir():
        raise BadInput(f"no such directory: {target}")
    apply_edit_set(edits, target, project_root(), load_secret(project_root()))
    print(f"applied {args.edits} to {target}: {edits.description}")
    return 0
