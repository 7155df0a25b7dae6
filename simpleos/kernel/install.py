"""The shipped default contents of a new machine's disk (what `--fresh` reinstalls).

A fresh machine has the sensor's good content for channel 291 (named pipes)
and channel 292 (process exec) under /drivers/sensor/, as a real sensor
install would. Only the install decides what goes on a new disk.
"""
from __future__ import annotations

from ..resources import channel_files_dir

SENSOR_DIR = "/drivers/sensor"
DEFAULT_CHANNEL_FILES = ["C-00000291-good.sys", "C-00000292-process.sys"]


def default_files() -> dict[str, bytes]:
    """path on the disk -> content, for a freshly installed machine."""
    files = {"/etc/hostname": b"simpleos\n"}
    for name in DEFAULT_CHANNEL_FILES:
        source = channel_files_dir() / name
        if source.is_file():
            files[f"{SENSOR_DIR}/{name}"] = source.read_bytes()
    return files


def install_defaults(fs) -> None:
    """Put the shipped defaults on a (freshly formatted) disk in one atomic commit."""
    with fs.transaction():
        for path, content in default_files().items():
            fs.write_file(path, content, parents=True)


def is_installed(fs) -> bool:
    """Has this disk been installed (rather than just created by a `push`)?"""
    return fs.exists("/etc/hostname")
