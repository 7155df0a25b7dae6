"""Where the shipped guest sources and sample content are, checkout or installed wheel.

userland/, drivers/ and channel_files/ sit at the top of the source tree and
are mapped into the package as simpleos.userland, simpleos.drivers and
simpleos.channel_files (pyproject.toml), so this works both ways.
"""
from __future__ import annotations

from pathlib import Path


_CHECKOUT = Path(__file__).resolve().parent.parent


def _package_dir(package: str) -> Path:
    """The folder of `package`: the checkout's top-level folder when running from a
    checkout (so edits to userland/ take effect at once), else the installed copy."""
    name = package.split(".", 1)[1]
    top_level = _CHECKOUT / name
    if top_level.is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
        return top_level
    # Installed: the mapped folders land inside the simpleos package (they have no
    # __init__.py, so importlib.resources would hand back a MultiplexedPath).
    return Path(__file__).resolve().parent / name


def userland_dir() -> Path:
    """The userland programs (init, services, demos) as .asm sources."""
    return _package_dir("simpleos.userland")


def drivers_dir() -> Path:
    """The guest drivers (the sensor) and their manifests."""
    return _package_dir("simpleos.drivers")


def channel_files_dir() -> Path:
    """The sample channel files and their sources."""
    return _package_dir("simpleos.channel_files")


def kernel_asm_dir() -> Path:
    """The kernel's own ring-0 assembly (entry trampolines)."""
    return Path(__file__).parent / "kernel"
