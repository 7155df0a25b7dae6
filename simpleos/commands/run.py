"""`simpleos run PROG`: boot, run PROG as a ring-3 process, report its fate and the kernel's.

PROG is an assembly source or a static x86-64 ELF executable (simpleos cc).
By default the console shows only what happens once PROG has started --
its own output, the kernel's lines about it -- and then its fate;
--verbose shows the whole boot log as well, --json only the JSON object.
"""
from __future__ import annotations

import sys

from .. import system
from ..kernel.traps import ran_past_end
from .common import add_boot_options, boot_options_from, print_json

EXIT_UP, EXIT_DOWN = 0, 3
MAX_CPU_LIMIT_SECONDS = 60          # of virtual time; a host runs about one such second per second


def register(subparsers) -> None:
    """Add the `run` command."""
    parser = subparsers.add_parser("run", help="boot, then run a program (assembly or a static ELF) at ring 3")
    parser.add_argument("program", metavar="PROG",
                        help="an x86-64 assembly source (.asm) or a static x86-64 ELF executable (simpleos cc)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the whole boot log, not only the program's part")
    parser.add_argument("--cpu-limit", type=_seconds, metavar="SECONDS",
                        help="virtual CPU time PROG may use before it is killed (default 0.05; "
                             f"at most {MAX_CPU_LIMIT_SECONDS})")
    add_boot_options(parser)
    parser.set_defaults(func=main)


class ProgramConsole:
    """Where console lines go: nowhere with --json; all of them with --verbose; otherwise
    only those that appear after the program has started."""

    def __init__(self, json: bool, verbose: bool) -> None:
        self.json = json
        self.showing = verbose and not json

    def echo(self, line: str) -> None:
        """One console line, if it is to be shown."""
        if self.showing:
            print(line, flush=False)

    def program_started(self, process) -> None:
        """From now on, lines are the program's business: show them."""
        self.showing = not self.json


def main(args) -> int:
    """Exit 0 if the kernel is up afterwards (whatever became of the program), else 3."""
    if args.safe_mode:
        print("simpleos: error: run starts a program on a normal boot; --safe-mode has no programs",
              file=sys.stderr)
        return 2
    console = ProgramConsole(args.json, args.verbose)
    options = boot_options_from(args, console.echo)
    options["max_boots"] = 1
    session, result = system.run_program(args.program, args.machine, fresh=args.fresh, seed=args.seed,
                                         echo=console.echo, on_program_start=console.program_started,
                                         cpu_limit=args.cpu_limit, **options)
    try:
        if args.json:
            print_json(result.to_json())
        else:
            print(fate_line(session, result, args.verbose))
        return EXIT_UP if result.kernel == "up" else EXIT_DOWN
    finally:
        session.close()


def fate_line(session, result, verbose: bool) -> str:
    """'hello exited with code 0; kernel up', 'kread was killed by #PF (page fault) at rip ...; kernel up'."""
    process = session.program
    if process is None:
        boot = session.boots[-1] if session.boots else None
        why = (f"the boot ended in a bugcheck, {boot.bugcheck.name} in {boot.bugcheck.where()}"
               if boot and boot.bugcheck else "the machine did not come up")
        hint = "" if verbose else " (--verbose shows the boot log)"
        return f"{result.program} did not start: {why}{hint}; kernel {result.kernel}"
    how = f"exited with code {result.exit_code}" if result.fate == "exited" else "was killed"
    trap = result.trap
    if trap is not None:
        how += f" by {trap.name} ({trap.description}) at rip {trap.rip:#x}"
        line = process.image.source_line(trap.rip) if hasattr(process.image, "source_line") else None
        if line is not None:
            how += f" ({line.file}:{line.line})"
        if ran_past_end(process.image, trap):
            how += ": it ran past the end of its code"
    return f"{result.program} {how}; kernel {result.kernel}"


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
