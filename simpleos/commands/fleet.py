"""`simpleos fleet`: the 19 July rollout over a fleet of emulated machines; `fleet compare`: every policy x model.

Parses flags into simpleos.fleet.simulate()/compare() calls and prints the
report (summary and text chart, --json, --plot). Policy flags that the
chosen policy does not have are usage errors, like every flag that would do
nothing. The simulation itself is simpleos/fleet/.
"""
from __future__ import annotations

import argparse
import sys

from ..isolation import MODELS
from .common import positive_int, _usage, print_json

POLICY_FLAGS = {   # flag dest -> policy parameter
    "rings": "rings", "bake": "bake_minutes", "alarm_excess": "alarm_excess", "alarm_min": "alarm_min_machines",
    "alarm_hold": "alarm_hold_minutes", "revert_after": "revert_minutes", "first_box": "first_box",
    "canary_hosts": "canary_hosts", "waves": "waves"}


def register(subparsers) -> None:
    """Add `fleet` (and `fleet compare`)."""
    parser = subparsers.add_parser("fleet", help="replay a content rollout over a fleet of emulated machines",
                                   description="Replay a content update's rollout over a fleet. Every machine "
                                   "class is booted in SimpleOS; the fleet is simulated over those outcomes.")
    parser.add_argument("action", nargs="?", choices=["run", "compare"], default="run",
                        help="run (default): one policy; compare: every policy x model in one table")
    parser.add_argument("--channel", metavar="FILE", help="the content update (C-<8 digits>-<anything>.sys)")
    parser.add_argument("--scenario", metavar="FILE.toml", help="fleet settings (and channel) from a TOML file")
    parser.add_argument("--machines", type=positive_int, metavar="N", help="fleet size (default 10,000)")
    parser.add_argument("--policy", default="all-at-once", metavar="P",
                        help="all-at-once (default), rings, canary, or a policy FILE.toml / FILE.py")
    parser.add_argument("--policies", metavar="P,P", help="compare: the policies (default: all-at-once,rings,canary)")
    models = parser.add_mutually_exclusive_group()
    models.add_argument("--model", choices=list(MODELS), help="every machine's isolation model (default monolithic)")
    models.add_argument("--mix", metavar="M=F,...", help="a mix of models, e.g. monolithic=0.7,microkernel=0.3")
    parser.add_argument("--models", metavar="M,M", help="compare: the models (default: all of them)")
    parser.add_argument("--roles", metavar="R=F,...", help="workstation/server/kiosk shares (default 0.75,0.2,0.05)")
    parser.add_argument("--builds", metavar="B=F,...", help="sensor builds original/fixed (default original)")
    parser.add_argument("--pin", metavar="LEVEL[=F],...", help="content pinning: n, n-1, n-2 (e.g. n=0.7,n-1=0.3)")
    parser.add_argument("--bitlocker", type=float, metavar="F", help="share of machines with BitLocker (default 0.6)")
    parser.add_argument("--technicians", type=positive_int, metavar="N", help="technicians per site (default 1)")
    parser.add_argument("--auto-repair", action="store_true", help="machines roll content back after 2 failed boots")
    group = parser.add_argument_group("policy parameters (each only for the policies that have it)")
    group.add_argument("--rings", type=_fractions, metavar="A,B,C", help="rings: ring sizes as shares (1,9,90)")
    group.add_argument("--bake", type=_non_negative, metavar="MIN", help="rings/canary: bake minutes per stage (60)")
    group.add_argument("--alarm-excess", type=float, metavar="F",
                       help="rings/canary: missing check-ins above baseline, as a share of the stage (0.005)")
    group.add_argument("--alarm-min", type=_non_negative, metavar="N", help="rings/canary: ...and at least N machines (3)")
    group.add_argument("--alarm-hold", type=_non_negative, metavar="MIN", help="rings/canary: for MIN minutes (10)")
    group.add_argument("--revert-after", type=_non_negative, metavar="MIN", help="all-at-once: revert after MIN (78)")
    group.add_argument("--first-box", type=_non_negative, metavar="N", help="canary: hosts in the first box (1)")
    group.add_argument("--canary-hosts", type=_non_negative, metavar="N", help="canary: hosts in the canary group (100)")
    group.add_argument("--waves", type=positive_int, metavar="N", help="canary: waves after the canary, doubling (4)")
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="seed of the timing draws (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout, nothing else")
    parser.add_argument("--plot", metavar="OUT.png", help="draw machines down over time and the blast radius")
    parser.add_argument("--workers", type=positive_int, metavar="K", help="processes booting classes (default: cores)")
    parser.add_argument("--backend", choices=["local", "ray"], default="local",
                        help="boot classes in a local process pool (default) or as Ray tasks")
    parser.add_argument("--ray-address", metavar="ADDR", help="ray: the cluster to join (default: start a local one)")
    parser.set_defaults(func=main)


