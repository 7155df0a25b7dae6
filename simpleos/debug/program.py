"""`simpleos debug PROG`: the student's own program under the debugger.

The machine boots as `simpleos run` boots it: when the boot has gone idle,
PROG starts as a ring-3 process (system.start_program, the same call `run`
makes); when the machine goes idle again, a program still waiting is ended
as `run` ends it. Every power-on of the DebugTarget (time travel replays
too: the power-on checkpoint holds the program not yet started) does this at the same position, so reverse execution crosses the
program's start like any other instruction. This module only decides when
the program starts and what its symbols are called; it must not run guest
code itself or decide what a fault means.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..assembler import Image
from ..system import end_program_at_idle, start_program
from . import stops
from .stops import StopEvent
from .symbols import CodeRegion, image_contains


class DebuggedProgram:
    """PROG's image and, on the current power-on, its process."""

    def __init__(self, image: Image, on_start=None) -> None:
        self.image = image
        self.on_start = on_start                   # told the process each time it starts (`run`'s console)
        self.name = Path(image.name).stem          # the process name, as `run` names it
        self.process = None                        # started on this power-on (None: not yet)
        self._ended = False

    def powered_on(self) -> None:
        """A new machine: the program has not started on it yet."""
        self.process, self._ended = None, False

    def state(self):
        """What a checkpoint keeps of the program: its process (None: not started) and whether
        it was ended (frozen with the kernel, so the process is that kernel's)."""
        return self.process, self._ended

    def set_state(self, state) -> None:
        """Back to a checkpoint's state() (the process of the kernel put back with it)."""
        self.process, self._ended = state

    def on_idle(self, kernel) -> bool:
        """The machine went idle. The first time, start the program; the second time, end it
        if it still waits. True if the machine has something to run again."""
        if self.process is None:
            self.process = start_program(kernel, self.image)
            if self.on_start is not None:
                self.on_start(self.process)
            return True
        if not self._ended:
            self._ended = True
            if self.process.alive:
                end_program_at_idle(kernel, self.process)
                return True                        # ending it may wake another process
        return False

    def contains(self, address: int) -> bool:
        """Is `address` inside the program's image (text or data)?"""
        return image_contains(self.image, address)

    def region(self) -> CodeRegion:
        """The program's image as the symbol table names it ('hello!_start')."""
        return CodeRegion(self.name, self.image)


def run_to_program_start(target) -> StopEvent:
    """Run the boot until PROG is about to execute its first instruction, as gdb's `starti`
    does for a program (the session of `debug PROG` begins there). A boot that bugchecks or
    holds a fault first stops there instead, and says so."""
    program = target.program
    entry = program.image.entry
    already = entry in target.breakpoints
    if not already:
        target.add_breakpoint(entry, process=program.name)
    try:
        event = target.cont()
    finally:
        if not already:
            target.remove_breakpoint(entry)
    started = program.process
    if event.reason == stops.BREAKPOINT and event.address == entry and target.current_process is started:
        event = replace(event, reason=stops.START,
                        description=f"{program.name} started as pid {started.pid} (ring 3): stopped before its "
                                    f"first instruction; the boot before it took {event.position} instructions")
        target.last_stop = event
    return event
