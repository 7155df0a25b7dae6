"""`simpleos compare FILE`: the same content update under every isolation model, one table."""
from __future__ import annotations

from pathlib import Path

from ..errors import BadInput
from .common import add_visibility_options, print_json


def register(subparsers) -> None:
    """Add the `compare` command."""
    parser = subparsers.add_parser("compare", help="boot fresh machines under every model with FILE")
    parser.add_argument("file", metavar="FILE", help="a channel file (C-<8 digits>-<anything>.sys)")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="seed of the kernel's random numbers, the same for every model (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout, nothing else")
    parser.add_argument("--plot", metavar="OUT.png",
                        help="also draw downtime, unexamined events and manual steps per model into OUT.png "
                        "(needs matplotlib: pip install 'simpleos[plot]')")
    add_visibility_options(parser)
    parser.add_argument("--latency", action="store_true",
                        help="add a column: mean cycles from an AUTH event to the sensor's verdict, and its ring")
    parser.set_defaults(func=main)


def main(args) -> int:
    """Print the table (or JSON); exit 0 -- the comparison itself succeeded."""
    from .. import compare as comparison, compareplot   # here, not at import: `simpleos --help` loads every command
    if not Path(args.file).is_file():
        raise BadInput(f"no such file: {args.file}")
    if args.plot:
        compareplot.require_matplotlib()        # before minutes of booting, not after
    outcomes = comparison.compare(args.file, seed=args.seed, rootkit=args.rootkit)
    if args.plot:
        compareplot.plot(outcomes, args.plot, compareplot.default_title(args.file))
    if args.json:
        print_json(comparison.to_json(outcomes, args.file, args.rootkit))
    else:
        rootkit = f", rootkit.sys ({args.rootkit}) hiding the beacon" if args.rootkit else ""
        print(f"content update {Path(args.file).name} under every isolation model{rootkit} "
              f"(virtual time; monolithic gets {comparison.MAX_BOOTS} boots):")
        for line in comparison.render(outcomes, latency=args.latency, visibility=args.rootkit is not None):
            print(line)
        if args.plot:
            print(f"plot: {args.plot}")
    return 0
