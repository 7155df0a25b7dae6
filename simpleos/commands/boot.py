"""`simpleos boot`: power on the machine, boot it, print the boot log and the verdict."""
from __future__ import annotations

from .. import system
from .common import add_machine_options, echo_for, print_json

EXIT_UP, EXIT_DOWN = 0, 3


def register(subparsers) -> None:
    """Add the `boot` command."""
    parser = subparsers.add_parser("boot", help="boot the machine and print its boot log")
    add_machine_options(parser)
    parser.set_defaults(func=main)


def main(args) -> int:
    """Boot once; exit 0 if the machine came up, 3 if it did not."""
    session = system.boot(args.machine, fresh=args.fresh, seed=args.seed, echo=echo_for(args))
    try:
        record = session.boots[-1]
        verdict = "up" if record.outcome == "up" else "bugcheck"
        if args.json:
            print_json({"model": "monolithic", "verdict": verdict,
                        "boots": [b.to_json() for b in session.boots],
                        "sensor": {"crashes": 0, "restarts": 0, "quarantined": [], "rejected": [],
                                   "detections": 0}})
        else:
            print(f"verdict: {verdict}")
        return EXIT_UP if verdict == "up" else EXIT_DOWN
    finally:
        session.close()
