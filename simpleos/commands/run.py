"""`simpleos run PROG`: boot, run PROG as a ring-3 process, report its fate and the kernel's."""
from __future__ import annotations

import sys

from .. import system
from .common import add_boot_options, boot_options_from, echo_for, print_json

EXIT_UP, EXIT_DOWN = 0, 3


def register(subparsers) -> None:
    """Add the `run` command."""
    parser = subparsers.add_parser("run", help="boot, then run an assembly program at ring 3")
    parser.add_argument("program", metavar="PROG", help="an x86-64 assembly source (.asm)")
    add_boot_options(parser)
    parser.set_defaults(func=main)


def main(args) -> int:
    """Exit 0 if the kernel is up afterwards (whatever became of the program), else 3."""
    if args.safe_mode:
        print("simpleos: error: run starts a program on a normal boot; --safe-mode has no programs",
              file=sys.stderr)
        return 2
    echo = echo_for(args)
    options = boot_options_from(args, echo)
    options["max_boots"] = 1
    session, result = system.run_program(args.program, args.machine, fresh=args.fresh, seed=args.seed,
                                         echo=echo, **options)
    try:
        if args.json:
            print_json(result.to_json())
        else:
            how = f"exited with code {result.exit_code}" if result.fate == "exited" else "was killed"
            if result.trap is not None:
                how += f" by {result.trap.name} ({result.trap.description}) at rip {result.trap.rip:#x}"
            print(f"{result.program} {how}; kernel {result.kernel}")
        return EXIT_UP if result.kernel == "up" else EXIT_DOWN
    finally:
        session.close()
