"""`simpleos disk ls|cat|rm|put`: look at and repair the machine's virtual disk from the host.

This is the host-side twin of the recovery console: the way an admin would
pull a disk and delete the bad channel file by hand. It only parses,
calls the file system (kernel/fs.py) and prints; it holds no policy about
which files matter.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..home import machine_dir, open_disk
from ..hostfiles import read_regular_file
from ..kernel.fs import Entry
from .common import add_machine_argument


MAX_PUT_BYTES = 16 << 20         # the whole disk is 16 MiB


def register(subparsers) -> None:
    """Add `disk` and its four actions to the command line."""
    disk = subparsers.add_parser("disk", help="list, print, delete or write files on the machine's virtual disk")
    actions = disk.add_subparsers(dest="disk_action", metavar="ACTION", parser_class=type(disk))
    actions.required = True

    ls = actions.add_parser("ls", help="list a directory (default /)")
    ls.add_argument("path", nargs="?", default="/", metavar="PATH")
    ls.set_defaults(func=run_ls)

    cat = actions.add_parser("cat", help="write a file's raw bytes to stdout")
    cat.add_argument("path", metavar="PATH")
    cat.set_defaults(func=run_cat)

    rm = actions.add_parser("rm", help="delete a file or an empty directory")
    rm.add_argument("path", metavar="PATH")
    rm.set_defaults(func=run_rm)

    put = actions.add_parser("put", help="write a host file to PATH (replacing it), atomically")
    put.add_argument("source", metavar="HOSTFILE")
    put.add_argument("path", metavar="PATH")
    put.set_defaults(func=run_put)

    for action in (ls, cat, rm, put):
        add_machine_argument(action)


def format_entry(entry: Entry) -> str:
    """One `ls` line: `name/` for a directory, `name  size` for a file."""
    return f"{entry.name}/" if entry.is_dir else f"{entry.name}  {entry.size}"


def run_ls(args) -> int:
    """List PATH: a directory's entries sorted by name, or the one line of a file."""
    with open_disk(machine_dir(args.machine), create=False) as fs:
        entry = fs.stat(args.path)
        entries = fs.listdir(args.path) if entry.is_dir else [entry]
    for entry in entries:
        print(format_entry(entry))
    return 0


def run_cat(args) -> int:
    """Copy the bytes of the file PATH to stdout, unchanged."""
    with open_disk(machine_dir(args.machine), create=False) as fs:
        data = fs.read_file(args.path)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


def run_rm(args) -> int:
    """Delete the file or empty directory PATH, atomically."""
    with open_disk(machine_dir(args.machine), create=False) as fs:
        fs.remove(args.path)
    print(f"removed {args.path}")
    return 0


def run_put(args) -> int:
    """Write the host file HOSTFILE to PATH on the disk (parents created), in one atomic commit."""
    data = read_regular_file(Path(args.source), MAX_PUT_BYTES, "file to put on the disk")
    with open_disk(machine_dir(args.machine), create=False) as fs:
        fs.write_file(args.path, data, parents=True)
    print(f"wrote {args.path} ({len(data)} bytes)")
    return 0
