"""Source-level commands: `list`, `disassemble`, `info line`, and `step`/`next` by source line.

  list [FUNC | FILE:LINE | N | *ADDR]   ten lines of source around the place
                                        (no argument: the selected frame's
                                        line, then the next ten)
  disassemble [FUNC | ADDR]             the whole routine, `=>` at its pc
  info line [FUNC | FILE:LINE | *ADDR]  which addresses a line's code spans
  step [N] | s,  next [N] | n           run to the next source line (next:
                                        a call runs to its return)

Lines come from the images' line tables (sourceview.py); routines are the
labels cfi.py knows. In assembly one line is mostly one instruction, so
`step` is `stepi` that shows the source; in a C program it runs every
instruction of the line. This module reads and steps through the
DebugTarget; it must not reach into the CPU.
"""
from __future__ import annotations

import weakref

from .. import disasm, sourceview
from ..cfi import frame_table
from ..output import ADDRESS, CURRENT, DIM, SYMBOL
from ..symbols import target_regions
from .frames import selected

HELP = [
    "  list [FUNC|FILE:LINE|N]    source lines (list: around the selected frame, again: the next ten)",
    "  disassemble [FUNC|ADDR]    the routine's instructions, => at its pc",
    "  info line [FUNC|FILE:LINE] the addresses a source line's code spans",
    "  step [N] | s, next [N] | n to the next source line (next runs a call to its return)",
]
LIST_LINES = 10
MAX_ROUTINE_INSTRUCTIONS = 512
MAX_LINE_STEPS = 100_000        # instructions one `step` may run inside a single source line

# debugger -> (stop, frame pc, path, last line, first line) of its last listing
_listed: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def register(debugger) -> None:
    """Add list, disassemble, step, next and `info line`."""
    debugger.add_command(("list", "l"), lambda argument: _list(debugger, argument))
    debugger.add_command(("disassemble", "disas"), lambda argument: _disassemble(debugger, argument))
    debugger.add_command(("step", "s"), lambda argument: _step_lines(debugger, argument, debugger.target.stepi))
    debugger.add_command(("next", "n"), lambda argument: _step_lines(debugger, argument, debugger.target.nexti))
    debugger.add_info_topic(("line",), lambda words: _info_line(debugger, " ".join(words)))


def _error(text: str) -> Exception:
    from ..commands import CommandError
    return CommandError(text)


def _pc_of(frame) -> int:
    """The address whose line a frame is at (a caller's: inside its call instruction)."""
    return frame.address if frame.number == 0 else frame.address - 1


def _location(debugger, text: str) -> tuple[str, int, int | None]:
    """(path, line, address or None) of FUNC, FILE:LINE, N (a line of the current file) or *ADDR."""
    target = debugger.target
    text = text.strip()
    file, colon, number = text.rpartition(":")
    if colon and number.isdigit() and file and "!" not in file:
        path = sourceview.path_of(target, file)
        if path is None:
            raise _error(f"no source file {file!r} in any line table")
        return path, int(number), None
    if text.isdigit():
        current = _current_path(debugger)
        if current is None:
            raise _error("no current source file: list FILE:LINE or list FUNCTION")
        return current, int(text), None
    address = debugger._address(text.lstrip("*"))
    row = sourceview.row_at(target, address)
    if row is None:
        raise _error(f"no source line for {address:#x} <{target.symbolize(address)}>")
    return row.path, row.line, address


def _current_path(debugger) -> str | None:
    """The file of the last listing, else of the selected frame's line."""
    listed = _listed.get(debugger)
    if listed is not None:
        return listed[2]
    row = sourceview.row_at(debugger.target, _pc_of(selected(debugger)))
    return row.path if row is not None else None


