"""One content update, every isolation model: what each machine went through.

`simpleos compare FILE` boots a fresh machine per model with FILE delivered
as a content update and measures, in virtual time so the table is exact:
did the machine come up, how many reboots, sensor crashes and restarts, how
long protection was down and how long recovery took, how many events passed
unexamined, and how many manual steps a human still has to take. Two columns
more on request: `--latency` (the mean cycles from an AUTH event's
submission to the sensor's verdict, and the ring it ran at) and `--rootkit`
(every machine also runs rootkit.sys: which sensor found the hidden beacon).
It only runs and reports; the behaviour is the models'.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass

from .isolation import model_names, registry
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
    sensor_ring: int = 0              # where the model's sensor runs
    event_cycles: int | None = None   # mean cycles from an AUTH event's submission to the sensor's verdict
    examined_events: int = 0          # AUTH events the sensor answered (the mean is over these)
    deadline_misses: int = 0
    hidden_found: list[str] | None = None   # with a rootkit: the hidden processes the sensor found


def compare(path: str, seed: int = 0, rootkit: str | None = None) -> list[ModelOutcome]:
    """Boot a fresh machine under each model with `path` delivered (and `rootkit`, a rootkit.sys
    build, loaded); one outcome per model."""
    return [_run_model(name, path, seed, rootkit) for name in model_names()]


def _run_model(model: str, path: str, seed: int, rootkit: str | None = None) -> ModelOutcome:
    with tempfile.TemporaryDirectory(prefix=f"simpleos-compare-{model}-") as home:
        session = boot_with(BootOptions(machine=home, fresh=True, model=model, channels=[path],
                                        max_boots=MAX_BOOTS, seed=seed, rootkit=rootkit))
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
                                rejected=list(totals["rejected"]), quarantined=list(totals["quarantined"]),
                                sensor_ring=registry()[model].sensor_ring,
                                event_cycles=(session.latency_cycles // totals["examined"]
                                              if totals["examined"] else None),
                                examined_events=totals["examined"], deadline_misses=totals["deadline_misses"],
                                hidden_found=list(totals["hidden_found"]) if rootkit is not None else None)
        finally:
            session.close()


def to_json(outcomes: list[ModelOutcome], path: str, rootkit: str | None = None) -> dict:
    """The `--json` form."""
    return {"file": path, "max_boots": MAX_BOOTS, "rootkit": rootkit, "models": [asdict(o) for o in outcomes]}


def render(outcomes: list[ModelOutcome], latency: bool = False, visibility: bool = False) -> list[str]:
    """A plain-text table, one line per model (deterministic); `latency` and `visibility` add
    the cycles/event and visibility columns."""
    header = ["model", "machine up", "reboots", "crashes", "restarts", "downtime ms", "recovery ms",
              "unexamined", "manual steps"] + (["cycles/event"] if latency else []) + \
             (["visibility"] if visibility else [])
    rows = [header]
    for o in outcomes:
        rows.append([o.model, "yes" if o.machine_up else "NO (bootloop)", str(o.reboots), str(o.sensor_crashes),
                     str(o.sensor_restarts), _ms(o.downtime_ms, "until fixed"), _ms(o.time_to_recover_ms, "by hand"),
                     str(o.unexamined_events), str(o.manual_steps)]
                    + ([_cycles(o)] if latency else []) + ([_visibility(o)] if visibility else []))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for o in outcomes:
        for name in o.rejected:
            lines.append(f"{o.model}: rejected {name} at load ({_rejected_by(o.model)}); the previous content stayed")
        for name in o.quarantined:
            lines.append(f"{o.model}: quarantined {name} after repeated crashes; rolled back to last known good")
        if o.rejected and o.sensor_crashes and o.machine_up:
            lines.append(f"{o.model}: refused only after {_times(o.sensor_crashes, 'crash')} of the sensor; "
                         f"the file stays on the disk, so the next boot pays again")
        elif o.machine_up and o.sensor_restarts and not o.quarantined:
            lines.append(f"{o.model}: restarted the sensor {_times(o.sensor_restarts)} after {_times(o.sensor_crashes, 'crash')}; "
                         f"nothing quarantined: the file stays and crashes it again at every boot")
        if not o.machine_up:
            lines.append(f"{o.model}: needs safe mode and `rm` of the channel file by hand (the 2024 fix)")
    return lines


def _cycles(outcome: ModelOutcome) -> str:
    """'2,325 (ring 0)': the mean latency of an AUTH event, and where the sensor ran; '-' if none was answered."""
    if outcome.event_cycles is None:
        return f"- (ring {outcome.sensor_ring})"
    return f"{outcome.event_cycles:,} (ring {outcome.sensor_ring})"


def _visibility(outcome: ModelOutcome) -> str:
    """What the sensor saw of the hidden processes: 'found beacon', 'blind', or 'machine down'."""
    if outcome.hidden_found:
        return "found " + ", ".join(outcome.hidden_found)
    return "blind" if outcome.machine_up else "machine down"


def _rejected_by(model: str) -> str:
    """What refused content under `model`, for the note ('ABI validation')."""
    model_class = registry().get(model)
    return model_class.rejects_content_by if model_class is not None else "its admit check"


def _ms(value: float | None, never: str) -> str:
    return never if value is None else f"{value:,.3f}"


def _times(count: int, noun: str = "time") -> str:
    """'1 time', '4 times', '1 crash', '4 crashes'."""
    plural = noun + ("es" if noun.endswith("sh") else "s")
    return f"{count} {noun if count == 1 else plural}"
