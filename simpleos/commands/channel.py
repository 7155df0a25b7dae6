"""`simpleos channel build | show | validate`: author and inspect channel files on the host.

build turns a TOML source into a .sys file, show prints one, validate runs the
template validator (and with --abi the sensor-ABI validator). Exit 0 ok, 1 bad
input or invalid content (one line per reason on stderr). This module only
parses arguments and prints; the work is in simpleos/channel/. It must NOT
boot or touch the emulated machine.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .. import channel       # a package whose parts load on first use (simpleos/channel/__init__.py)
from ..errors import BadInput

EXIT_OK, EXIT_INVALID = 0, 1


def register(subparsers) -> None:
    """Add `channel` and its three actions to the simpleos parser."""
    parser = subparsers.add_parser("channel", help="build, show or validate channel files (content updates)",
                                   description="Build, show or validate channel files (sensor content updates).")
    actions = parser.add_subparsers(dest="channel_action", metavar="ACTION")
    actions.required = True

    build = actions.add_parser("build", help="build a .sys channel file from a TOML source")
    build.add_argument("source", metavar="SRC", help="TOML source (see docs/channel-files.md)")
    build.add_argument("-o", "--output", metavar="OUT.sys", required=True, help="channel file to write")
    build.set_defaults(func=run_build)

    show_parser = actions.add_parser("show", help="print a channel file's header, instances and criteria")
    show_parser.add_argument("file", metavar="FILE", help="channel file (.sys)")
    show_parser.add_argument("--all", action="store_true",
                             help="list every criterion, wildcards (*) too (default: only those that test something)")
    show_parser.set_defaults(func=run_show)

    validate = actions.add_parser("validate", help="check a channel file against its template type")
    validate.add_argument("file", metavar="FILE", help="channel file (.sys)")
    validate.add_argument("--abi", action="store_true",
                          help="also check it against the inputs the sensor supplies (what `verified` does)")
    validate.set_defaults(func=run_validate)


def run_build(args) -> int:
    """Build SRC into OUT.sys and say what was written."""
    cf = channel.load_source(args.source)
    data = channel.serialize(cf)
    try:
        Path(args.output).write_bytes(data)
    except OSError as problem:
        raise BadInput(f"cannot write {args.output}: {problem.strerror or problem}") from None
    print(f"built {args.output}: channel {cf.channel}, content version {cf.content_version}, "
          f"{cf.instance_count} instances, {len(data)} bytes")
    return EXIT_OK


def run_show(args) -> int:
    """Print FILE as a table: the criteria that test something, or with --all every one."""
    cf = channel.load_channel_file(args.file)
    channel.print_channel_file(cf, title=Path(args.file).name, wildcards=args.all)
    return EXIT_OK


def run_validate(args) -> int:
    """Validate FILE; print "valid (...)" or each problem on its own stderr line."""
    cf = channel.load_channel_file(args.file)
    name = Path(args.file).name
    problems = channel.abi_validate(cf, name) if args.abi else channel.template_validate(cf, name)
    if problems:
        for problem in problems:
            print(f"simpleos: {args.file}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    print("valid (template + ABI)" if args.abi else "valid (template)")
    return EXIT_OK
