"""`simpleos fuzz SEED_FILE...`: coverage-guided fuzzing of the sensor's content interpreter.

Parses the flags of docs/cli.md, runs a campaign (simpleos/fuzz/), shows a
live status line on a terminal (rich) and prints the report -- or, with
--json, nothing but the JSON object. Exit 0 when no crash was found, 3 when
the sensor went down on at least one input (as `boot` exits 3 when the
machine does not come up), 1 for bad input (a seed that is not a channel
file), 2 for usage errors. The engine is in simpleos/fuzz/; this module only
wires it to the command line and formats its results.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import BadInput
from .common import positive_int, print_json

EXIT_NO_CRASH, EXIT_CRASHED = 0, 3
DEFAULT_OUT = "fuzz-crashes"


def register(subparsers) -> None:
    """Add the `fuzz` command."""
    parser = subparsers.add_parser(
        "fuzz", help="fuzz the sensor's content interpreter from seed channel files (coverage-guided)",
        description="Mutate seed channel files, run each on the real sensor (from a machine snapshot), keep "
                    "what reaches new code, and report every crash: where it faults, why, what the "
                    "validators say of it, and a channel file that reproduces it.")
    parser.add_argument("seeds", nargs="+", metavar="SEED_FILE", help="channel files to start from (.sys)")
    parser.add_argument("--sensor-build", choices=["original", "fixed"], default="original",
                        help="sensor as shipped in July 2024, or with the runtime bounds check added afterwards")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=_positive_float, metavar="N",
                        help="fuzz for N seconds of wall time (default 30)")
    budget.add_argument("--execs", type=positive_int, metavar="N",
                        help="fuzz for N executions (with --seed: the same results every time)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the fuzzer's random choices")
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"where the crash files go (default ./{DEFAULT_OUT}); existing files are kept")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout, nothing else")
    parser.set_defaults(func=main)


def main(args) -> int:
    """Run the campaign and report it."""
    from ..fuzz import Campaign, load_seed
    from .fuzzreport import StatusLine, print_header, print_report
    seeds = [load_seed(path) for path in args.seeds]
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise BadInput(f"--out {args.out}: not a directory")
    campaign = Campaign(seeds, args.sensor_build, args.seed)
    if not args.json:
        print_header(campaign, args)
    with StatusLine(enabled=not args.json) as status:
        try:
            campaign.run(execs=args.execs, seconds=args.seconds, progress=status.update)
        except KeyboardInterrupt:        # Ctrl-C ends the fuzzing, not the report
            print("simpleos: interrupted: reporting what was found so far", file=sys.stderr)
    result = campaign.finish(args.out, reproduce=True)
    if args.json:
        print_json(result.to_json())
    else:
        print_report(result)
    return EXIT_CRASHED if result.crashes else EXIT_NO_CRASH


def _positive_float(text: str) -> float:
    """argparse type: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value
