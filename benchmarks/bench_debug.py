"""The debugger's costs: running to a breakpoint, single-stepping, and stepping back in time.

All variants run on a DebugTarget (simpleos/debug/target.py): the machine of
`simpleos boot` (sensor, init, services) on a RAM copy of a fresh disk, plus
a ring-3 compute loop spawned at power-on. kernel.CPU_TIME_LIMIT is lifted.

  free          the same machine run by the kernel's own scheduler loop
                (Kernel.run_once until the loop's process exits): no debugger
  breakpoint    DebugTarget.cont() with one breakpoint after the loop: the
                debugger's continue, which must stay at full speed (a
                breakpoint is a unicorn hook on one address, not a
                per-instruction Python hook)
  stepi         DebugTarget.stepi() in a loop: one Python round trip per
                instruction, the price of single-stepping (for scale)
  reverse-stepi DebugTarget.reverse_stepi() at 1 M and 10 M instructions into
                a run: time travel by re-execution, so its latency grows with
                the position (aim: under 100 ms)

  unused hook   (what-if) free, plus one breakpoint hook on an address that
                never runs: what unicorn charges for a second code hook, since
                its per-instruction dispatcher (already called for the
                instruction counter) checks every code hook's range

Reports instructions per second (free, breakpoint, stepi), the ratios
breakpoint / free and breakpoint / unused hook, and reverse-stepi latency
with the cost of its parts: power-on, and running forward to the position.
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


def _target(source: str, name: str, directory):
    """A DebugTarget on a fresh machine whose power-on also spawns `source` as a ring-3 program."""
    from simpleos.debug.target import DebugTarget
    from simpleos.system import BootOptions
    image = user_image(source, name)
    return DebugTarget(BootOptions(machine=str(directory), fresh=True),
                       on_power_on=lambda kernel: kernel.spawn(image, name))


UNUSED_ADDRESS = 0xFFFFFFFF90000000   # no code there: a hook on it is never called


def _free_rate(iterations: int, directory, unused_hook: bool = False) -> float:
    """Instructions per second of the undebugged scheduler loop, until the loop program exits
    (with `unused_hook`: plus one breakpoint hook on an address nothing executes)."""
    target = _target(LOOP.format(iterations=iterations), "loop", directory)
    if unused_hook:
        target.add_breakpoint(UNUSED_ADDRESS)
    kernel = target.kernel
    process = next(p for p in kernel.processes.values() if p.name == "loop")
    start = time.perf_counter()
    while process.alive and kernel.run_once() != "idle":
        pass
    seconds = time.perf_counter() - start
    return kernel.instructions_retired / seconds


def _breakpoint_rate(iterations: int, directory) -> float:
    """Instructions per second of DebugTarget.cont() up to a breakpoint after the loop."""
    target = _target(LOOP.format(iterations=iterations), "loop", directory)
    target.add_breakpoint(target.lookup("loop!loop_done"), process="loop")  # init runs 0x40000a too
    start = time.perf_counter()
    event = target.cont()
    seconds = time.perf_counter() - start
    if event.reason != "breakpoint":
        raise RuntimeError(f"run to breakpoint stopped for {event}")
    return target.position / seconds


def _stepi_rate(steps: int, directory) -> float:
    """Instructions per second of DebugTarget.stepi() in a loop."""
    target = _target(SPIN, "spin", directory)
    start = time.perf_counter()
    for _ in range(steps):
        target.stepi()
    return target.position / (time.perf_counter() - start)


def _reverse_latency(target, position: int) -> float:
    """Seconds for one reverse_stepi from `position` (the target is moved there first)."""
    if target.position != position:
        if target.position > position:
            target.replay_to(position)
        else:
            target.run_to(position)
    start = time.perf_counter()
    target.reverse_stepi()
    seconds = time.perf_counter() - start
    target.run_to(position)
    return seconds


def run(quick: bool = False) -> Result:
    """Measure; the result rows and ratios."""
    base = scratch() / "debug"
    iterations = 2_000_000 if quick else 10_000_000
    steps = 2_000 if quick else 10_000
    repetitions = 3 if quick else 5
    result = Result("debug", "Debugger: run to breakpoint, single step, reverse step")
    with unlimited_cpu_time():
        samples = interleave({
            "free": lambda: _free_rate(iterations, base / "free"),
            "unused hook": lambda: _free_rate(iterations, base / "unused", unused_hook=True),
            "breakpoint": lambda: _breakpoint_rate(iterations, base / "bp"),
            "stepi": lambda: _stepi_rate(steps, base / "step"),
        }, repetitions)
        result.rows += [
            Row(f"free: Kernel.run_once loop, {2 * iterations / 1e6:g} M instructions", median(samples["free"]),
                "instr/s", samples["free"]),
            Row("what-if: free + one hook on an address never executed", median(samples["unused hook"]),
                "instr/s", samples["unused hook"]),
            Row("debugger: cont() to a breakpoint (one-address hook)", median(samples["breakpoint"]), "instr/s",
                samples["breakpoint"]),
            Row(f"debugger: stepi() x {steps}", median(samples["stepi"]), "calls/s", samples["stepi"]),
        ]
        result.ratios += [
            Ratio("cont to breakpoint / free", paired_ratio(samples["breakpoint"], samples["free"]),
                  note="no single-stepping; see the next line for where the rest goes"),
            Ratio("free + unused hook / free", paired_ratio(samples["unused hook"], samples["free"]),
                  note="unicorn walks every code hook's range before every instruction"),
            Ratio("cont to breakpoint / free + unused hook", paired_ratio(samples["breakpoint"], samples["unused hook"]),
                  note="the debugger's own cost"),
            Ratio("stepi / free", paired_ratio(samples["stepi"], samples["free"]),
                  note="single-stepping: one Python round trip per instruction"),
        ]
        target = _target(SPIN, "spin", base / "reverse")
        power_on = []
        for _ in range(repetitions):
            start = time.perf_counter()
            target._power_on()
            power_on.append(time.perf_counter() - start)
        target.replay_to(0)
        result.rows.append(Row("power-on (the fixed part of every replay)", median(power_on), "s", power_on))
        for position in (1_000_000, 10_000_000):
            forward = []
            for _ in range(repetitions):
                target.replay_to(0)
                start = time.perf_counter()
                target.run_to(position)
                forward.append(time.perf_counter() - start)
            latency = [_reverse_latency(target, position) for _ in range(repetitions)]
            label = f"{position // 1_000_000} M"
            result.rows.append(Row(f"run forward from 0 to {label} (for comparison)", median(forward), "s", forward))
            result.rows.append(Row(f"reverse-stepi at {label} instructions", median(latency), "s", latency))
            result.ratios.append(Ratio(f"reverse-stepi at {label}: seconds (aim <= 0.1)", median(latency),
                                       "<= 0.1", note=f"{target.replays} replays so far"))
    result.notes.append("reverse-stepi replays from power-on: its latency is power-on + running forward "
                        "to the position (no checkpoints)")
    return result
