"""Run the SimpleOS benchmarks and print a table (or JSON): `make bench`.

    python benchmarks/run.py            full run (about a minute on 2 cores)
    python benchmarks/run.py --quick    smoke run (under 10 s; noisier)
    python benchmarks/run.py --json     results as JSON on stdout

Every number is compared with bare unicorn measured in the same process,
interleaved, median of N repetitions; a ratio is the median of the per-round
ratios (see docs/performance.md). One module per benchmark:
bench_compute.py, bench_syscall.py, bench_boot.py, bench_sensor.py, bench_models.py,
bench_debug.py, bench_memory.py, bench_fleet.py, bench_fuzz.py (helpers in _common.py).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402  (sets up sys.path for simpleos)
import bench_boot  # noqa: E402
import bench_compute  # noqa: E402
import bench_debug  # noqa: E402
import bench_fleet  # noqa: E402
import bench_fuzz  # noqa: E402
import bench_memory  # noqa: E402
import bench_sensor  # noqa: E402
import bench_models  # noqa: E402
import bench_syscall  # noqa: E402

BENCHMARKS = {"compute": bench_compute, "syscall": bench_syscall, "boot": bench_boot, "sensor": bench_sensor,
              "models": bench_models, "debug": bench_debug, "memory": bench_memory, "fleet": bench_fleet,
              "fuzz": bench_fuzz}


def environment() -> dict:
    """What the numbers were measured on."""
    import unicorn
    return {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "unicorn": unicorn.__version__,
            "platform": platform.platform(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def _format(value: float, unit: str) -> tuple[str, str]:
    if unit == "instr/s":
        return f"{value / 1e6:,.1f}", "M instr/s"
    if unit in ("calls/s", "execs/s"):
        return f"{value / 1e3:,.1f}", f"k {unit}"
    if unit == "s":
        return f"{value * 1e3:,.1f}", "ms"
    return f"{value:,.3g}", unit


def _spread(row) -> str:
    low, _ = _format(min(row.samples), row.unit)
    high, _ = _format(max(row.samples), row.unit)
    return f"{low} - {high}"


def _verdict(ratio) -> str:
    if ratio.meets is None:
        return ""
    return "meets" if ratio.meets else "MISSES"


def print_plain(results, env) -> None:
    print(f"SimpleOS benchmarks  {env['date']}  Python {env['python']}  unicorn {env['unicorn']}  "
          f"{env['cpus']} CPUs  {env['platform']}  load {env['load_average_at_start']}")
    for result in results:
        print(f"\n== {result.title}  ({result.seconds:.1f} s)")
        for row in result.rows:
            value, unit = _format(row.median, row.unit)
            print(f"  {row.label:<58} {value:>10} {unit:<10} ({_spread(row)})")
        for ratio in result.ratios:
            aim = f"aim {ratio.aim}" if ratio.aim else ""
            note = f"  {ratio.note}" if ratio.note else ""
            print(f"  {ratio.label:<58} {ratio.value:>10.3f}x {aim:<10} {_verdict(ratio)}{note}")
        for note in result.notes:
            print(f"  note: {note}")
    print("\nratios: median of per-round ratios (each round runs every variant back to back)")


def print_rich(results, env) -> None:
    from rich.console import Console
    from rich.table import Table
    console = Console()
    if not console.is_terminal:
        console = Console(width=132)  # piped or captured: do not wrap the tables at 80 columns
    console.print(f"[bold]SimpleOS benchmarks[/]  {env['date']}  Python {env['python']}  "
                  f"unicorn {env['unicorn']}  {env['cpus']} CPUs  {env['platform']}  "
                  f"load {env['load_average_at_start']}")
    for result in results:
        table = Table(title=f"{result.title}  ({result.seconds:.1f} s)", title_justify="left")
        table.add_column("variant")
        table.add_column("median", justify="right")
        table.add_column("unit")
        table.add_column("range (min - max)", justify="right")
        for row in result.rows:
            value, unit = _format(row.median, row.unit)
            table.add_row(row.label, value, unit, _spread(row))
        console.print(table)
        ratios = Table(show_header=True, box=None, padding=(0, 1))
        ratios.add_column("ratio")
        ratios.add_column("value", justify="right")
        ratios.add_column("aim")
        ratios.add_column("")
        ratios.add_column("note", style="dim")
        for ratio in result.ratios:
            verdict = _verdict(ratio)
            style = {"meets": "green", "MISSES": "bold red"}.get(verdict, "")
            ratios.add_row(ratio.label, f"{ratio.value:.3f}x", ratio.aim or "",
                           f"[{style}]{verdict}[/]" if verdict else "", ratio.note)
        console.print(ratios)
        for note in result.notes:
            console.print(f"  [dim]{note}[/]")
        console.print()
    console.print("[dim]ratios: median of per-round ratios (each round runs every variant back to back)[/]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SimpleOS vs bare unicorn, measured in the same run.")
    parser.add_argument("--quick", action="store_true", help="smoke run: smaller workloads, 3 repetitions")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append",
                        help="run only this benchmark (repeatable)")
    args = parser.parse_args(argv)
    _common.scratch()  # private caches for this run and its subprocesses
    env = environment()
    results = []
    started = time.perf_counter()
    for name, module in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        begin = time.perf_counter()
        result = module.run(quick=args.quick)
        result.seconds = time.perf_counter() - begin
        results.append(result)
        if not args.json:
            print(f"[{name}: {result.seconds:.1f} s]", file=sys.stderr)
    total = time.perf_counter() - started
    if args.json:
        print(json.dumps({"environment": env, "quick": args.quick, "seconds": round(total, 2),
                          "benchmarks": [r.to_json() for r in results]}, indent=2))
        return 0
    try:
        print_rich(results, env)
    except ImportError:
        print_plain(results, env)
    print(f"total {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
