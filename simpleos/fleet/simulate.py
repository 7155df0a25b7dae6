"""The Python API: simulate() one rollout, compare() many -- each returns plain data (dicts).

    from simpleos.fleet import simulate
    report = simulate("channel_files/C-00000291-bad.sys", policy="rings", machines=100_000, seed=1)
    report["crashed"], report["halted_after_minutes"], report["rings"][0]

The steps: build the fleet's cohorts from the spec and the policy's stages;
boot every machine class in SimpleOS with and without the update (emulate.py,
cached per class); roll the update out under the policy; fix what broke;
report. A grader calls the same function with a student's policy file and
hidden scenarios. This module sequences; the work is in the modules it calls.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..channel.names import is_channel_file_name
from ..errors import BadInput
from ..isolation import model_names
from .classes import BOOTLOOP, BootTask
from .cohorts import build_fleet
from .emulate import emulate
from .policies.loader import load_policy
from .recovery import recover
from .report import result
from .rollout import Rollout
from .spec import BUILDS, PINS, ROLES, FleetSpec, parse_mix, spec_from

try:
    import tomllib
except ModuleNotFoundError:          # Python 3.10
    import tomli as tomllib


@dataclass
class Plan:
    """One simulation, ready to run once its classes are booted."""
    spec: FleetSpec
    make_policy: object
    channel_name: str
    content: bytes
    fleet: object = None

    def tasks(self) -> list[BootTask]:
        """Every class of the fleet, booted without and with the update."""
        tasks = []
        for cls in self.fleet.classes():
            tasks.append(BootTask(cls, None, None, self.spec.seed, self.spec.auto_repair))
            tasks.append(BootTask(cls, self.channel_name, self.content, self.spec.seed, self.spec.auto_repair))
        return tasks

    def finish(self, boots: dict) -> dict:
        """Roll out, recover and report, given every class's boot results."""
        class_boots, effects = {}, {}
        for task in self.tasks():
            kind = "baseline" if task.content is None else "update"
            class_boots[(kind, task.machine_class)] = boots[task.key]
            if kind == "update":
                effects[task.machine_class] = boots[task.key]
            elif boots[task.key]["effect"] == BOOTLOOP or boots[task.key]["bugchecks"]:
                raise BadInput(f"machine class {task.machine_class.label} does not come up even without the update "
                               f"({boots[task.key]['verdict']}): there is nothing to roll out to")
        policy = self.make_policy()
        record = Rollout(self.fleet, effects, policy).run()
        recovery = recover(record, self.fleet.zone_machines, self.spec)
        name = policy.name if policy.name != "policy" else Path(self.make_policy.origin).stem
        return result(policy=policy, policy_name=name, channel=self.channel_name, fleet=self.fleet,
                      effects=effects, class_boots=class_boots, record=record, recovery=recovery)


def plan(channel=None, *, policy: str = "all-at-once", policy_options: dict | None = None,
         machines: int | None = None, model: str | None = None, mix: str | None = None,
         roles: str | None = None, builds: str | None = None, pin: str | None = None,
         seed: int | None = None, scenario=None, fleet: dict | FleetSpec | None = None) -> Plan:
    """Check every input and build the fleet; nothing is booted yet."""
    settings = read_scenario(scenario) if scenario is not None else {}
    channel = channel if channel is not None else settings.pop("channel", None)
    settings.pop("channel", None)
    if channel is None:
        raise BadInput("no channel file: give --channel FILE (or channel = \"...\" in the scenario)")
    name, content = read_channel(channel)
    if model is not None and mix is not None:
        raise BadInput("give --model or --mix, not both")
    base = fleet if isinstance(fleet, FleetSpec) else spec_from(dict(fleet or {}))
    overrides = dict(settings)
    for key, value, allowed, what in (("models", model or mix, model_names(), "model"), ("roles", roles, ROLES, "role"),
                                      ("builds", builds, BUILDS, "sensor build"), ("pins", pin, PINS, "pin")):
        if value is not None:
            overrides[key] = ",".join(f"{k}={v}" for k, v in parse_mix(value, allowed, what))
    if machines is not None:
        overrides["machines"] = machines
    if seed is not None:
        overrides["seed"] = seed
    spec = spec_from(overrides, base)
    make_policy = load_policy(policy, policy_options)
    stages = _checked_stages(make_policy(), spec.machines)
    prepared = Plan(spec, make_policy, name, content)
    prepared.fleet = build_fleet(spec, stages)
    return prepared


def simulate(channel=None, *, workers: int | None = None, backend: str = "local", ray_address: str | None = None,
             progress: bool | None = False, **options) -> dict:
    """One rollout of `channel` over a fleet under a policy; the report (docs/fleet.md)."""
    prepared = plan(channel, **options)
    boots = emulate(prepared.tasks(), workers=workers, backend=backend, ray_address=ray_address, progress=progress)
    return prepared.finish(boots)


def run_plans(plans: list[Plan], *, workers=None, backend="local", ray_address=None, progress=False) -> list[dict]:
    """Several prepared simulations; their classes are booted together, each once."""
    tasks = [task for prepared in plans for task in prepared.tasks()]
    boots = emulate(tasks, workers=workers, backend=backend, ray_address=ray_address, progress=progress)
    return [prepared.finish(boots) for prepared in plans]


def read_channel(channel) -> tuple[str, bytes]:
    """(file name, bytes) of the update; BadInput for a missing file or a name no sensor would load."""
    path = Path(channel)
    if not is_channel_file_name(path.name):
        raise BadInput(f"not a channel file name: {path.name!r} (expected C-<8 digits>-<anything>.sys)")
    if not path.is_file():
        raise BadInput(f"no such file: {channel}")
    try:
        return path.name, path.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read {channel}: {error.strerror or error}") from None


def read_scenario(scenario) -> dict:
    """A scenario: a dict, or a TOML file of fleet settings (and optionally channel = "FILE", relative to it)."""
    if isinstance(scenario, dict):
        return dict(scenario)
    path = Path(scenario)
    try:
        settings = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{path}: not valid TOML: {error}") from None
    if isinstance(settings.get("channel"), str) and not Path(settings["channel"]).is_absolute():
        settings["channel"] = str(path.parent / settings["channel"])
    return settings


def _checked_stages(policy, machines: int) -> list[int]:
    """The policy's stage sizes, checked: positive whole numbers adding up to the fleet."""
    try:
        stages = list(policy.stages(machines))
    except BadInput:
        raise
    except Exception as error:  # noqa: BLE001 - a student's policy
        raise BadInput(f"policy {policy.name}: stages() failed: {type(error).__name__}: {error}") from None
    if (not stages or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in stages)
            or sum(stages) != machines):
        raise BadInput(f"policy {policy.name}: stages() must return positive whole numbers adding up to "
                       f"{machines}, not {stages[:8]!r}")
    return stages
