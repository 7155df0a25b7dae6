"""`why`: at a held fault, the chain back to who wrote the bad pointer and which rule asked for it.

The chain is built by debug/why.py (it runs the machine backwards and
brings it back); this module only prints it, or the one-line refusal
when there is no held fault (or the session is a crash dump).
"""
from __future__ import annotations

from ..why import WhyRefusal, why_lines

HELP = ["  why                        at a held fault: the faulting access, the load of the bad pointer, the store",
        "                             that put it there, the rule that asked for it -- each with position and line"]


def register(debugger) -> None:
    """Add `why`."""
    debugger.add_command(("why",), lambda argument: do_why(debugger))


def do_why(debugger) -> None:
    """why."""
    from ..commands import CommandError
    try:
        debugger.out.lines(why_lines(debugger.target))
    except WhyRefusal as refusal:
        raise CommandError(str(refusal)) from None
