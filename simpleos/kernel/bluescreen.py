"""The blue screen: what a bugcheck looks like on the console.

Modelled on Windows 10's stop screen plus the classic STOP line, which is
what administrators copied into tickets on 19 July 2024. Formatting only.
"""
from __future__ import annotations

from .bugcheck import Bugcheck

FIRST_LINE = "  :("                 # the screen starts here (after one empty line)
LAST_LINE = "  Restarting ..."      # and ends here (before one empty line)


def blue_screen(bugcheck: Bugcheck, symbol: str | None, dump_path: str | None) -> list[str]:
    """The lines of the blue screen for `bugcheck`."""
    params = ", ".join(f"0x{p:016X}" for p in bugcheck.parameters)
    failed = bugcheck.where() + (f" ({symbol})" if symbol else "")
    return [
        "",
        FIRST_LINE,
        "  Your PC ran into a problem and needs to restart.",
        "",
        f"  Stop code: {bugcheck.name}",
        f"  What failed: {failed}",
        "",
        f"  *** STOP: 0x{bugcheck.code:08X} ({params})",
        f"  *** {bugcheck.module} - Address 0x{bugcheck.rip:016X} base at 0x{bugcheck.rip - bugcheck.offset:016X}",
        "",
        f"  Collecting data for crash dump ... {dump_path or 'no dump written'}",
        LAST_LINE,
        "",
    ]
