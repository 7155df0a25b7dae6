"""Options shared by the commands that boot a machine, and JSON printing.

Keeps every command spelling the flags of docs/cli.md the same way.
"""
from __future__ import annotations

import json
import sys


def add_machine_options(parser) -> None:
    """--machine, --fresh, --seed, --json."""
    parser.add_argument("--machine", metavar="DIR", help="the machine's home (disk, crash dumps); "
                        "default: $SIMPLEOS_MACHINE or ~/.local/state/simpleos/machine")
    parser.add_argument("--fresh", action="store_true", help="reinstall the machine's disk from the shipped defaults")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the kernel's random numbers")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout, nothing else")


def echo_for(args):
    """Where console lines go while the machine runs: stdout, or nowhere with --json."""
    if args.json:
        return None
    return lambda line: print(line, flush=False)


def print_json(obj) -> None:
    """One JSON object on stdout."""
    json.dump(obj, sys.stdout, sort_keys=False)
    sys.stdout.write("\n")
