"""`make demo`: the Channel File 291 story, told by the machine itself.

Five acts: a healthy sensor blocks a C2 beacon; the 19 July content update
turns the monolithic machine into a bootloop (the blue screen, and what
the crash dump says); safe mode and one `rm` bring it back; the same
update on a microkernel costs one restarted process -- and a fail-open
window; a table compares every isolation model. The machines live in a
folder the demo names and keeps (default: the `demo` folder next to the
default machine, reset at each run; `python -m simpleos.demo DIR` picks
another), never in the user's own machine, so the dumps it mentions can be
opened afterwards. Everything shown is real output of SimpleOS or derived
from it; this file only tells the story (demoview.py does the printing).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from . import compare as comparison
from .channel import load_channel_file, template_validate
from .channel.validate import unsupplied_inputs
from .debug.analyze import analyze, load_dump
from .demoview import SessionView, act, note
from .home import default_machine_dir
from .resources import channel_files_dir
from .system import boot

DEMO_FOLDER = "demo"


def main(argv: list[str] | None = None) -> int:
    """Run the five acts (machines in argv[0], or the default demo folder)."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else default_machine_dir().parent / DEMO_FOLDER
    out = Console(highlight=False, soft_wrap=True)
    view = SessionView(out)
    bad = channel_files_dir() / "C-00000291-bad.sys"
    monolithic, microkernel = root / "windows-like", root / "minix-like"
    note(out, f"The demo's machines live in {shown_path(root)}/ (windows-like, minix-like); "
              f"they stay there after the demo.")

    act(out, "1. A healthy machine", "monolithic kernel, the sensor at ring 0, good content")
    view.show(boot(monolithic, fresh=True, max_boots=1))

    act(out, "2. 19 July 2024, 04:09 UTC: content update C-00000291 arrives")
    for line in what_is_wrong(bad):
        out.print(line, style="bold", markup=False)
    session = boot(monolithic, channels=[str(bad)], max_boots=3)
    view.show(session)
    first_dump = session.boots[0].dump if session.boots else None
    if first_dump:
        explain_dump(out, first_dump)

    act(out, "3. The fix, by hand: safe mode, delete the channel file, reboot")
    view.show(boot(monolithic, safe_mode=True,
                   exec_commands="ls /drivers/sensor; rm /drivers/sensor/C-00000291-bad.sys; reboot"))

    act(out, "4. The same update on a microkernel", "the sensor is a ring-3 server; a reincarnation server restarts it")
    session = boot(microkernel, fresh=True, model="microkernel", channels=[str(bad)], max_boots=3)
    view.show(session)
    if any("C2 channel open" in line for line in session.transcript):
        note(out, "Look again: one C2 pipe opened. After the second crash the reincarnation server waits 2 s "
                  "before the next restart (backoff), and while the sensor is down the kernel lets events pass "
                  "unexamined (fail-open). That is the lesson, not an accident: staying up costs protection. "
                  "With --fail-closed nothing passes -- neither the beacon nor the system's own services.")

    act(out, "5. Every isolation model, same update (simpleos compare)")
    outcomes = comparison.compare(str(bad))
    for line in comparison.render(outcomes):
        out.print(line, style="bold" if line.startswith("model") else None, markup=False)
    compare_note(out, {o.model: o for o in outcomes})

    out.print("\nNext: step through the crash in the debugger (then type continue, bt, explain, quit):")
    out.print(f"  {cli_name()} debug --break-on-fault --machine {shown_path(root / 'debugger')} --fresh "
              f"--channel {shown_path(bad)}", style="bold", markup=False)
    if first_dump:
        out.print(f"and read the whole crash report: {cli_name()} analyze {shown_path(Path(first_dump))}",
                  markup=False)
    out.print("Write your own program: userland/README.md (assembly), docs/c-programs.md (C); the labs: docs/labs.md.")
    return 0


def compare_note(out, outcomes: dict) -> None:
    """Hybrid against microkernel, in words, from their rows of the table."""
    hybrid, microkernel = outcomes.get("hybrid"), outcomes.get("microkernel")
    if hybrid is None or microkernel is None or None in (hybrid.downtime_ms, microkernel.downtime_ms):
        return
    note(out, f"hybrid is back soonest ({hybrid.downtime_ms:,.1f} ms down against {microkernel.downtime_ms:,.1f} ms) "
              f"but pays with {hybrid.sensor_crashes} crashes and no memory of the bad file; the microkernel "
              f"waits out its backoff and quarantines the file for good.")


def what_is_wrong(path: Path) -> list[str]:
    """The update in plain words: what the template check said, and each rule that reads an input
    the sensor does not supply ('rule 291003 tests field 21; the sensor supplies only 20 inputs')."""
    cf = load_channel_file(path)
    verdict = "passes" if not template_validate(cf, path.name) else "fails"
    lines = [f"{path.name} {verdict} the template check (what the Content Validator ran), but:"]
    for rule, index, supplied in unsupplied_inputs(cf):
        lines.append(f"  rule {rule} tests field {index + 1}; the sensor supplies only {supplied} inputs")
    return lines


def explain_dump(out, dump_path: str) -> None:
    """The EXPLANATION part of `simpleos analyze` for the first crash dump, inline."""
    report = analyze(load_dump(dump_path))
    start = report.index("EXPLANATION:") if "EXPLANATION:" in report else None
    if start is None:
        return
    out.print(f"\nWhat the first crash dump says (simpleos analyze {shown_path(Path(dump_path))}):", style="bold")
    for line in report[start + 1:]:
        if not line.strip():
            break
        out.print(line, markup=False)


def shown_path(path: Path) -> str:
    """`path` as a user would type it: relative to the current folder when inside it, else with ~."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        home = Path.home()
        text = str(path)
        return "~" + text[len(str(home)):] if text.startswith(str(home) + os.sep) else text


def cli_name() -> str:
    """How to call the CLI from here: the venv's simpleos next to this Python, else `simpleos`."""
    beside = Path(sys.executable).parent / "simpleos"
    return shown_path(beside) if beside.is_file() else "simpleos"


if __name__ == "__main__":
    raise SystemExit(main())
