"""Options shared by the commands that boot a machine, and JSON printing.

Keeps every command spelling the flags of docs/cli.md the same way.
"""
from __future__ import annotations

import argparse
import json
import sys

from ..isolation import model_names
from ..kernel.rootkit import DEFAULT_BUILD as ROOTKIT_DEFAULT, rootkit_builds


def add_machine_argument(parser) -> None:
    """--machine DIR (an empty DIR is a usage error, not the default machine)."""
    parser.add_argument("--machine", metavar="DIR", type=_directory_name,
                        help="the machine's home (disk, crash dumps); "
                        "default: $SIMPLEOS_MACHINE or ~/.local/state/simpleos/machine")


def add_machine_options(parser) -> None:
    """--machine, --fresh, --seed, --json."""
    add_machine_argument(parser)
    parser.add_argument("--fresh", action="store_true", help="reinstall the machine's disk from the shipped defaults")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the kernel's random numbers")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout, nothing else")


def add_boot_options(parser) -> None:
    """The options that say how the machine boots (boot, run, debug)."""
    add_machine_options(parser)
    parser.add_argument("--model", choices=model_names(), default="monolithic",
                        help="isolation model: where the sensor driver runs (default: monolithic)")
    parser.add_argument("--channel", action="append", default=[], metavar="FILE",
                        help="deliver FILE as a content update before booting (repeatable; same as push)")
    parser.add_argument("--sensor-build", choices=["original", "fixed"], default="original",
                        help="sensor as shipped in July 2024, or with the runtime bounds check added afterwards")
    parser.add_argument("--safe-mode", action="store_true",
                        help="boot without third-party drivers into the recovery console")
    parser.add_argument("--exec", dest="exec_commands", metavar='"CMD; CMD"',
                        help="recovery console commands to run (ls, cat PATH, rm PATH, reboot)")
    parser.add_argument("--max-boots", type=positive_int, default=3, metavar="N",
                        help="give up after N boots that did not come up (default 3)")
    parser.add_argument("--auto-repair", action="store_true",
                        help="after 2 failed boots, boot to recovery and roll back the newest content update")
    parser.add_argument("--fail-closed", action="store_true",
                        help="while the sensor is down, deny events instead of letting them pass (fail-open)")
    add_visibility_options(parser)
    parser.add_argument("--deadline-mode", choices=["kill", "fail-closed"], default="kill",
                        help="an AUTH event the sensor does not answer in time: kill the sensor (default), "
                        "or deny the event and let the sensor live (es_set_deadline_miss_mode)")
    parser.add_argument("--sensor-delay", type=non_negative_ms, default=0.0, metavar="MS",
                        help="make the sensor slow: it waits MS milliseconds (virtual) before each verdict")


def add_visibility_options(parser) -> None:
    """--rootkit [BUILD] (boot options, and compare)."""
    parser.add_argument("--rootkit", nargs="?", const=ROOTKIT_DEFAULT, choices=rootkit_builds(), metavar="BUILD",
                        help=f"also load rootkit.sys, which hides the beacon from the kernel's process list; "
                        f"the sensor runs its cross-view scan (builds: {', '.join(rootkit_builds())}; "
                        f"default {ROOTKIT_DEFAULT})")


def boot_options_from(args, echo) -> dict:
    """Keyword arguments for system.boot from parsed boot options.
    A flag that would silently do nothing is a usage error (exit 2)."""
    if args.exec_commands is not None and not args.safe_mode:
        raise SystemExit(_usage("--exec runs recovery console commands: it needs --safe-mode"))
    return {"model": args.model, "channels": args.channel, "sensor_build": args.sensor_build,
            "safe_mode": args.safe_mode, "exec_commands": args.exec_commands, "max_boots": args.max_boots,
            "auto_repair": args.auto_repair, "fail_closed": args.fail_closed, "rootkit": args.rootkit,
            "deadline_mode": args.deadline_mode, "sensor_delay_ms": args.sensor_delay,
            "interactive": args.safe_mode and args.exec_commands is None and not args.json and sys.stdin.isatty()}


def _usage(message: str) -> int:
    """Print a one-line usage error; the exit code for it (2)."""
    print(f"simpleos: error: {message}", file=sys.stderr)
    return 2


def _directory_name(text: str) -> str:
    """argparse type: a non-empty directory name."""
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a directory, not an empty name")
    return text


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative_ms(text: str) -> float:
    """argparse type: milliseconds, a number >= 0 (at most 60,000: a minute)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError("must be between 0 and 60000 milliseconds")
    return value


def echo_for(args):
    """Where console lines go while the machine runs: stdout, or nowhere with --json."""
    if args.json:
        return None
    return lambda line: print(line, flush=False)


def print_json(obj) -> None:
    """One JSON object on stdout."""
    json.dump(obj, sys.stdout, sort_keys=False)
    sys.stdout.write("\n")