def _list(debugger, argument: str) -> None:
    """list [...]: ten lines around a place, or the ten after the last listing."""
    target = debugger.target
    pc = _pc_of(selected(debugger))
    here = sourceview.row_at(target, pc)
    listed = _listed.get(debugger)
    if not argument and listed is not None and listed[:2] == (target.last_stop, pc):
        path, first = listed[2], listed[3] + 1
    elif argument.strip() == "-" and listed is not None:
        path, first = listed[2], max(1, listed[4] - LIST_LINES)
    elif argument and argument.strip() != "-":
        path, line, _ = _location(debugger, argument)
        first = max(1, line - LIST_LINES // 2)
    elif here is not None:
        path, first = here.path, max(1, here.line - LIST_LINES // 2)
    else:
        raise _error(f"no source line for {target.registers()['rip']:#x}: list FILE:LINE or FUNCTION")
    lines = sourceview.file_lines(path)
    if lines is None:
        raise _error(f"cannot read the source file {path}")
    if first > len(lines):
        raise _error(f"line {first} is past the end of {path.rsplit('/', 1)[-1]} ({len(lines)} lines)")
    last = min(len(lines), first + LIST_LINES - 1)
    current = here.line if here is not None and here.path == path else None
    debugger.out.lines(sourceview.numbered(path, first, last, current))
    _listed[debugger] = (target.last_stop, pc, path, last, first)


def _routine(target, address: int) -> tuple[str, int, int] | None:
    """(name, start, end) of the routine holding `address`, from the image's labels."""
    for region in target_regions(target):
        if region.contains(address):
            for name, start, end in frame_table(region.image).routines:
                if start <= address < end:
                    return f"{region.name}!{name}", start, end
            found = region.image.symbol_at(address)
            if found is not None:
                return f"{region.name}!{found[0]}", address - found[1], None
    return None


def _disassemble(debugger, argument: str) -> None:
    """disassemble [FUNC|ADDR]: the routine's code, `=>` at the selected frame's pc."""
    target = debugger.target
    pc = selected(debugger).address
    address = debugger._address(argument) if argument else pc
    routine = _routine(target, address)
    if routine is None:
        name, start, end = target.symbolize(address), address, None
    else:
        name, start, end = routine
    count = MAX_ROUTINE_INSTRUCTIONS if end is not None else 32
    found = [i for i in target.disassemble(start, count) if end is None or i[0] < end]
    if not found:
        raise _error(f"cannot read memory at {start:#x}")
    span = _line_span(target, start, end)
    debugger.out.line(f"dump of assembler code for {name}{span}:")
    for at, size, mnemonic, operands in found:
        mark = at == pc
        comment = disasm.annotate(target, at, size, mnemonic, operands)
        line = [("=> " if mark else "   ", CURRENT if mark else ""), (f"{at:#x}", ADDRESS),
                (f" <+{at - start}>", SYMBOL), (f":\t{mnemonic} {operands}".rstrip(), CURRENT if mark else "")]
        if comment:
            line.append((f"    ; {comment}", DIM))
        debugger.out.line(line)
    debugger.out.line("end of assembler dump.")


def _line_span(target, start: int, end: int | None) -> str:
    """' (sensor.asm:409-447)': the source lines of a routine's code."""
    first = sourceview.row_at(target, start)
    last = sourceview.row_at(target, end - 1) if end is not None else None
    if first is None:
        return ""
    if last is None or last.path != first.path or last.line == first.line:
        return f" ({first.file}:{first.line})"
    return f" ({first.file}:{first.line}-{last.line})"


def _info_line(debugger, argument: str) -> None:
    """info line [SPEC]: where the code of a source line starts and ends."""
    target = debugger.target
    if argument:
        path, line, address = _location(debugger, argument)
    else:
        row = sourceview.row_at(target, _pc_of(selected(debugger)))
        if row is None:
            raise _error("no source line here")
        path, line, address = row.path, row.line, None
    name = path.rsplit("/", 1)[-1]
    starts = [address] if address is not None else sourceview.addresses_of(target, path, line)
    if not starts:
        debugger.out.line(f'line {line} of "{name}" has no code')
        return
    for start in starts:
        row = sourceview.row_at(target, start)
        line = row.line if row is not None else line
        end = _line_end(target, row)
        ends = f" and ends at {end:#x} <{target.symbolize(end)}>" if end is not None else ""
        debugger.out.line(f'line {line} of "{name}" starts at address {row.address:#x} '
                          f'<{target.symbolize(row.address)}>{ends}.')


def _line_end(target, row) -> int | None:
    """The first address after `row`'s code (the next row of its table)."""
    for region in target_regions(target):
        if region.contains(row.address):
            following = [r.address for r in region.image.line_table.rows if r.address > row.address]
            return min(following) if following else None
    return None


def _step_lines(debugger, argument: str, step) -> None:
    """step/next [N]: run until the source line changes, N times."""
    target = debugger.target
    count = debugger._number(argument) if argument else 1
    if count <= 0:
        raise _error("step/next need a positive count (to go back: reverse-stepi)")
    event = None
    for _ in range(count):
        start = sourceview.row_at(target, target.registers()["rip"])
        for _ in range(MAX_LINE_STEPS):
            event = step()
            if event.reason != "step":
                break
            row = sourceview.row_at(target, event.address)
            if start is None or row is None or (row.path, row.line) != (start.path, start.line):
                break
        if event.reason != "step":
            break
    debugger.report(event)
