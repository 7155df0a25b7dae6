"""Channel files: the sensor's content updates (format, sources, validators, display).

Everything here is host-side Python over bytes; it must NOT touch the emulated
machine. The kernel loads a file with `load_channel_file(path)` (or
`parse(data)`) and hands `cf.instances` to the sensor; the `verified` model
runs `abi_validate(cf)` first. See docs/channel-files.md.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from ..hostfiles import read_regular_file
from .names import channel_file_name, channel_from_name, check_channel_file_name, is_channel_file_name

# The rest is loaded on first use (PEP 562), so that a boot -- which only checks names and
# parses content -- does not import the source compiler, the validators and the display.
_SUBMODULE_OF = {
    **dict.fromkeys(["ACTION_DENY", "ACTION_NAMES", "ACTION_NOTIFY", "FORMAT_VERSION", "HEADER_SIZE",
                     "KIND_INT_EQUALS", "KIND_NAMES", "KIND_STRING_EQUALS", "KIND_STRING_PREFIX", "KIND_WILDCARD",
                     "MAGIC", "ChannelFile", "ChannelFormatError", "Criterion", "Instance", "parse", "serialize"],
                    "format"),
    **dict.fromkeys(["print_channel_file", "render_plain"], "show"),
    **dict.fromkeys(["ChannelSourceError", "build_source", "load_source"], "source"),
    **dict.fromkeys(["FIELDS_DECLARED", "INPUTS_SUPPLIED", "IPC", "IPC_FIELDS_DECLARED", "IPC_INPUTS_SUPPLIED",
                     "PROCESS", "PROCESS_FIELDS_DECLARED", "PROCESS_INPUTS_SUPPLIED", "TEMPLATE_IPC",
                     "TEMPLATE_PROCESS", "TEMPLATE_TYPES", "Field", "TemplateType", "template_type",
                     "template_type_named"], "templates"),
    **dict.fromkeys(["abi_validate", "template_validate"], "validate"),
}


def __getattr__(name: str):
    """Load the submodule that defines `name` (the package's lazy exports)."""
    submodule = _SUBMODULE_OF.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{submodule}"), name)
    globals()[name] = value
    return value


MAX_CHANNEL_FILE_BYTES = 1 << 20     # the sensor's whole content area is 64 KiB


def read_host_file(path: str | Path) -> bytes:
    """The bytes of a channel file on the host (a regular file, at most 1 MiB); BadInput
    with a one-line reason if it cannot be read."""
    return read_regular_file(path, MAX_CHANNEL_FILE_BYTES, "channel file")


def load_channel_file(path: str | Path):
    """Read and parse a channel file from the host; raises BadInput/ChannelFormatError with the reason."""
    from .format import ChannelFormatError, parse
    data = read_host_file(path)
    try:
        return parse(data)
    except ChannelFormatError as bad:
        raise ChannelFormatError(f"{path}: {bad}") from None


__all__ = [
    "ACTION_DENY", "ACTION_NAMES", "ACTION_NOTIFY", "FORMAT_VERSION", "HEADER_SIZE", "KIND_INT_EQUALS", "KIND_NAMES",
    "KIND_STRING_EQUALS", "KIND_STRING_PREFIX", "KIND_WILDCARD", "MAGIC", "ChannelFile", "ChannelFormatError",
    "Criterion", "Instance", "parse", "serialize",
    "channel_file_name", "channel_from_name", "check_channel_file_name", "is_channel_file_name",
    "print_channel_file", "render_plain",
    "ChannelSourceError", "build_source", "load_source",
    "FIELDS_DECLARED", "INPUTS_SUPPLIED", "IPC", "IPC_FIELDS_DECLARED", "IPC_INPUTS_SUPPLIED", "PROCESS",
    "PROCESS_FIELDS_DECLARED", "PROCESS_INPUTS_SUPPLIED", "TEMPLATE_IPC", "TEMPLATE_PROCESS", "TEMPLATE_TYPES",
    "Field", "TemplateType", "template_type", "template_type_named",
    "abi_validate", "template_validate",
    "read_host_file", "load_channel_file",
]
