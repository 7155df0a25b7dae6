"""What a fleet is made of: the FleetSpec, and the `name=fraction,...` mixes that describe it.

A spec is plain data: how many machines; which isolation models, sensor
builds, roles and content pinning levels they have, in what shares; how
many have BitLocker; how they check in; how many technicians each site has
and how long a fix by hand takes. Defaults that are facts of 2024 say so;
the rest are teaching assumptions, documented in docs/fleet.md. This module
only parses and checks; it must NOT boot or simulate anything.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from ..errors import BadInput
from ..isolation import model_names

BUILDS = ("original", "fixed")
ROLES = ("workstation", "server", "kiosk")
PINS = ("n", "n-1", "n-2")
Mix = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class FleetSpec:
    """One fleet: its machines and the parameters of their day."""
    machines: int = 10_000
    models: Mix = (("monolithic", 1.0),)
    builds: Mix = (("original", 1.0),)             # July 2024: no runtime bounds check anywhere
    roles: Mix = (("workstation", 0.75), ("server", 0.20), ("kiosk", 0.05))
    pins: Mix = (("n", 1.0),)                      # n-1 / n-2: content lands pin_lag_minutes later per step
    bitlocker: float = 0.6                         # share of machines with an encrypted system disk
    auto_repair: bool = False                      # boot manager rolls back after 2 failed boots
    seed: int = 0
    # check-ins and the alarm's baseline
    checkin_minutes: int = 5                       # a healthy sensor reports (and fetches) this often
    missing_after_minutes: int = 10                # silent this long = a missing check-in
    baseline_silent: float = 0.003                 # healthy machines silent at any moment (reboots, network)
    # who is online when
    office_hours: tuple[int, int] = (7, 19)        # local hours a workstation is normally on (weekdays)
    office_on: float = 0.9                         # workstations on during office hours
    left_on: float = 0.3                           # workstations left on outside them
    wake_spread_minutes: int = 120                 # workstations power on over this long after opening
    pin_lag_minutes: int = 1440                    # one content release cycle per pinning step
    # fixing by hand
    site_machines: int = 250                       # machines per site
    technicians: int = 1                           # per site
    fix_minutes: int = 15                          # safe mode + rm, per machine
    bitlocker_minutes: int = 30                    # more per machine: finding the 48-digit recovery key
    shift_hours: tuple[int, int] = (8, 20)         # local hours technicians work, every day of the week

    def describe_models(self) -> str:
        """The model column: one name, or the mix as given."""
        return self.models[0][0] if len(self.models) == 1 else format_mix(self.models)

    def to_json(self) -> dict:
        """The spec as JSON-ready data (mixes as objects)."""
        data = asdict(self)
        for key in ("models", "builds", "roles", "pins"):
            data[key] = dict(getattr(self, key))
        data["office_hours"] = list(self.office_hours)
        data["shift_hours"] = list(self.shift_hours)
        return data


def parse_mix(text: str, allowed, what: str) -> Mix:
    """'monolithic=0.7,microkernel=0.3' (or one bare name = all of it) -> normalised shares."""
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    if not parts:
        raise BadInput(f"empty {what} mix")
    shares: dict[str, float] = {}
    for part in parts:
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in allowed:
            raise BadInput(f"unknown {what} {name!r} (choose from {', '.join(allowed)})")
        try:
            share = float(value) if value else 1.0
        except ValueError:
            raise BadInput(f"{what} {name}: not a number: {value!r}") from None
        if not share >= 0.0 or share == float("inf"):
            raise BadInput(f"{what} {name}: share must be a number >= 0, not {value!r}")
        shares[name] = shares.get(name, 0.0) + share
    return normalise(shares, what)


def normalise(shares: dict[str, float], what: str) -> Mix:
    """Shares scaled to add up to 1, in the given order; BadInput if they add up to 0."""
    total = sum(shares.values())
    if total <= 0:
        raise BadInput(f"{what} mix adds up to 0")
    return tuple((name, share / total) for name, share in shares.items() if share > 0)


def format_mix(mix: Mix) -> str:
    """The inverse of parse_mix, with shares rounded for reading."""
    return ",".join(f"{name}={share:g}" for name, share in mix)


def spec_from(overrides: dict, base: FleetSpec | None = None) -> FleetSpec:
    """A FleetSpec from a dict of overrides (a scenario TOML or the Python API); BadInput on nonsense."""
    base = base or FleetSpec()
    known = {f.name for f in fields(FleetSpec)}
    changes, unknown = {}, []
    mixes = {"models": (model_names(), "model"), "builds": (BUILDS, "sensor build"),
             "roles": (ROLES, "role"), "pins": (PINS, "pin")}
    for key, value in overrides.items():
        key = key.replace("-", "_")
        if key not in known:
            unknown.append(key)
            continue
        if key in mixes:
            allowed, what = mixes[key]
            if isinstance(value, dict):
                value = ",".join(f"{k}={v}" for k, v in value.items())
            changes[key] = parse_mix(value, allowed, what)
        elif key in ("office_hours", "shift_hours"):
            changes[key] = _hours(key, value)
        else:
            changes[key] = _scalar(key, value, type(getattr(base, key)))
    if unknown:
        raise BadInput(f"unknown fleet setting(s): {', '.join(sorted(unknown))}")
    return check(replace(base, **changes))


def _scalar(key: str, value, kind):
    """One int/float/bool setting, checked for type."""
    if kind is bool:
        if not isinstance(value, bool):
            raise BadInput(f"{key}: expected true or false, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"{key}: expected a number, not {value!r}")
    if kind is int:
        if value != int(value):
            raise BadInput(f"{key}: expected a whole number, not {value!r}")
        return int(value)
    return float(value)


def _hours(key: str, value) -> tuple[int, int]:
    """[start, end] local hours, 0 <= start < end <= 24."""
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise BadInput(f"{key}: expected [start hour, end hour], not {value!r}")
    start, end = value
    if not 0 <= start < end <= 24:
        raise BadInput(f"{key}: need 0 <= start < end <= 24, not {value!r}")
    return (start, end)


def check(spec: FleetSpec) -> FleetSpec:
    """BadInput for a spec the simulator cannot run."""
    if not 1 <= spec.machines <= 100_000_000:
        raise BadInput(f"machines must be between 1 and 100,000,000, not {spec.machines}")
    for name in ("bitlocker", "baseline_silent", "office_on", "left_on"):
        if not 0.0 <= getattr(spec, name) <= 1.0:
            raise BadInput(f"{name} must be between 0 and 1, not {getattr(spec, name)}")
    for name in ("checkin_minutes", "missing_after_minutes", "wake_spread_minutes", "site_machines",
                 "technicians", "fix_minutes"):
        if getattr(spec, name) < 1:
            raise BadInput(f"{name} must be at least 1, not {getattr(spec, name)}")
    for name in ("bitlocker_minutes", "pin_lag_minutes"):
        if getattr(spec, name) < 0:
            raise BadInput(f"{name} must be at least 0, not {getattr(spec, name)}")
    return spec
