"""`--plot OUT.png`: machines down over time (one line per run) and the blast radius (bars), with matplotlib.

matplotlib is an optional extra (`pip install 'simpleos[fleet]'`); without
it, --plot is a one-line error and everything else still works. Colour
says the model, line style the policy. The picture is drawn from the
report dicts only; this module must NOT simulate.
"""
from __future__ import annotations

from ..errors import BadInput

MODEL_COLOURS = {"monolithic": "#d62728", "hybrid": "#ff7f0e", "microkernel": "#2ca02c", "verified": "#1f77b4"}
POLICY_STYLES = {"all-at-once": "-", "rings": "--", "canary": ":"}
TIME_TICKS = [(0, "0"), (1, "1 h"), (3, "3 h"), (12, "12 h"), (24, "1 d"), (72, "3 d"), (240, "10 d"), (720, "30 d")]


def require_matplotlib() -> None:
    """BadInput, one line, when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise BadInput("--plot needs matplotlib: pip install 'simpleos[fleet]'") from None


def plot(runs: list[dict], path: str, title: str) -> str:
    """Write the two-panel picture for `runs` to `path` (PNG); returns the path."""
    require_matplotlib()
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (timeline, blast) = pyplot.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [3, 2]})
    labels = [_label(run, runs) for run in runs]
    _draw_timeline(timeline, runs, labels)
    _draw_blast_radius(blast, runs, labels)
    figure.suptitle(title)
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=110)
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        pyplot.close(figure)
    return path


def _draw_timeline(axes, runs: list[dict], labels: list[str]) -> None:
    """Machines down over hours, on log scales (linear below 1 h and 10 machines)."""
    never_down = []
    end = 1.0
    for run, label in zip(runs, labels):
        if max(down for _, down in run["timeline"]) == 0:
            never_down.append(label)
            continue
        hours = [minute / 60 for minute, _ in run["timeline"]]
        end = max(end, hours[-1])
        axes.step(hours, [down for _, down in run["timeline"]], where="post", label=label, linewidth=1.8,
                  color=MODEL_COLOURS.get(run["model"]), linestyle=POLICY_STYLES.get(run["policy"], "-"))
    axes.set_xscale("symlog", linthresh=1)
    axes.set_yscale("symlog", linthresh=10)
    ticks = [(h, text) for h, text in TIME_TICKS if h <= end * 1.5]
    axes.set_xticks([h for h, _ in ticks], [text for _, text in ticks])
    axes.set_xlabel("time since 19 July 2024, 04:09 UTC")
    axes.set_ylabel("machines down")
    axes.set_title("machines down over time")
    axes.grid(True, which="major", alpha=0.3)
    if never_down:
        rows = [", ".join(never_down[i:i + 3]) for i in range(0, len(never_down), 3)]
        axes.plot([], [], color="none", label="never down:\n" + "\n".join(rows))
    axes.legend(fontsize=7, loc="center right")


def _draw_blast_radius(axes, runs: list[dict], labels: list[str]) -> None:
    """Per run: machines crashed (and bricked), and machines whose sensor alone died."""
    positions = list(range(len(runs)))
    crashed = [run["crashed"] for run in runs]
    axes.barh(positions, crashed, color="#d62728", label="crashed (blue screen)")
    axes.barh(positions, [run["bricked"] for run in runs], color="#7f0000", height=0.45,
              label="of those, bricked (fixed by hand)")
    axes.barh(positions, [run["sensor_crashed"] for run in runs], left=crashed, color="#2ca02c", alpha=0.35,
              label="only the sensor died; machine up")
    axes.set_xscale("symlog", linthresh=10)
    axes.set_xlim(left=0, right=max(run["machines"] for run in runs) * 1.5)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(f"machines (of {runs[0]['machines']:,}; log scale)")
    axes.set_title("blast radius")
    for y, run in enumerate(runs):
        axes.text(run["crashed"], y, f" {run['crashed']:,} crashed ({100 * run['crashed'] / run['machines']:.2g}%)",
                  va="center", fontsize=7)
    axes.legend(fontsize=7, loc="lower right")


def _label(run: dict, runs: list[dict]) -> str:
    """'rings / microkernel', leaving out what every run shares."""
    parts = []
    if len({r["policy"] for r in runs}) > 1 or len(runs) == 1:
        parts.append(run["policy"])
    if len({r["model"] for r in runs}) > 1 or len(runs) == 1:
        parts.append(run["model"])
    return " / ".join(parts)
