"""How `make demo` shows a session: the console lines worth reading, the blue screen, notes.

The demo (demo.py) boots real machines; this file picks what a newcomer
should read from their consoles and prints it with rich: the kernel's key
lines, the recovery console's commands with their output (an `ls` listing
included), the whole blue screen the first time -- white on blue in a
panel on a terminal, plain text when piped -- and after that one STOP line
per crash. Presentation only: it never boots anything or changes a result.
"""
from __future__ import annotations

import re

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from .kernel.bluescreen import FIRST_LINE, LAST_LINE

KEY_LINES = re.compile(r"STOP|DENY|detection|beacon:|rs:|killed|boot complete|recovery>|removed|verifier|"
                       r"quarantined|sensor is down|driver:|restarted")
_STAMP = re.compile(r"^\[\s*[\d.]+\] ")
_PROMPT = "recovery> "


def act(out: Console, title: str, subtitle: str | None = None) -> None:
    """An act's title: a rule (titles are kept short enough for 80 columns), then a subtitle."""
    out.print()
    out.print(Rule(title, style="cyan"))
    if subtitle:
        out.print(subtitle, style="cyan", markup=False)


def note(out: Console, text: str) -> None:
    """A remark of the narrator's (not machine output)."""
    out.print(text, style="italic", markup=False, soft_wrap=False)     # wrapped to the screen's width


class SessionView:
    """Prints sessions' consoles; remembers whether the full blue screen was shown yet."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.screens_shown = 0

    def show(self, session) -> None:
        """The lines of the session's console worth reading, then its verdict; closes the session
        (what it recorded stays readable)."""
        try:
            self._show(session)
        finally:
            session.close()

    def _show(self, session) -> None:
        """Walk the transcript: blue screens, `ls` listings and key lines."""
        screen: list[str] | None = None
        listing = False
        for line in session.transcript:
            if screen is not None:
                screen.append(line)
                if line == LAST_LINE:
                    self.blue_screen(screen)
                    screen = None
                continue
            if line == FIRST_LINE:
                screen = [line]
                continue
            text = _STAMP.sub("", line)
            if text.startswith(_PROMPT):
                listing = text.startswith(_PROMPT + "ls")
            elif listing:                    # the output of a recovery console `ls`
                self.out.print(line, markup=False)
                continue
            if KEY_LINES.search(line):
                self.out.print(line, style=_style(line), markup=False)
        boots = len(session.boots)
        self.out.print(f"verdict: {session.verdict} after {boots} boot{'s' if boots != 1 else ''}", style="bold")

    def blue_screen(self, lines: list[str]) -> None:
        """The first blue screen in full (a white-on-blue panel on a terminal); later ones as their STOP line."""
        self.screens_shown += 1
        if self.screens_shown > 1:
            stop = next((line for line in lines if "*** STOP" in line), lines[0])
            self.out.print(stop, style="bold red", markup=False)
            return
        if self.out.is_terminal:
            body = Text("\n".join(line[2:] if line.startswith("  ") else line for line in lines))
            self.out.print(Panel(body, style="bold white on blue", expand=False, padding=(1, 2)), soft_wrap=False)
        else:
            for line in [""] + lines + [""]:
                self.out.print(line, markup=False)


def _style(line: str) -> str | None:
    """Colour by what a line says."""
    if "STOP" in line or "killed" in line:
        return "bold red"
    if "DENY" in line or "blocked" in line or "rs:" in line or "quarantined" in line:
        return "yellow"
    if "boot complete" in line or "removed" in line:
        return "green"
    return None
