"""Content updates: delivering channel files, and taking them back (quarantine, rollback).

A content update is one channel file written into /drivers/sensor/ in one
atomic commit, together with a line in the update log, so that "the newest
update" is known later (automatic repair rolls it back). Quarantine moves a
file out of the sensor's directory into /drivers/sensor/quarantine/, where
the sensor no longer loads it but an administrator can still inspect it.
"""
from __future__ import annotations

from ..channel.names import check_channel_file_name
from .install import SENSOR_DIR

UPDATE_LOG = "/var/log/content-updates"
QUARANTINE_DIR = f"{SENSOR_DIR}/quarantine"


def deliver_update(fs, name: str, data: bytes) -> str:
    """Write channel file `name` into the sensor's directory (atomically, with the log line)."""
    check_channel_file_name(name)
    target = f"{SENSOR_DIR}/{name}"
    with fs.transaction():
        log = fs.read_file(UPDATE_LOG) if fs.exists(UPDATE_LOG) else b""
        fs.write_file(target, data, parents=True)
        fs.write_file(UPDATE_LOG, log + name.encode() + b"\n", parents=True)
    return target


def newest_update(fs) -> str | None:
    """The most recently delivered channel file still in the sensor's directory."""
    if not fs.exists(UPDATE_LOG):
        return None
    for name in reversed(fs.read_file(UPDATE_LOG).decode().split()):
        if fs.exists(f"{SENSOR_DIR}/{name}"):
            return name
    return None


def quarantine(fs, name: str) -> str:
    """Move a channel file out of the sensor's way (atomically); its new path."""
    target = f"{QUARANTINE_DIR}/{name}"
    with fs.transaction():
        fs.mkdir(QUARANTINE_DIR, parents=True, exist_ok=True)
        fs.rename(f"{SENSOR_DIR}/{name}", target)
    return target
