"""`simpleos cc PROG.c [-o PROG]`: build a C program for SimpleOS with the host's gcc.

Argument parsing and one line of report; the build itself is
simpleos/cbuild.py. Exit 0 built, 1 no compiler or the program does not
compile (the compiler's own messages come first, on stderr).
"""
from __future__ import annotations

from pathlib import Path

from .. import cbuild


def register(subparsers) -> None:
    """Add the `cc` command."""
    parser = subparsers.add_parser("cc", help="build a C program (static x86-64 ELF) with the host's gcc",
                                   description="Compile C sources with the SimpleOS runtime (userland/libc/) "
                                   "into a static x86-64 executable for `simpleos run`.")
    parser.add_argument("sources", metavar="SOURCE", nargs="+", help="C sources (.c), or assembly for gcc (.S)")
    parser.add_argument("-o", "--output", metavar="PROG",
                        help="the executable to write (default: the first source's name without .c)")
    parser.add_argument("-O", dest="optimization", default="g", metavar="LEVEL",
                        help="optimization level 0, 1, 2, s or g (default g: debuggable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the compiler command line")
    parser.set_defaults(func=main)


def main(args) -> int:
    """Build, then say what was built and how to run it."""
    output = args.output or Path(args.sources[0]).stem
    image = cbuild.build(args.sources, output, args.optimization, echo=print if args.verbose else None)
    rights = ", ".join(segment.header.rights() for segment in image.segments)
    print(f"built {output}: static x86-64 ELF, entry {image.entry:#x}, segments {rights}; "
          f"run it with: simpleos run {output}")
    return 0
