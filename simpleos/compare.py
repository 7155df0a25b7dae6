"""One content update, every isolation model: what each machine went through.

`simpleos compare FILE` boots a fresh machine per model with FILE delivered
as a content update and measures, in virtual time so the table is exact:
did the machine come up, how many reboots, sensor crashes and restarts, how
long protection was down and how long recovery took, how many events passed
unexamined, and how many manual steps a human still has to take. It only
runs and reports; the behaviour is the models'.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass

from .isolation import model_names
from .machine.clock import CYCLES_PER_SECOND
from .system import BootOptions, boot_with

MAX_BOOTS = 3
RESET_SECONDS = 30   # modelled cost of a reset: firmware self-test + boot manager, per reboot


@dataclass
class ModelOutcome:
    """One row of the comparison."""
    model: str
    machine_up: bool
    reboots: int
    sensor_crashes: int
    sensor_restarts: int
    downtime_ms: float | None        # protection (or the whole machine) unavailable; None = still down
    time_to_recover_ms: float | None  # first failure -> working again; None = not without a human
    unexamined_events: int
    manual_steps: int
    rejected: list[str]
    quarantined: list[str]


def compare(path: str, seed: int = 0) -> list[ModelOutcome]:
    """Boot a fresh machine under each model with `path` delivered; one outcome per model."""
    return [_run_model(name, path, seed) for name in model_names()]


def _run_model(model: str, path: str, seed: int) -> ModelOutcome:
    with tempfile.TemporaryDirectory(prefix=f"simpleos-compare-{model}-") as home:
        session = boot_with(BootOptions(machine=home, fresh=True, model=model, channels=[path],
                                        max_boots=MAX_BOOTS, seed=seed))
        try:
            totals = session.sensor_totals
            up = session.verdict == "up"
            reboots = len(session.boots) - 1
            crashed_ms = sum(b.virtual_ms for b in session.boots if b.outcome == "bugcheck")
            sensor = session.kernel.sensor if session.kernel is not None else None
            if not up:
                downtime, recover = None, None  # a bootloop: down until someone fixes it by hand
            elif reboots:
                downtime = crashed_ms + reboots * RESET_SECONDS * 1000
                recover = downtime
            elif sensor is not None:
                down_cycles, recover_cycles = sensor.outage()
                downtime = down_cycles * 1000 / CYCLES_PER_SECOND
                recover = None if recover_cycles is None else recover_cycles * 1000 / CYCLES_PER_SECOND
            else:
                downtime, recover = 0.0, 0.0
            return ModelOutcome(model=model, machine_up=up, reboots=reboots,
                                sensor_crashes=totals["crashes"], sensor_restarts=totals["restarts"],
                                downtime_ms=downtime, time_to_recover_ms=recover,
                                unexamined_events=totals["unexamined"], manual_steps=0 if up else 1,
                                rejected=list(totals["rejected"]), quarantined=list(totals["quarantined"]))
        finally:
            session.close()


def to_json(outcomes: list[ModelOutcome], path: str) -> dict:
    """The `--json` form."""
    return {"file": path, "max_boots": MAX_BOOTS, "models": [asdict(o) for o in outcomes]}


def render(outcomes: list[ModelOutcome]) -> list[str]:
    """A plain-text table, one line per model (deterministic)."""
    header = ["model", "machine up", "reboots", "crashes", "restarts", "downtime ms", "recovery ms",
              "unexamined", "manual steps"]
    rows = [header]
    for o in outcomes:
        rows.append([o.model, "yes" if o.machine_up else "NO (bootloop)", str(o.reboots), str(o.sensor_crashes),
                     str(o.sensor_restarts), _ms(o.downtime_ms, "until fixed"), _ms(o.time_to_recover_ms, "by hand"),
                     str(o.unexamined_events), str(o.manual_steps)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for o in outcomes:
        for name in o.rejected:
            lines.append(f"{o.model}: rejected {name} at load (ABI validation); the previous content stayed")
        for name in o.quarantined:
            lines.append(f"{o.model}: quarantined {name} after repeated crashes; rolled back to last known good")
        if o.machine_up and o.sensor_restarts and not o.quarantined:
            lines.append(f"{o.model}: restarted the sensor {_times(o.sensor_restarts)} after {_times(o.sensor_crashes, 'crash')}; "
                         f"nothing quarantined: the file stays and crashes it again at every boot")
        if not o.machine_up:
            lines.append(f"{o.model}: needs safe mode and `rm` of the channel file by hand (the 2024 fix)")
    return lines


def _ms(value: float | None, never: str) -> str:
    return never if value is None else f"{value:,.3f}"


def _times(count: int, noun: str = "time") -> str:
    """'1 time', '4 times', '1 crash', '4 crashes'."""
    plural = noun + ("es" if noun.endswith("sh") else "s")
    return f"{count} {noun if count == 1 else plural}"
