"""`simpleos run PROG`: boot, run PROG as a ring-3 process, report its fate and the kernel's."""
from __future__ import annotations

import sys

from .. import system
from .common import add_boot_options, boot_options_from, echo_for, print_json

EXIT_UP, EXIT_DOWN = 0, 3
MAX_CPU_LIMIT_SECONDS = 60          # of virtual time; a host runs about one such second per second


def register(subparsers) -> None:
    """Add the `run` command."""
    parser = subparsers.add_parser("run", help="boot, then run an assembly program at ring 3")
    parser.add_argument("program", metavar="PROG", help="an x86-64 assembly source (.asm)")
    parser.add_argument("--cpu-limit", type=_seconds, metavar="SECONDS",
                        help="virtual CPU time PROG may use before it is killed (default 0.05; "
                             f"at most {MAX_CPU_LIMIT_SECONDS})")
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
                                         echo=echo, cpu_limit=args.cpu_limit, **options)
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


def _seconds(text: str) -> float:
    """argparse type: a CPU limit in (virtual) seconds, more than 0 and at most the maximum."""
    import argparse
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= MAX_CPU_LIMIT_SECONDS:          # (also refuses nan and inf)
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_CPU_LIMIT_SECONDS} seconds")
    return value
