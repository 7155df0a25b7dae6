"""`make demo`: the Channel File 291 story, told by the machine itself.

Five acts on throw-away machines (a temporary directory, never the user's
own machine): a healthy sensor blocks a C2 beacon; the 19 July content
update turns the monolithic machine into a bootloop; safe mode and one
`rm` bring it back; the same update on a microkernel costs one restarted
process; and a table compares every isolation model. Everything shown is
real output of SimpleOS; this file only picks the lines worth reading.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from . import compare as comparison
from .resources import channel_files_dir
from .system import boot

_KEY_LINES = re.compile(r"STOP|What failed|Collecting|DENY|detection|beacon:|rs:|killed|boot complete|"
                        r"recovery>|removed|verifier|quarantined|sensor is down|driver:|restarted")


def main() -> int:
    """Run the five acts."""
    out = Console(highlight=False, soft_wrap=True)
    bad = str(channel_files_dir() / "C-00000291-bad.sys")
    with tempfile.TemporaryDirectory(prefix="simpleos-demo-") as root:
        monolithic = Path(root) / "windows-like"
        microkernel = Path(root) / "minix-like"

        act(out, "1. A healthy machine (monolithic kernel, sensor at ring 0, good content)")
        show(out, boot(monolithic, fresh=True, max_boots=1))

        act(out, "2. 19 July 2024, 04:09 UTC: content update C-00000291 arrives (rule 291003 uses field 21)")
        show(out, boot(monolithic, channels=[bad], max_boots=3))

        act(out, "3. The fix, by hand: safe mode, delete the channel file, reboot")
        show(out, boot(monolithic, safe_mode=True,
                       exec_commands="ls /drivers/sensor; rm /drivers/sensor/C-00000291-bad.sys; reboot"))

        act(out, "4. The same update on a microkernel (sensor is a ring-3 server)")
        show(out, boot(microkernel, fresh=True, model="microkernel", channels=[bad], max_boots=3))

        act(out, "5. Every isolation model, same update (simpleos compare)")
        for line in comparison.render(comparison.compare(bad)):
            out.print(line, style="bold" if line.startswith("model") else None)
    out.print("\nNext: `simpleos debug --break-on-fault` steps through the crash; docs/ has the labs.")
    return 0


def act(out: Console, title: str) -> None:
    """An act's title."""
    out.print()
    out.print(Rule(title, style="cyan"))


def show(out: Console, session) -> None:
    """The lines of the session's console worth reading, then its verdict."""
    try:
        for line in session.transcript:
            if _KEY_LINES.search(line):
                out.print(line, style=_style(line), markup=False)
        out.print(f"verdict: {session.verdict} after {len(session.boots)} boot(s)", style="bold")
    finally:
        session.close()


def _style(line: str) -> str | None:
    if "STOP" in line or "What failed" in line or "killed" in line:
        return "bold red"
    if "DENY" in line or "blocked" in line or "rs:" in line or "quarantined" in line:
        return "yellow"
    if "boot complete" in line or "removed" in line:
        return "green"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
