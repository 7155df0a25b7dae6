"""What the sensor was doing when it died: for crash dumps and for the reincarnation server.

The sensor keeps two words for exactly this purpose (drivers/sensor/sensor.asm):
`current_instance` (the rule being tested) and `current_criterion` (which of
its criteria). Read from the sensor's memory -- through `read(address,
length)`, which the caller provides for the right address space -- they
say which channel file, rule and criterion the interpreter was on. Reads
only; never changes the sensor.
"""
from __future__ import annotations

from ...channel.format import HEADER_SIZE, MAGIC

MAGIC_BYTES = MAGIC.to_bytes(4, "little")

FORMAT_VERSION_BYTES = b"\x01\x00"


def crash_context(manager, read) -> dict:
    """What the sensor was interpreting: driver, build, ring, content, file, rule and criterion.
    `read(address, length)` reads the sensor's memory (bytes or None)."""
    process = manager.process
    image = process.image if process else None
    context = {"driver": manager.manifest.name, "build": manager.build, "ring": process.ring if process else None,
               "content": [name for name, _ in manager.content], "file": None, "instance": None,
               "criterion": None, "inputs_address": None}
    if image is None or "current_instance" not in image.symbols:
        return context

    def word(symbol):
        raw = read(image.symbols[symbol], 8)
        return int.from_bytes(raw, "little") if raw else None
    instance, criterion = word("current_instance"), word("current_criterion")
    context["inputs_address"] = image.symbols.get("ipc_context")
    if instance:
        context["file"] = content_file_at(manager.content, instance, image.symbols["content_area"])
        raw = read(instance, 4)
        context["instance"] = int.from_bytes(raw, "little") if raw else None
        context["criterion"] = criterion
    return context


def content_file_at(content: list[tuple[str, bytes]], address: int, content_base: int) -> str | None:
    """Which channel file a sensor address inside its content area belongs to. The sensor
    lays files out in order, 8-byte aligned, and skips ones with a bad header (load_content)."""
    offset = address - content_base
    position = 0
    for name, data in content:
        if len(data) < HEADER_SIZE or data[:4] != MAGIC_BYTES or data[4:6] != FORMAT_VERSION_BYTES:
            continue
        if position <= offset < position + len(data):
            return name
        position = (position + len(data) + 7) & ~7
    return None


def reader_for(space, memory):
    """read(address, length) over one address space (None where it is not mapped)."""
    def read(address: int, length: int):
        physical = space.translate(address)
        return memory.read(physical, length) if physical is not None else None
    return read
