"""`simpleos grade N`: grade a lab workspace -- its own code, through its own command line.

Prints gradelib-style lines, subtotals and `Score: X/Y`, or with --json
Gradescope's results.json; exit 0 only at full marks. --tests DIR adds an
instructor's hidden tests; --submissions DIR grades every workspace in DIR
with a pool of --workers processes (a JSON per student and one CSV). The work
is in simpleos/labs/; this module only parses and prints.
"""
from __future__ import annotations

import os

from ..labs.batch import grade_submissions
from ..labs.runner import grade
from ..labs.variants import check_student_id, load_secret
from ..labs.workspace import project_root
from .common import print_json

EXIT_FULL, EXIT_BELOW = 0, 1


def register(subparsers) -> None:
    """Add the `grade` command."""
    parser = subparsers.add_parser("grade", help="grade a lab workspace (make grade LAB=N)")
    parser.add_argument("number", type=int, metavar="N", help="the lab (simpleos lab list)")
    parser.add_argument("--json", action="store_true", help="print Gradescope's results.json on stdout")
    parser.add_argument("--tests", action="append", default=[], metavar="DIR",
                        help="add the hidden tests in DIR (DIR/labN/hidden, DIR/hidden or DIR itself; repeatable)")
    parser.add_argument("--student", metavar="ID", help="grade as this student (per-student labs)")
    parser.add_argument("--workspace", metavar="DIR", default=".", help="the workspace to grade (default: .)")
    parser.add_argument("--submissions", metavar="DIR", help="grade every workspace in DIR (one per student)")
    parser.add_argument("--workers", type=int, metavar="K", help="processes for --submissions (default: CPUs)")
    parser.add_argument("--results", metavar="DIR", help="where --submissions writes JSON and CSV "
                                                           "(default: ./grades-labN)")
    parser.set_defaults(func=main)


def main(args) -> int:
    """Grade one workspace (exit 0 at full marks, else 1), or a folder of them (exit 0)."""
    if args.submissions is None and (args.workers is not None or args.results is not None):
        return _usage("--workers and --results go with --submissions")
    if args.submissions is not None and (args.student is not None or args.workspace != "."):
        return _usage("--submissions grades every folder in DIR as its own student: no --student or --workspace")
    if args.workers is not None and args.workers < 1:
        return _usage("--workers must be at least 1")
    secret = load_secret(project_root())
    if args.submissions is not None:
        results = args.results or f"grades-lab{args.number}"
        for line in grade_submissions(args.number, args.submissions, args.workers or os.cpu_count() or 1,
                                      args.tests, results, secret):
            print(line)
        return EXIT_FULL
    student = check_student_id(args.student) if args.student is not None else None
    report = grade(args.number, args.workspace, args.tests, student=student, secret=secret)
    if args.json:
        print_json(report.gradescope())
    else:
        for line in report.lines():
            print(line, flush=True)
    return EXIT_FULL if report.full_marks else EXIT_BELOW


def _usage(message: str) -> int:
    """A one-line usage error (exit 2)."""
    import sys
    print(f"simpleos grade: error: {message} (try --help)", file=sys.stderr)
    return 2
