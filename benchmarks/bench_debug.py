"""The debugger's costs: breakpoints, running to one, single-stepping, and stepping back in time.

All variants run on the machine of `simpleos boot` (sensor, init, services) on
a RAM copy of a fresh disk, plus a ring-3 program spawned at power-on, with
kernel.CPU_TIME_LIMIT lifted. The loop is `dec rcx; jnz` (2-instruction blocks:
the worst case for counting per block).

  free            the kernel's own scheduler loop (Kernel.run_once until the loop's
                  process exits): no debugger
  one breakpoint  the same with one breakpoint set on an address nothing executes:
                  what a breakpoint costs while code runs elsewhere (aim <= 5%);
                  breakpoints are an array in the native counter, not unicorn hooks
  cont            DebugTarget.cont() to a breakpoint after the loop (aim: within 5%
                  of free); it also keeps checkpoints for time travel, under 3% of
                  the time it runs
  stepi           DebugTarget.stepi() in a loop, for scale
  reverse-stepi   DebugTarget.reverse_stepi() at 1 M, 10 M and 40 M instructions into a
                  spinning program: "cold", the first one after running forward there
                  on a fresh target (only the checkpoints `continue` kept), and "warm",
                  the ones after it (the replay that went back kept checkpoints every
                  5 M instructions); aim < 100 ms at 10 M and at 40 M
  checkpoint      what one checkpoint costs to take and to put back, and the memory
                  the checkpoints of a 40 M run hold

Reports instructions per second, the ratios against free, and latencies.
"""
from __future__ import annotations

import time

from _common import Ratio, Result, Row, interleave, median, paired_ratio, scratch, unlimited_cpu_time, user_image

LOOP = """
_start:
    mov rcx, {iterations}
loop_top:
    dec rcx
    jnz loop_top
loop_done:
    xor edi, edi
    mov eax, SYS_EXIT
    syscall
"""
SPIN = """
_start:
    xor eax, eax
spin:
    inc rax
    jmp spin
"""
_clock = time.process_time           # CPU time of this process (see _common.timed)
UNUSED_ADDRESS = 0xFFFFFFFF90000000   # no code there: a breakpoint on it is never reached
POSITIONS = (1_000_000, 10_000_000, 40_000_000)


def _target(source: str, name: str, directory):
    """A DebugTarget on a fresh machine whose power-on also spawns `source` as a ring-3 program."""
    from simpleos.debug.target import DebugTarget
    from simpleos.system import BootOptions
    image = user_image(source, name)
    return DebugTarget(BootOptions(machine=str(directory), fresh=True),
                       on_power_on=lambda kernel: kernel.spawn(image, name))


def _free_rate(iterations: int, directory, breakpoint: bool = False) -> float:
    """Instructions per second of the undebugged scheduler loop, until the loop program exits
    (with `breakpoint`: one breakpoint set where nothing executes)."""
    target = _target(LOOP.format(iterations=iterations), "loop", directory)
    if breakpoint:
        target.add_breakpoint(UNUSED_ADDRESS)
    kernel = target.kernel
    process = next(p for p in kernel.processes.values() if p.name == "loop")
    start = _clock()
    while process.alive and kernel.run_once() != "idle":
        pass
    seconds = _clock() - start
    return kernel.instructions_retired / seconds


def _cont_rate(iterations: int, directory) -> float:
    """Instructions per second of DebugTarget.cont() up to a breakpoint after the loop."""
    target = _target(LOOP.format(iterations=iterations), "loop", directory)
    target.add_breakpoint(target.lookup("loop!loop_done"), process="loop")
    start = _clock()
    event = target.cont()
    seconds = _clock() - start
    if event.reason != "breakpoint":
        raise RuntimeError(f"run to breakpoint stopped for {event}")
    return target.position / seconds


def _stepi_rate(steps: int, directory) -> float:
    """Instructions per second of DebugTarget.stepi() in a loop."""
    target = _target(SPIN, "spin", directory)
    start = _clock()
    for _ in range(steps):
        target.stepi()
    return target.position / (_clock() - start)


def _reverse_stepi(directory, position: int, warm: int) -> tuple[float, list[float]]:
    """(cold, [warm...]) seconds of reverse_stepi at `position` on a fresh target; each warm
    one runs forward to `position` first (not timed)."""
    target = _target(SPIN, "spin", directory)
    target.run_to(position)
    start = _clock()
    target.reverse_stepi()
    cold = _clock() - start
    if target.position != position - 1:
        raise RuntimeError(f"reverse-stepi landed at {target.position}, not {position - 1}")
    warms = []
    for _ in range(warm):
        target.run_to(position)
        start = _clock()
        target.reverse_stepi()
        warms.append(_clock() - start)
    return cold, warms


