"""The result of one simulation as the JSON object of docs/fleet.md.

It adds up the rollout record and the recovery: machines crashed, bricked,
recovered automatically, when the rollout halted, machine-hours lost, time
until 99% of the crashed machines were back, per-ring counts and a timeline
of machines down. Numbers are rounded so that the same seed gives the same
bytes. This module only counts; it must NOT simulate.
"""
from __future__ import annotations

from . import calendar


def result(*, policy, policy_name: str, channel: str, fleet, effects: dict, class_boots: dict,
           record, recovery) -> dict:
    """The report of one run."""
    spec = fleet.spec
    stages = record.stages
    crashed = sum(s.crashed for s in stages)
    bricked = sum(s.bricked for s in stages)
    sensor_crashed = sum(s.sensor_crashed for s in stages)
    fetched = sum(s.fetched for s in stages)
    down_events = _down_events(record, recovery)
    to_99 = minutes_to_recover(down_events, crashed, 0.99)
    return {
        "policy": policy_name,
        "model": spec.describe_models(),
        "channel": channel,
        "seed": spec.seed,
        "machines": spec.machines,
        "fetched": fetched,
        "crashed": crashed,
        "bricked": bricked,
        "recovered_automatically": (crashed - bricked) + sensor_crashed,
        "sensor_crashed": sensor_crashed,
        "rejected": sum(s.rejected for s in stages),
        "reverted": fetched - bricked if record.halted_at is not None else 0,
        "halted_after_minutes": record.halted_at,
        "halted_at": calendar.timestamp(record.halted_at) if record.halted_at is not None else None,
        "rollout_completed": record.completed,
        "rollout_ended_after_minutes": record.ended_at,
        "machine_hours_lost": round(recovery.machine_hours_lost, 1),
        "minutes_to_99_recovered": to_99,
        "recovered_99_at": calendar.timestamp(to_99) if to_99 is not None else None,
        "still_down_at_horizon": round(recovery.unfinished),
        "emulated_boots": sum(boot["boots"] + boot["fix_boots"] for boot in class_boots.values()),
        "machine_classes": len(effects),
        "classes": [_class_row(cls, fleet, effects[cls], class_boots) for cls in sorted(effects)],
        "rings": [s.to_json() for s in stages],
        "by_role": _by_role(fleet, stages),
        "timeline": timeline(down_events, crashed),
        "policy_parameters": policy.parameters(),
        "fleet": spec.to_json(),
    }


def _class_row(cls, fleet, effect: dict, class_boots: dict) -> dict:
    """One machine class: its size and what its real boots showed."""
    return {"model": cls.model, "build": cls.build, "role": cls.role, "machines": fleet.machines_of(cls),
            "effect": effect["effect"], "verdict": effect["verdict"], "boots": effect["boots"],
            "bugcheck": effect["bugcheck"], "sensor_crashes": effect["sensor_crashes"],
            "quarantined": effect["quarantined"], "rejected": effect["rejected"],
            "manual_fix": effect["manual_fix"], "baseline_verdict": class_boots[("baseline", cls)]["verdict"]}


def _by_role(fleet, stages) -> dict:
    """Per role: machines, and how many fetched, crashed and were bricked."""
    roles = {}
    for cohort in fleet.cohorts:
        role = cohort.machine_class.role
        roles.setdefault(role, {"machines": 0, "fetched": 0, "crashed": 0, "bricked": 0})["machines"] += cohort.count
    for stage in stages:
        for key, counts in (("fetched", stage.fetched_by_role), ("crashed", stage.crashed_by_role),
                            ("bricked", stage.bricked_by_role)):
            for role, n in counts.items():
                roles[role][key] += n
    return {role: roles[role] for role in sorted(roles)}


def _down_events(record, recovery) -> list[tuple[int, float]]:
    """(minute, change in machines down), sorted: +n when machines crash, -n when they return."""
    events = [(minute, float(n)) for minute, _, _, n in record.bricked_arrivals]
    events += [(minute, float(n)) for minute, n in record.unfixable]
    events += [(minute, float(n)) for minute, n, _ in record.reboots]
    events += [(minute, -float(n)) for minute, n in recovery.returns]
    return sorted(events, key=lambda e: (e[0], -e[1]))


def minutes_to_recover(events, crashed: int, share: float) -> int | None:
    """First minute by which `share` of the crashed machines are back (0 if none crashed; None if never)."""
    if crashed == 0:
        return 0
    returned = 0.0
    for minute, change in events:
        if change < 0:
            returned -= change
            if returned >= share * crashed - 1e-6:
                return minute
    return None


def timeline(events, crashed: int) -> list[list[int]]:
    """[minute, machines down] at fixed sample minutes: every 10 min for 3 h, hourly to 2 days, then 6-hourly."""
    end = max((minute for minute, _ in events), default=0)
    samples = list(range(0, 180, 10)) + list(range(180, 2880, 60))
    minute = 2880
    while minute <= end + 360:
        samples.append(minute)
        minute += 360
    samples = [m for m in samples if m <= max(end, 180)] + ([end] if end > 180 else [])
    points, down, index = [], 0.0, 0
    for sample in sorted(set(samples)):
        while index < len(events) and events[index][0] <= sample:
            down += events[index][1]
            index += 1
        points.append([sample, max(0, round(down))])
    return points
