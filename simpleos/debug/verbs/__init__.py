"""The debugger's commands beyond the core set, one concept per module.

Each module listed in MODULES has `HELP` (lines for `help`, in the style of
commands.py's table) and `register(debugger)`, which adds its commands with
`debugger.add_command(names, method)` and its `info` topics with
`debugger.add_info_topic(names, method)`. A command reads the DebugTarget
through `debugger.target` and prints through `debugger.out`; raising
commands.CommandError prints one error line. To add a command, add a module
here -- not another branch in commands.py. These modules must not reach into
the kernel or the CPU beyond reading what they show.
"""
from __future__ import annotations

import importlib

MODULES: tuple[str, ...] = ("frames", "source", "telescope", "vmmap", "authority", "postmortem", "watch", "why")


def modules():
    """The command modules, imported."""
    return [importlib.import_module(f"{__name__}.{name}") for name in MODULES]
