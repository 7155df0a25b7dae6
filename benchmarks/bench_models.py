"""Isolation models: what a bootloop costs on the host, and what an event costs per model.

Three measurements, each for the four models of simpleos/isolation/:

  bootloop   `simpleos boot --max-boots 5` on the CF291 bad file under the monolithic
             model (five bugchecks, five crash dumps, five resets): CPU time
             in-process, wall time as a CLI subprocess (with warm bytecode, as
             bench_boot's). Aim: well under a second.
  virtual    virtual cycles per pipe_create event with good content (deterministic):
             the textbook price of isolation -- direct calls at ring 0, system calls
             and IPC messages at ring 3.
  host       events per second on the host, and each model's ratio to monolithic.

The per-event runs reuse bench_sensor's pipe-creating program and its
"N pipes minus 0 pipes" difference.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import (Ratio, Result, Row, child_times, interleave, median, paired_ratio, scratch, timed,
                     unlimited_cpu_time, warm_bytecode_env)
from bench_sensor import events_per_second_sampler

MODEL_NAMES = ["monolithic", "hybrid", "microkernel", "verified"]
BAD = Path(__file__).resolve().parents[1] / "channel_files" / "C-00000291-bad.sys"


def _bootloop_in_process() -> float:
    """Seconds for five crashed boots, in this process."""
    from simpleos.system import boot

    def five_boots():
        session = boot(scratch() / "bootloop", fresh=True, channels=[str(BAD)], max_boots=5)
        try:
            if session.verdict != "bootloop" or len(session.boots) != 5:
                raise RuntimeError(f"expected a 5-boot bootloop, got {session.verdict}")
        finally:
            session.close()
    return timed(five_boots)


def _bootloop_cli() -> float:
    """Wall seconds for `python -m simpleos boot --max-boots 5` on the bad file, as a subprocess
    (timed() is this process's CPU time, which a subprocess does not spend)."""
    command = [sys.executable, "-m", "simpleos", "boot", "--machine", str(scratch() / "bootloop-cli"), "--fresh",
               "--channel", str(BAD), "--max-boots", "5", "--json"]

    def run():
        finished = subprocess.run(command, capture_output=True, env=warm_bytecode_env())
        if finished.returncode != 3:
            raise RuntimeError(f"expected exit 3 (bootloop), got {finished.returncode}: {finished.stderr[-300:]}")
    return child_times(run)[1]


def run(quick: bool = False) -> Result:
    """Bootloop wall time and per-event cost under every model."""
    repetitions = 3 if quick else 5
    count = 200 if quick else 1_000
    virtual: dict[str, list[float]] = {name: [] for name in MODEL_NAMES}

    with unlimited_cpu_time():
        _bootloop_in_process()  # warm caches, untimed
        _bootloop_cli()         # and the CLI's bytecode
        events = interleave({model: events_per_second_sampler(model, count, virtual[model])
                             for model in MODEL_NAMES}, repetitions)
        loops = interleave({"in-process": _bootloop_in_process, "cli": _bootloop_cli}, repetitions)
    cycles = {}
    for model, values in virtual.items():
        if len(set(values)) != 1:
            raise RuntimeError(f"virtual cycles per event are not deterministic for {model}: {values}")
        cycles[model] = values[0]
    result = Result("models", "Isolation models: bootloop time, and the cost of one event per model")
    result.rows = [Row(f"--max-boots 5 on the bad file ({name})", median(values), "s", values)
                   for name, values in loops.items()]
    result.rows += [Row(f"pipe_create events/s, {model}", median(values), "calls/s", values)
                    for model, values in events.items()]
    result.ratios = [Ratio("bootloop of 5 boots, CLI wall seconds", median(loops["cli"]), aim="<= 1.0")]
    result.ratios += [Ratio(f"host events/s: {model} / monolithic", paired_ratio(events[model], events["monolithic"]))
                      for model in MODEL_NAMES[1:]]
    result.ratios += [Ratio(f"virtual cycles/event: {model} / monolithic", cycles[model] / cycles["monolithic"],
                            note="deterministic") for model in MODEL_NAMES[1:]]
    result.notes.append("virtual cycles per event (pipe_create + close, loop included): " +
                        ", ".join(f"{model} {cycles[model]:,.1f}" for model in MODEL_NAMES))
    result.notes.append(f"{count:,} pipes per run minus a 0-pipe run, median of {repetitions} interleaved rounds")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
