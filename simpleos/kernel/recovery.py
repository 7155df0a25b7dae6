"""The recovery console: what safe mode offers when the machine cannot boot normally.

On 19 July 2024 the fix was done by hand, machine by machine: boot into safe
mode or the recovery environment, go to the sensor's directory, delete the
bad channel file, reboot. This console offers exactly that -- ls, cat, rm,
reboot -- interactively or from `--exec "cmd; cmd"`. Automatic repair does
the same by itself: it rolls back the newest content update.
"""
from __future__ import annotations

from typing import Callable

from ..errors import BadInput
from . import bootstatus
from .content import newest_update, quarantine
from .fs import FsError

PROMPT = "recovery> "
HELP = "commands: ls [PATH], cat PATH, rm PATH, reboot, help, exit"


class RecoveryConsole:
    """A tiny shell over the machine's disk, with no drivers loaded."""

    def __init__(self, fs, say: Callable[[str], None]) -> None:
        self.fs = fs
        self.say = say
        self.reboot_requested = False
        self.manual_steps = 0

    def banner(self) -> None:
        """The greeting, with the boot-status warning if the last boots failed."""
        self.say("SimpleOS recovery console (safe mode: third-party drivers are not loaded)")
        failed = bootstatus.failed_boots(self.fs)
        if failed:
            self.say(f"the last {failed} boot(s) did not complete")
        self.say(HELP)

    def run(self, line: str, echo: bool = True) -> bool:
        """Run one command line; False when the console should close.
        `echo` shows the prompt and command (for scripts; a typed line is on screen already)."""
        words = line.split()
        if not words:
            return True
        command, arguments = words[0], words[1:]
        if echo:
            self.say(f"{PROMPT}{line.strip()}")
        try:
            if command == "ls":
                self._ls(arguments[0] if arguments else "/")
            elif command == "cat":
                self._need(arguments, "cat PATH")
                self.say(self.fs.read_file(arguments[0]).decode("utf-8", "replace").rstrip("\n"))
            elif command == "rm":
                self._need(arguments, "rm PATH")
                self.fs.remove(arguments[0])
                self.manual_steps += 1
                self.say(f"removed {arguments[0]}")
            elif command == "reboot":
                self.reboot_requested = True
                return False
            elif command in ("exit", "quit"):
                return False
            elif command == "help":
                self.say(HELP)
            else:
                self.say(f"unknown command: {command} ({HELP})")
        except (FsError, BadInput) as reason:
            self.say(f"error: {reason}")
        return True

    def run_script(self, script: str) -> None:
        """Commands separated by ';' (from --exec)."""
        for line in script.split(";"):
            if not self.run(line):
                return

    def interactive(self, read_line: Callable[[str], str]) -> None:
        """Read commands until reboot, exit or end of input."""
        while True:
            try:
                line = read_line(PROMPT)
            except EOFError:
                return
            if not self.run(line, echo=False):
                return

    def automatic_repair(self) -> str | None:
        """Roll back the newest content update; the file quarantined, if any."""
        name = newest_update(self.fs)
        if name is None:
            self.say("automatic repair: no content update to roll back")
            return None
        target = quarantine(self.fs, name)
        self.say(f"automatic repair: rolled back content update {name} (moved to {target})")
        self.reboot_requested = True
        return name

    def _ls(self, path: str) -> None:
        for entry in self.fs.listdir(path):
            self.say(f"{entry.name}/" if entry.is_dir else f"{entry.name}  {entry.size}")

    @staticmethod
    def _need(arguments, usage: str) -> None:
        if not arguments:
            raise BadInput(f"usage: {usage}")
