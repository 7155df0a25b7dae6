"""Where a machine lives on the host: its directory and the disk image inside it.

A machine is a directory (`--machine DIR`, else $SIMPLEOS_MACHINE, else a
per-user state directory) holding `disk.img`, the virtual disk that persists
across CLI invocations and emulated reboots. This module finds that
directory and opens the disk; it must not decide what goes ON the disk (the
shipped defaults, channel files): that is for the commands and the kernel.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import BadInput
from .kernel.fs import FileSystem, FsError, format_disk
from .machine.blockdev import DEFAULT_BLOCK_COUNT, BlockDevice, DiskBusy, DiskImageError

DISK_IMAGE_NAME = "disk.img"
MACHINE_ENV = "SIMPLEOS_MACHINE"


def default_machine_dir() -> Path:
    """The per-user machine directory: $XDG_STATE_HOME/simpleos/machine or ~/.local/state/simpleos/machine."""
    state_home = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state_home):  # the XDG spec says to ignore a relative path
        state_home = os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state_home) / "simpleos" / "machine"


def machine_dir(arg: str | None = None) -> Path:
    """The machine's directory from `--machine`, $SIMPLEOS_MACHINE or the default; created if
    missing. BadInput if something in it is in the way of the machine's own files."""
    if arg is not None and not arg.strip():
        raise BadInput("--machine needs a directory (got an empty name)")
    if arg:
        path = Path(arg).expanduser()
    elif os.environ.get(MACHINE_ENV):
        path = Path(os.environ[MACHINE_ENV]).expanduser()
    else:
        path = default_machine_dir()
    if path.exists() and not path.is_dir():
        raise BadInput(f"cannot use machine directory {path}: it is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BadInput(f"cannot use machine directory {path}: {error.strerror or error}") from None
    _check_layout(path)
    return path


def _check_layout(machine: Path) -> None:
    """BadInput (before anything is touched) if a file or folder in `machine` is in the way:
    the disk image and its staging copy must be regular files, dumps/ a folder."""
    for name, want_dir in ((DISK_IMAGE_NAME, False), (DISK_IMAGE_NAME + ".new", False), ("dumps", True)):
        entry = machine / name
        if entry.exists() and entry.is_dir() != want_dir:
            kind = "a directory" if want_dir else "a regular file"
            raise BadInput(f"{entry} is in the way: it should be {kind}; move it aside")


def disk_image_path(machine: Path) -> Path:
    """The disk image file of the machine in directory `machine`."""
    return Path(machine) / DISK_IMAGE_NAME


def open_disk(machine: Path, create: bool = True) -> FileSystem:
    """Mount the machine's disk; if there is none, make an empty one (or, without `create`, refuse)."""
    image = disk_image_path(machine)
    if not image.exists():
        if not create:
            raise BadInput(f"no disk at {image}: boot the machine or push a file first")
        return create_disk(machine)
    device = BlockDevice.open(image)
    try:
        return FileSystem(device)
    except FsError as reason:
        device.close()
        raise FsError(f"{reason}; `simpleos boot --fresh` makes a new disk") from None
    except BaseException:
        device.close()
        raise


def create_disk(machine: Path, block_count: int = DEFAULT_BLOCK_COUNT) -> FileSystem:
    """Replace the machine's disk with a new, empty one and mount it (for first use and --fresh).

    The new image is built beside the old one and renamed over it, so an
    interrupted creation never leaves a half-made disk.img behind.
    """
    image = disk_image_path(machine)
    _refuse_if_in_use(image)
    staging = image.with_name(image.name + ".new")
    staging.unlink(missing_ok=True)
    with BlockDevice.create(staging, block_count) as device:
        format_disk(device)
    os.replace(staging, image)
    return FileSystem(BlockDevice.open(image))


def _refuse_if_in_use(image: Path) -> None:
    """DiskBusy if another process has `image` attached; a missing or damaged image is fine to replace."""
    try:
        BlockDevice.open(image).close()
    except DiskBusy:
        raise
    except DiskImageError:
        pass
