"""`simpleos analyze DUMP`: the post-mortem report of a crash dump (WinDbg's !analyze -v).

DUMP is a host path, e.g. <machine>/dumps/CRASH-0001.dmp as `simpleos boot`
reports it. A missing or malformed dump is one line on stderr and exit 1.
This file only wires the command to simpleos.debug.analyze.
"""
from __future__ import annotations


def register(subparsers) -> None:
    """Add the `analyze` command."""
    parser = subparsers.add_parser("analyze", help="explain a crash dump (like WinDbg's !analyze -v)")
    parser.add_argument("dump", metavar="DUMP", help="a crash dump, e.g. <machine>/dumps/CRASH-0001.dmp")
    parser.set_defaults(func=main)


def main(args) -> int:
    """Print the report; 0 on success (bad input raises BadInput: exit 1)."""
    from ..debug.analyze import analyze, load_dump      # here, not at import: the CLI loads every command
    for line in analyze(load_dump(args.dump)):
        print(line)
    return 0
