"""`simpleos compare FILE --plot OUT.png`: the comparison as a figure, for slides and handouts.

Three bar charts side by side, one bar per isolation model: how long
protection (or the whole machine) was down, how many security events
passed unexamined, and how many manual steps a human still had to take. A
machine that never came back (monolithic's bootloop) has no finite
downtime: its bar is hatched and reaches the top, labelled "until fixed".
matplotlib is an optional extra (`pip install 'simpleos[plot]'`); without
it --plot is a one-line error. Drawing only: the numbers are compare.py's.
"""
from __future__ import annotations

from pathlib import Path

from .errors import BadInput

COLORS = ("#c0392b", "#e67e22", "#2980b9", "#27ae60", "#8e44ad", "#7f8c8d")


def require_matplotlib():
    """matplotlib.pyplot on the Agg backend (no display needed); BadInput if it is not installed."""
    try:
        import matplotlib
    except ImportError:
        raise BadInput("compare --plot needs matplotlib, an optional extra: pip install 'simpleos[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot
    return pyplot


def plot(outcomes, path: str, title: str) -> None:
    """Draw the three charts for `outcomes` (compare.ModelOutcome list) into the image file `path`."""
    pyplot = require_matplotlib()
    models = [o.model for o in outcomes]
    colors = [COLORS[i % len(COLORS)] for i in range(len(models))]
    figure, (downtime, unexamined, manual) = pyplot.subplots(1, 3, figsize=(13, 4.2))
    _downtime_chart(downtime, models, colors, [o.downtime_ms for o in outcomes])
    _count_chart(unexamined, models, colors, [o.unexamined_events for o in outcomes],
                 "events that passed unexamined")
    _count_chart(manual, models, colors, [o.manual_steps for o in outcomes], "manual steps (by a human)")
    figure.suptitle(title)
    figure.tight_layout()
    try:
        png = str(path).lower().endswith(".png")
        figure.savefig(path, dpi=120, metadata={"Software": None} if png else None)   # PNG: no version stamp
    except (OSError, ValueError) as error:
        raise BadInput(f"cannot write the plot {path}: {getattr(error, 'strerror', None) or error}") from None
    finally:
        pyplot.close(figure)


def _downtime_chart(axes, models, colors, values) -> None:
    """Downtime in virtual milliseconds, on a symmetric log scale (0.2 ms and 2 s on one chart)."""
    finite = [v for v in values if v is not None]
    ceiling = max(finite + [1.0]) * 20
    heights = [ceiling if v is None else v for v in values]
    bars = axes.bar(models, heights, color=colors)
    for bar, value in zip(bars, values):
        if value is None:
            bar.set_hatch("//")
            bar.set_alpha(0.6)
        label = "until fixed\nby hand" if value is None else f"{value:,.3f}"
        axes.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                      fontsize=8)
    axes.set_yscale("symlog", linthresh=0.1)
    axes.set_ylim(0, ceiling * 8)
    axes.set_title("downtime (virtual ms, log scale)")


def _count_chart(axes, models, colors, values, title: str) -> None:
    """A plain bar chart of counts, each bar labelled with its value."""
    bars = axes.bar(models, values, color=colors)
    for bar, value in zip(bars, values):
        axes.annotate(str(value), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                      va="bottom", fontsize=8)
    axes.set_ylim(0, max(values + [1]) * 1.25)
    axes.yaxis.get_major_locator().set_params(integer=True)     # counts: whole numbers only
    axes.set_title(title)


def default_title(path: str) -> str:
    """'C-00000291-bad.sys under every isolation model'."""
    return f"{Path(path).name} under every isolation model (virtual time)"
