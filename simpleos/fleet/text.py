"""The fleet report for people: a short summary, a small text chart, and the comparison table.

Everything here is derived from the report dicts (report.py), so what a
person reads and what --json prints always agree. Plain text, deterministic,
no colour. This module only formats.
"""
from __future__ import annotations

CHART_ROWS = 8
CHART_COLUMNS = 60
_BLOCKS = " ▁▂▃▄▅▆▇█"
_AXIS_MARKS = [(0, "0"), (60, "1h"), (180, "3h"), (720, "12h"), (1440, "1d"), (2880, "2d"), (5760, "4d"),
               (10080, "7d"), (20160, "14d"), (43200, "30d"), (129600, "90d")]


def summary(report: dict) -> list[str]:
    """A short summary of one simulation."""
    machines = report["machines"]
    lines = [f"{report['channel']}: {report['policy']}, {machines:,} machines ({report['model']}), seed {report['seed']}",
             f"machine classes booted in SimpleOS: {report['machine_classes']} ({report['emulated_boots']} boots)"]
    width = max(len(_label(c)) for c in report["classes"])
    for c in report["classes"]:
        detail = f"{c['boots']} boot{'s' if c['boots'] != 1 else ''}"
        if c["bugcheck"]:
            detail += f", {c['bugcheck']}"
        if c["quarantined"]:
            detail += ", quarantined"
        lines.append(f"  {_label(c):<{width}}  {c['machines']:>10,} machines  with the update: {c['effect']} ({detail})")
    halted = report["halted_after_minutes"]
    rows = [("fetched the update", _count(report["fetched"], machines)),
            ("crashed (blue screen)", _count(report["crashed"], machines)),
            ("bricked (fixed by hand)", _count(report["bricked"], machines)),
            ("recovered by themselves", _count(report["recovered_automatically"], machines)),
            ("rollout halted after", f"{halted} min ({report['halted_at']})" if halted is not None else
             ("never: every stage went out" if report["rollout_completed"] else "never")),
            ("machine-hours lost", f"{report['machine_hours_lost']:,.0f}"),
            ("99% of crashed back after", _duration(report))]
    width = max(len(name) for name, _ in rows)
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    if len(report["rings"]) > 1:
        lines.append("stages: " + "; ".join(
            f"{r['ring']}: {r['size']:,} ({'out at ' + str(r['released_after_minutes']) + ' min' if r['released_after_minutes'] is not None else 'not released'}"
            f", {r['crashed']:,} crashed{', HALTED' if r['halted'] else ''})" for r in report["rings"]))
    return lines


def chart(report: dict) -> list[str]:
    """Machines down over time as a few rows of block characters (the timeline's sample minutes)."""
    points = report["timeline"]
    if len(points) > CHART_COLUMNS:
        step = len(points) / CHART_COLUMNS
        points = [points[int(i * step)] for i in range(CHART_COLUMNS)]
    peak = max(down for _, down in points)
    lines = [f"machines down (peak {peak:,}); time: 10-min steps to 3 h, hourly to 2 days, then 6-hourly"]
    if peak == 0:
        return lines + ["  (none, ever)"]
    for row in range(CHART_ROWS, 0, -1):
        cells = ""
        for _, down in points:
            level = down / peak * CHART_ROWS - (row - 1)
            cells += _BLOCKS[max(0, min(8, round(level * 8)))] if level < 1 else _BLOCKS[8]
        lines.append(f"{peak * row // CHART_ROWS:>10,} |{cells}")
    axis = [" "] * len(points)
    for mark_minute, mark in _AXIS_MARKS:
        column = next((i for i, (minute, _) in enumerate(points) if minute >= mark_minute), None)
        if column is not None and all(a == " " for a in axis[max(0, column - 1):column + len(mark) + 1]):
            axis[column:column + len(mark)] = mark
    lines.append(" " * 11 + "+" + "".join(axis)[:len(points)])
    return lines


def compare_table(comparison: dict) -> list[str]:
    """One line per policy x model."""
    header = ["policy", "model", "crashed", "of fleet", "bricked", "recovered itself", "halted after",
              "machine-hours", "99% back after"]
    rows = [header]
    for r in comparison["runs"]:
        halted = r["halted_after_minutes"]
        rows.append([r["policy"], r["model"], f"{r['crashed']:,}", f"{100 * r['crashed'] / r['machines']:.2f}%",
                     f"{r['bricked']:,}", f"{r['recovered_automatically']:,}",
                     f"{halted} min" if halted is not None else "never", f"{r['machine_hours_lost']:,.0f}",
                     _duration(r)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {2, 3, 4, 5, 6, 7, 8}
    lines = ["  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                       for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def _label(c: dict) -> str:
    """model/build/role of a class row."""
    return f"{c['model']}/{c['build']}/{c['role']}"


def _count(n: int, machines: int) -> str:
    """A count and its share of the fleet, like 1,234 (12.3%)."""
    return f"{n:,} ({100 * n / machines:.1f}%)"


def _duration(report: dict) -> str:
    """Time to 99% recovered, in minutes or days, with the date."""
    minutes = report["minutes_to_99_recovered"]
    if minutes is None:
        return "not within a year"
    if report["crashed"] == 0:
        return "nothing crashed"
    if minutes < 180:
        return f"{minutes} min ({report['recovered_99_at']})"
    return f"{minutes / 1440:.1f} days ({report['recovered_99_at']})"
