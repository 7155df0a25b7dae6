"""Navigating the call frames: `frame N`, `up`, `down` and `info frame`, as in gdb.

The frames are backtrace.py's (unwound with the rules cfi.py works out from
the code, the same gdb gets). A selected frame is the place `list` and
`disassemble` look at by default; it goes back to frame 0 at every stop.
The CPU's registers stay the machine's: `info frame` shows the frame's
own rsp, rbp and the slots where it saved its caller's registers.
This module reads frames; it never runs the machine.
"""
from __future__ import annotations

import weakref

from .. import sourceview
from ..backtrace import Frame, backtrace

HELP = [
    "  frame [N] | f [N]          select frame N of bt (list, disassemble look there); show it",
    "  up [N] / down [N]          select the caller (N frames up) / the callee",
    "  info frame | i f           the selected frame: CFA, saved rip, saved registers, its rule",
]

_selections: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class Selection:
    """Which frame the user selected, valid until the machine stops somewhere else."""

    def __init__(self) -> None:
        self.stop = None          # the StopEvent the selection was made at
        self.number = 0


def register(debugger) -> None:
    """Add frame, up, down and `info frame`."""
    _selections[debugger] = Selection()
    debugger.add_command(("frame", "f"), lambda argument: _frame(debugger, argument))
    debugger.add_command(("up",), lambda argument: _move(debugger, argument, +1))
    debugger.add_command(("down",), lambda argument: _move(debugger, argument, -1))
    debugger.add_info_topic(("frame", "f"), lambda words: _info_frame(debugger))


def selected(debugger) -> Frame:
    """The selected frame (frame 0 after any stop, or with no selection made)."""
    frames = backtrace(debugger.target)
    return frames[min(_selected_number(debugger), len(frames) - 1)]


def _selected_number(debugger) -> int:
    selection = _selections.get(debugger)
    if selection is None or selection.stop is not debugger.target.last_stop:
        return 0
    return selection.number


def _select(debugger, number: int) -> None:
    selection = _selections.setdefault(debugger, Selection())
    selection.stop, selection.number = debugger.target.last_stop, number


def frame_line(target, frame: Frame) -> str:
    """'#1  0x... in sensor.sys!match_instance+0x51 at sensor.asm:386'."""
    where = sourceview.where(target, frame.address if frame.number == 0 else frame.address - 1)
    return f"#{frame.number}  {frame.address:#x} in {frame.symbol}" + (f" at {where}" if where else "")


def _show(debugger, frame: Frame) -> None:
    """The frame's line and its source line."""
    debugger.out.line(frame_line(debugger.target, frame))
    debugger.out.lines(sourceview.stop_lines(debugger.target, frame.address if frame.number == 0
                                             else frame.address - 1))


def _frame(debugger, argument: str) -> None:
    """frame [N]: select frame N (none: show the selected one)."""
    from ..commands import CommandError
    frames = backtrace(debugger.target)
    number = _selected_number(debugger) if not argument else debugger._number(argument)
    if not 0 <= number < len(frames):
        raise CommandError(f"no frame {number}: bt shows frames 0 to {len(frames) - 1}")
    _select(debugger, number)
    _show(debugger, frames[number])


def _move(debugger, argument: str, direction: int) -> None:
    """up/down [N]: N frames toward the callers (+1) or the callee (-1)."""
    from ..commands import CommandError
    frames = backtrace(debugger.target)
    steps = debugger._number(argument) if argument else 1
    if steps <= 0:
        raise CommandError(f"{'up' if direction > 0 else 'down'} needs a positive count")
    current = _selected_number(debugger)
    wanted = current + direction * steps
    if wanted >= len(frames):
        if current == len(frames) - 1:
            raise CommandError("the outermost frame is selected: there is no caller above it")
        wanted = len(frames) - 1
    if wanted < 0:
        if current == 0:
            raise CommandError("the innermost frame (0) is selected: there is no callee below it")
        wanted = 0
    _select(debugger, wanted)
    _show(debugger, frames[wanted])


def _info_frame(debugger) -> None:
    """info frame: what the selected frame is made of."""
    target = debugger.target
    frames = backtrace(target)
    number = min(_selected_number(debugger), len(frames) - 1)
    frame = frames[number]
    out = debugger.out
    at = f"{frame.cfa:#x}" if frame.cfa is not None else "an unknown address"
    out.line(f"stack level {number}, frame at {at} (its CFA: the caller's rsp before the call):")
    where = sourceview.where(target, frame.address if number == 0 else frame.address - 1)
    line = f" rip = {frame.address:#x} in {frame.symbol}" + (f" ({where})" if where else "")
    if "rip" in frame.saved and number + 1 < len(frames):
        line += f"; saved rip = {frames[number + 1].address:#x}"
    out.line(line)
    neighbours = []
    if number + 1 < len(frames):
        neighbours.append(f"called by frame {number + 1}")
    if number > 0:
        neighbours.append(f"caller of frame {number - 1}")
    out.line(" " + (", ".join(neighbours) if neighbours else "the only frame"))
    if frame.found_by == "scan":
        out.line(" found by scanning the stack for a return address (no unwind rule for this code)")
    elif frame.rule:
        returns = "the outermost frame: no caller" if frame.outermost else "return address at CFA-8"
        out.line(f" CFA = {frame.rule}, {returns}")
    registers = "  ".join(f"{name} {frame.registers[name]:#x}" for name in ("rsp", "rbp") if name in frame.registers)
    if registers:
        out.line(f" registers: {registers}")
    if frame.saved:
        out.line(" saved registers:")
        out.line("  " + ", ".join(f"{name} at {slot:#x}" for name, slot in frame.saved.items()))
