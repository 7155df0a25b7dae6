"""`simpleos push FILE`: deliver a content update (a channel file) to the machine's disk.

This is the vendor's cloud pushing Channel File 291 to every sensor: the host
file is copied, atomically, to /drivers/sensor/<name> on the virtual disk,
where the sensor will find it at the next boot. Only channel file names are
accepted (C-<8 digits>-<anything>.sys), as real sensors only load those.
This command checks the name and copies bytes; it must not parse or judge
the file's contents: that is the sensor's (and the verifier's) business.
"""
from __future__ import annotations

from pathlib import Path

from ..channel import check_channel_file_name, read_host_file
from ..home import machine_dir, open_disk
from ..kernel.content import deliver_update
from ..kernel.install import SENSOR_DIR
from .common import add_machine_argument


def register(subparsers) -> None:
    """Add `push` to the command line."""
    push = subparsers.add_parser("push", help="deliver a channel file to the machine's disk (a content update)")
    push.add_argument("file", metavar="FILE", help="a channel file on the host, named C-<8 digits>-<anything>.sys")
    add_machine_argument(push)
    push.set_defaults(func=run_push)


def run_push(args) -> int:
    """Copy FILE to /drivers/sensor/ on the machine's disk and say so in one line."""
    source = Path(args.file)
    data = read_host_file(source)           # a missing file is "no such file", whatever its name
    check_channel_file_name(source.name)
    with open_disk(machine_dir(args.machine)) as fs:
        deliver_update(fs, source.name, data)
    print(f"pushed {source.name} ({len(data)} bytes) to {SENSOR_DIR}/")
    return 0
