"""Channel file names: `C-<channel, 8 digits>-<anything>.sys`, as on real machines.

Only the naming convention lives here (e.g. C-00000291-00000000-00000032.sys).
It must NOT read files: the name says which channel a file claims to be, the
header says which channel it is.
"""
from __future__ import annotations

import re

from ..errors import BadInput

NAME_PATTERN = re.compile(r"^C-(\d{8})-.*\.sys$", re.IGNORECASE)


def channel_from_name(name: str) -> int | None:
    """The channel number a file name claims (C-00000291-x.sys -> 291), or None if not a channel file name."""
    match = NAME_PATTERN.match(name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    return int(match.group(1)) if match else None


def is_channel_file_name(name: str) -> bool:
    """True for names following the C-<8 digits>-<anything>.sys convention."""
    return channel_from_name(name) is not None


def channel_file_name(channel: int, content_version: int) -> str:
    """The conventional name of a content version: C-00000291-00000000-00000032.sys."""
    return f"C-{channel:08d}-00000000-{content_version:08d}.sys"


def check_channel_file_name(name: str) -> None:
    """BadInput unless `name` follows the convention C-<8 digits>-<anything>.sys."""
    if not is_channel_file_name(name):
        raise BadInput(f"not a channel file name: {name!r} (expected C-<8 digits>-<anything>.sys)")
