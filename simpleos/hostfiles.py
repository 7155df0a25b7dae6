"""Reading the user's files from the host: regular files only, never more than a cap.

Every file SimpleOS takes from the command line -- an assembly source, a
channel file, a TOML source, a crash dump, a debugger script -- comes
through here. A path that is missing, a directory, a FIFO or a device
(/dev/zero, /dev/urandom) or a file larger than its kind allows is a
one-line BadInput, so no input can hang the host or fill its memory. The
file is opened without blocking and checked after opening, so nothing can
be swapped in between the check and the read. Host I/O only: no policy.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import BadInput


def read_regular_file(path: str | Path, limit: int, kind: str = "file") -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; BadInput otherwise."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except IsADirectoryError:
        raise BadInput(f"not a regular file: {path} (a directory)") from None
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror or error}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            what = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file"
            raise BadInput(f"not a regular file: {path} ({what})")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise BadInput(f"{path} is too large ({kind}s are at most {_size(limit)})")
    return data


def read_text_file(path: str | Path, limit: int, kind: str = "file") -> str:
    """read_regular_file, decoded as UTF-8 (BadInput if it is not text)."""
    data = read_regular_file(path, limit, kind)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not a text file (not UTF-8); a {kind} is text") from None


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 and not limit % (1 << 20) else f"{limit:,} bytes"