def _checkpoint_costs(directory, repetitions: int):
    """(take seconds, restore seconds, bytes held) for a target run to 40 M with checkpoints."""
    target = _target(SPIN, "spin", directory)
    target.run_to(POSITIONS[-1])
    target.reverse_stepi()                       # a replay: checkpoints every 5 M instructions
    store = target.checkpoints
    takes, restores = [], []
    for _ in range(repetitions):
        while target.kernel.slice is not None:   # a checkpoint is taken between two slices
            target._run_once()
        start = _clock()
        checkpoint = store.take(target)
        takes.append(_clock() - start)
        start = _clock()
        store.restore(target, checkpoint)
        restores.append(_clock() - start)
    return takes, restores, store.bytes, len(store.checkpoints)


def run(quick: bool = False) -> Result:
    """Measure; the result rows and ratios."""
    from simpleos.debug.checkpoints import EVERY, MEMORY_BUDGET, OVERHEAD
    base = scratch() / "debug"
    iterations = 2_000_000 if quick else 10_000_000
    steps = 2_000 if quick else 10_000
    repetitions = 3 if quick else 7
    result = Result("debug", "Debugger: breakpoints, continue, single step, reverse step")
    with unlimited_cpu_time():
        samples = interleave({
            "free": lambda: _free_rate(iterations, base / "free"),
            "breakpoint": lambda: _free_rate(iterations, base / "unused", breakpoint=True),
            "cont": lambda: _cont_rate(iterations, base / "bp"),
            "stepi": lambda: _stepi_rate(steps, base / "step"),
        }, 3 if quick else 15)            # more rounds here: three ratios near 1 on a shared host
        result.rows += [
            Row(f"free: Kernel.run_once loop, {2 * iterations / 1e6:g} M instructions", median(samples["free"]),
                "instr/s", samples["free"]),
            Row("free + one breakpoint set (never reached)", median(samples["breakpoint"]), "instr/s",
                samples["breakpoint"]),
            Row("debugger: cont() to a breakpoint after the loop", median(samples["cont"]), "instr/s",
                samples["cont"]),
            Row(f"debugger: stepi() x {steps}", median(samples["stepi"]), "calls/s", samples["stepi"]),
        ]
        result.ratios += [
            Ratio("free + one breakpoint / free", paired_ratio(samples["breakpoint"], samples["free"]), ">= 0.95",
                  note="what a breakpoint costs elsewhere (aim: at most 5%)"),
            Ratio("cont to breakpoint / free", paired_ratio(samples["cont"], samples["free"]), ">= 0.95",
                  note="run to a breakpoint, checkpoints included (aim: within 5%)"),
            Ratio("stepi / free", paired_ratio(samples["stepi"], samples["free"]),
                  note="single-stepping: one Python round trip per instruction"),
        ]
        warm_count = 2 if quick else 4
        for position in POSITIONS[:2] if quick else POSITIONS:
            colds, warms = [], []
            for index in range(repetitions if not quick else 2):
                cold, warm = _reverse_stepi(base / f"reverse-{position}-{index}", position, warm_count)
                colds.append(cold)
                warms += warm
            label = f"{position // 1_000_000} M"
            result.rows.append(Row(f"reverse-stepi at {label}, cold (first after running there)", median(colds),
                                   "s", colds))
            result.rows.append(Row(f"reverse-stepi at {label}, warm (after one)", median(warms), "s", warms))
            aim = "<= 0.1" if position >= 10_000_000 else None
            result.ratios.append(Ratio(f"reverse-stepi at {label}, cold: seconds, max of runs", max(colds), aim))
            result.ratios.append(Ratio(f"reverse-stepi at {label}, warm: seconds, max of runs", max(warms), aim))
        takes, restores, held, count = _checkpoint_costs(base / "checkpoints", repetitions)
        result.rows.append(Row("checkpoint: take (between two slices)", median(takes), "s", takes))
        result.rows.append(Row("checkpoint: put back", median(restores), "s", restores))
        result.notes.append(f"after reverse-stepi at 40 M: {count} checkpoints holding {held / 2**20:.1f} MiB "
                            f"(budget {MEMORY_BUDGET >> 20} MiB)")
    result.notes.append(f"cold reverse-stepi: from the checkpoints `continue` kept (under {OVERHEAD:.1%} of its CPU "
                        f"time) or from power-on; warm: from the checkpoints the first replay kept (every "
                        f"{EVERY / 1e6:g} M instructions)")
    return result
