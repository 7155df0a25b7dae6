"""`watch`, `rwatch`, `awatch`: stop where memory is written, read or touched -- and, going back, where it was.

  watch EXPR [LEN]            stop after an instruction writes the bytes
  watch *((long *)&ipc_context + 20)    (gdb's form: the width from the cast)
  rwatch ... / awatch ...     the same for reads / for reads and writes

What a watchpoint watches is parsed by watchexpr.py. Watchpoints share the
breakpoints' numbers, `info breakpoints` (and `info watchpoints`) lists
them, `delete N` deletes them. `continue` stops one instruction past an
access, with the old and new value of a write; `reverse-continue` stops at
the accessing instruction itself. The stop lines are made here too
(stop_lines), for Debugger.report. The target does the watching
(debug/watch.py); this module only parses, numbers and prints.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import examine, sourceview, watchexpr
from ..watch import WatchError

HELP = ["  watch EXPR [LEN]           stop after a write to LEN (8) bytes at EXPR; gdb's *((long *)&X + N) too",
        "  rwatch ... | awatch ...    the same for reads | for reads and writes; reverse-continue finds the last one",
        "  info watchpoints           list the watchpoints (info breakpoints lists both; delete N deletes)"]
COMMANDS = {"watch": "write", "rwatch": "read", "awatch": "access"}
WHAT = {"write": "watchpoint", "read": "read watchpoint", "access": "access watchpoint"}


@dataclass
class Numbered:
    """A watchpoint as the user set it: its number, its text and the target's Watchpoint."""
    number: int
    text: str
    watchpoint: object


def register(debugger) -> None:
    """Add the three watch commands; make `delete` and `info breakpoints` know watchpoints."""
    debugger.watch_numbers = {}
    for name, kind in COMMANDS.items():
        debugger.add_command((name,), lambda argument, kind=kind: set_watch(debugger, kind, argument))
    delete, info_breakpoints = debugger._commands["delete"], debugger._info_topics["breakpoints"]
    debugger.add_command(("delete", "d"), lambda argument: delete_numbers(debugger, delete, argument))
    debugger.add_info_topic(("breakpoints", "break", "b"),
                            lambda words: list_all(debugger, info_breakpoints, words))
    debugger.add_info_topic(("watchpoints", "watch"), lambda words: list_watchpoints(debugger))


def set_watch(debugger, kind: str, argument: str) -> None:
    """watch / rwatch / awatch EXPR."""
    from ..commands import CommandError
    target = debugger.target
    address, length = watchexpr.parse(argument, target)
    found = target.find_watchpoint(address, length, kind)
    if found is not None:
        number = next(n for n, w in debugger.watch_numbers.items() if w.watchpoint is found)
        raise CommandError(f"watchpoint {number} already watches that")
    try:
        watchpoint = target.add_watchpoint(address, length, kind)
    except WatchError as error:
        raise CommandError(str(error)) from None
    number = debugger._next_number
    debugger._next_number += 1
    debugger.watch_numbers[number] = Numbered(number, argument.strip(), watchpoint)
    debugger.out.line(f"{WHAT[kind]} {number}: {argument.strip()} ({_span(target, watchpoint)})")


def delete_numbers(debugger, delete_breakpoints, argument: str) -> None:
    """delete [N...]: watchpoints by number here, breakpoints by the core command."""
    if not argument.strip():
        for numbered in debugger.watch_numbers.values():
            debugger.target.remove_watchpoint(numbered.watchpoint)
        debugger.watch_numbers.clear()
        delete_breakpoints("")
        return
    others = []
    for word in argument.split():
        number = debugger._number(word)
        if number in debugger.watch_numbers:
            debugger.target.remove_watchpoint(debugger.watch_numbers.pop(number).watchpoint)
        else:
            others.append(word)
    if others:
        delete_breakpoints(" ".join(others))


def list_all(debugger, info_breakpoints, words) -> None:
    """info breakpoints: the breakpoints, then the watchpoints."""
    if debugger.numbers or not debugger.watch_numbers:
        info_breakpoints(words)
    list_watchpoints(debugger, quiet=bool(debugger.numbers))


def list_watchpoints(debugger, quiet: bool = False) -> None:
    """info watchpoints."""
    if not debugger.watch_numbers:
        if not quiet:
            debugger.out.line("no watchpoints")
        return
    for number, numbered in sorted(debugger.watch_numbers.items()):
        watchpoint = numbered.watchpoint
        debugger.out.line(f"  {number}  {WHAT[watchpoint.kind]:<17}  {numbered.text}  "
                          f"({_span(debugger.target, watchpoint)})")


def stop_lines(debugger, event) -> list[str]:
    """The lines of a watchpoint stop: which one, the access, the values."""
    hit, target = event.watch, debugger.target
    number = next((n for n, w in debugger.watch_numbers.items() if w.watchpoint == hit.watchpoint), None)
    name = f"{WHAT[hit.watchpoint.kind]} {number}" if number is not None else WHAT[hit.watchpoint.kind]
    text = debugger.watch_numbers[number].text if number is not None else f"{hit.watchpoint.address:#x}"
    plural = "s" if hit.size != 1 else ""
    access = f"{hit.kind} of {hit.size} byte{plural} at {examine.label(target, hit.address)}"
    if hit.backwards:
        lines = [f"[position {event.position}] {name}: {text}, going back: the {access} is the instruction below"]
    else:
        lines = [f"[position {event.position}] {name}: {text}: {access}",
                 f"  by {_instruction(target, hit.rip)}"]
    if hit.kind == "write":
        lines += [f"  old value = {_value(hit.old)}", f"  new value = {_value(hit.new)}"]
    else:
        lines.append(f"  value = {_value(hit.old)}")
    return lines


def _instruction(target, address: int) -> str:
    """'0x... <sym>: mov ... (sensor.asm:156)'."""
    found = target.instruction_at(address)
    text = f"{found[2]} {found[3]}".strip() if found else "?"
    source = sourceview.where(target, address)
    return f"{examine.label(target, address)}: {text}" + (f"  ({source})" if source else "")


def _value(data: bytes) -> str:
    """Up to 8 bytes as a little-endian number, longer ranges as bytes."""
    if len(data) in (1, 2, 4, 8):
        return f"{int.from_bytes(data, 'little'):#0{2 + 2 * len(data)}x}"
    return data.hex(" ")


def _span(target, watchpoint) -> str:
    plural = "s" if watchpoint.length != 1 else ""
    return f"{watchpoint.length} byte{plural} at {examine.label(target, watchpoint.address)}"
