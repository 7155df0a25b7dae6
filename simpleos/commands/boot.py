"""`simpleos boot`: power on the machine, boot it (again, if it crashes), print the log and the verdict."""
from __future__ import annotations

from .. import system
from .common import add_boot_options, boot_options_from, echo_for, print_json

EXIT_UP, EXIT_DOWN = 0, 3


def register(subparsers) -> None:
    """Add the `boot` command."""
    parser = subparsers.add_parser("boot", help="boot the machine and print its boot log")
    add_boot_options(parser)
    parser.set_defaults(func=main)


def main(args) -> int:
    """Exit 0 if the machine came up (or was left in safe mode), 3 if it did not."""
    echo = echo_for(args)
    session = system.boot(args.machine, fresh=args.fresh, seed=args.seed, echo=echo,
                          **boot_options_from(args, echo))
    try:
        if args.json:
            print_json(session.to_json())
        else:
            boots = len(session.boots)
            print(f"verdict: {session.verdict}" + (f" ({boots} boots)" if boots > 1 else ""))
        return EXIT_DOWN if session.verdict == "bootloop" else EXIT_UP
    finally:
        session.close()