def main(args) -> int:
    """Run the simulation (or the comparison) and print it."""
    from ..fleet.plot import require_matplotlib
    if args.plot:
        require_matplotlib()
    compare = args.action == "compare"
    wrong = [flag for flag, given in (("--policies", args.policies), ("--models", args.models)) if given and not compare]
    wrong += [flag for flag, given in (("--policy", args.policy != "all-at-once"),) if given and compare]
    if wrong:
        raise SystemExit(_usage(f"{wrong[0]} is for {'`fleet`' if compare else '`fleet compare`'} only"))
    if args.ray_address and args.backend != "ray":
        raise SystemExit(_usage("--ray-address needs --backend ray"))
    options = _fleet_options(args)
    policy_options = {POLICY_FLAGS[dest]: value for dest, value in vars(args).items()
                      if dest in POLICY_FLAGS and value is not None}
    run = {"workers": args.workers, "backend": args.backend, "ray_address": args.ray_address, "progress": None}
    if compare:
        return _compare(args, options, policy_options, run)
    _check_policy_flags([args.policy], policy_options)
    from ..fleet import simulate
    from ..fleet import text
    report = simulate(args.channel, policy=args.policy, policy_options=policy_options,
                      model=args.model, mix=args.mix, **options, **run)
    if args.json:
        print_json(report)
        return 0
    for line in text.summary(report):
        print(line)
    if args.plot:
        from ..fleet.plot import plot
        print(f"wrote {plot([report], args.plot, _title(report))}")
    else:
        print()
        for line in text.chart(report):
            print(line)
    return 0


def _compare(args, options: dict, policy_options: dict, run: dict) -> int:
    """fleet compare: the table (or JSON), and one picture with --plot."""
    from ..fleet import text
    from ..fleet.compare import DEFAULT_POLICIES, compare
    if args.model or args.mix:
        raise SystemExit(_usage("fleet compare runs every model: use --models M,M instead of --model/--mix"))
    policies = _names(args.policies) or list(DEFAULT_POLICIES)
    _check_policy_flags(policies, policy_options)
    comparison = compare(args.channel, policies=policies, models=_names(args.models), policy_options=policy_options,
                         **options, **run)
    if args.json:
        print_json(comparison)
        return 0
    print(f"{comparison['channel']} over {comparison['machines']:,} machines, seed {comparison['seed']}: "
          f"every policy x model")
    for line in text.compare_table(comparison):
        print(line)
    if args.plot:
        from ..fleet.plot import plot
        print(f"wrote {plot(comparison['runs'], args.plot, _title(comparison['runs'][0], compare=True))}")
    return 0


def _fleet_options(args) -> dict:
    """The fleet settings given as flags."""
    fleet = {}
    if args.bitlocker is not None:
        fleet["bitlocker"] = args.bitlocker
    if args.technicians is not None:
        fleet["technicians"] = args.technicians
    if args.auto_repair:
        fleet["auto_repair"] = True
    return {"machines": args.machines, "roles": args.roles, "builds": args.builds, "pin": args.pin,
            "seed": args.seed, "scenario": args.scenario, "fleet": fleet}


def _check_policy_flags(policies: list[str], policy_options: dict) -> None:
    """A policy flag that none of the built-in policies in use has would do nothing: usage error."""
    from ..fleet.policies.builtin import BUILTIN_POLICIES
    builtins = [BUILTIN_POLICIES[p] for p in policies if p in BUILTIN_POLICIES]
    if len(builtins) < len(policies):
        return                      # a policy file: its own parameters are checked when it is loaded
    for parameter in policy_options:
        if not any(parameter in cls.__dataclass_fields__ for cls in builtins):
            flag = "--" + next(d for d, p in POLICY_FLAGS.items() if p == parameter).replace("_", "-")
            raise SystemExit(_usage(f"{flag} does nothing for {', '.join(policies)}"))


def _title(report: dict, compare: bool = False) -> str:
    """The picture's title."""
    what = "every policy x model" if compare else f"{report['policy']}, {report['model']}"
    return f"{report['channel']} over {report['machines']:,} machines: {what} (seed {report['seed']})"


def _names(text: str | None) -> list[str] | None:
    """"a,b" -> ["a", "b"]; None stays None."""
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


def _fractions(text: str) -> tuple:
    """argparse type: '1,9,90' -> (1.0, 9.0, 90.0), all positive."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or not all(v > 0 for v in values):
        raise argparse.ArgumentTypeError("ring sizes must be positive")
    return values


def _non_negative(text: str) -> int:
    """argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value
