"""The one exception type that means "the user gave us bad input".

Raise BadInput with a one-line reason anywhere in the host program; the CLI
prints `simpleos: <reason>` on stderr and exits 1 (../docs/cli.md). It must
never be used for faults inside the emulated machine: those are Traps.
"""


class BadInput(Exception):
    """Bad input from the user: a missing file, a malformed channel file, bad assembly..."""
