"""The `simpleos` command line: parses arguments and dispatches to simpleos/commands/.

The names, flags, JSON fields and exit codes are a public contract
(docs/cli.md). This file only wires sub-commands; each lives in its own
module under simpleos/commands/ with a `register(subparsers)` function.
It must not contain kernel or machine logic.

Exit codes: 0 up, 1 bad input, 2 usage error, 3 the machine did not come up.
"""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import BadInput

EXIT_UP, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_DOWN = 0, 1, 2, 3

COMMAND_MODULES = ["boot", "run", "push", "disk", "channel", "compare", "debug", "analyze", "cc", "fleet", "fuzz",
                   "lab", "grade"]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (try --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, with every sub-command registered (`only`: just that one, as main()
    does when the command line names it -- a boot need not load the other seven)."""
    import importlib

    parser = OneLineParser(prog="simpleos", description="SimpleOS: break a kernel with a content update, then fix it.")
    parser.add_argument("--version", action="version", version=f"simpleos {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for name in COMMAND_MODULES if only is None else [only]:
        try:
            module = importlib.import_module(f"simpleos.commands.{name}")
        except ModuleNotFoundError as missing:
            if missing.name == f"simpleos.commands.{name}":
                continue  # that command is not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `simpleos` console script."""
    arguments = sys.argv[1:] if argv is None else argv
    command = arguments[0] if arguments and arguments[0] in COMMAND_MODULES else None
    try:
        parser = build_parser(command)  # a broken model file is bad input too (isolation registry)
    except BadInput as reason:
        print(f"simpleos: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args = parser.parse_args(arguments)
    try:
        code = args.func(args)
    except BadInput as reason:
        for line in str(reason).splitlines() or [""]:   # several problems: one line each
            print(f"simpleos: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("simpleos: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_UP
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
