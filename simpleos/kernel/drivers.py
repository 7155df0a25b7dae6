"""The driver loader's tools: read a driver's manifest, assemble it at a base, bind its imports.

Where a driver runs is not the driver's decision: the isolation model picks
a placement (placement.py: a kernel thread, or a process of its own). The
placement then assembles the same source at the right base with these
functions and fills its import table (the `import_NAME` slots) with the
addresses of the matching `kapi_NAME` stubs (kernel/kapi.asm) mapped where
that ring can call them. Nothing here decides or starts anything.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..assembler import Image, assemble, cache_dir, read_source
from ..digest import sha256
from ..channel.templates import IPC, PROCESS
from ..errors import BadInput
from ..machine.layout import USER_TEXT_BASE
from ..record import dataclass, field, replace
from ..resources import drivers_dir


IMPORT_PREFIX = "import_"
KAPI_PREFIX = "kapi_"


@dataclass
class DriverManifest:
    """What drivers/NAME/manifest.toml says."""
    name: str
    source: Path
    start: str
    templates: list[int]
    builds: dict[str, dict[str, int]] = field(default_factory=dict)
    description: str = ""
    switches: dict[str, int] = field(default_factory=dict)   # [switches]: features off unless turned on

    def with_switches(self, **values: int) -> "DriverManifest":
        """This manifest with some of its switches set (by a placement, or by a boot's options)."""
        unknown = sorted(set(values) - set(self.switches))
        if unknown:
            raise BadInput(f"{self.name} has no switch {unknown[0]!r} (switches: {', '.join(sorted(self.switches))})")
        return replace(self, switches={**self.switches, **{key: int(value) for key, value in values.items()}})


def read_manifest(driver: str) -> DriverManifest:
    """The manifest of drivers/<driver>/."""
    folder = drivers_dir() / driver
    try:
        raw = _parsed_toml((folder / "manifest.toml").read_text(), f"{folder}/manifest.toml")
    except FileNotFoundError:
        raise BadInput(f"no driver named {driver!r} (no {folder}/manifest.toml)") from None
    return DriverManifest(name=raw["name"], source=folder / raw["source"], start=raw.get("start", "demand"),
                          templates=list(raw.get("templates", [])), builds=dict(raw.get("builds", {})),
                          description=raw.get("description", ""),
                          switches={key: int(value) for key, value in raw.get("switches", {}).items()})


def _parsed_toml(text: str, where: str) -> dict:
    """The table of a TOML text, remembered on the host by the text's hash: a boot whose
    manifest did not change needs no TOML parser (tomllib brings datetime and string,
    ~8 ms a start). Only what JSON holds is remembered, which a manifest is."""
    cache_file = cache_dir("toml") / f"{sha256(text.encode()).hexdigest()}.json"
    try:
        return json.loads(cache_file.read_text())
    except (OSError, ValueError):
        pass
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{where}: {error}") from None
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(table))
        os.replace(temporary, cache_file)
    except (OSError, TypeError, ValueError):
        pass  # a read-only home, or values JSON cannot hold: only costs speed
    return table


def driver_defines(manifest: DriverManifest, build: str) -> dict[str, int]:
    """Assembler defines for a build: the sensor ABI constants, the manifest's switches (as set),
    then the build's own constants."""
    if build not in manifest.builds:
        known = ", ".join(sorted(manifest.builds))
        raise BadInput(f"{manifest.name} has no build {build!r} (builds: {known})")
    defines = {
        "IPC_INPUTS": IPC.inputs_supplied,
        "PROCESS_INPUTS": PROCESS.inputs_supplied,
        "IPC_STRING_MASK": IPC.string_mask,
        "PROCESS_STRING_MASK": PROCESS.string_mask,
    }
    defines.update(manifest.switches)
    defines.update({key: int(value) for key, value in manifest.builds[build].items()})
    return defines


def assemble_driver(manifest: DriverManifest, build: str, base: int) -> Image:
    """The driver's image, assembled to run at `base`."""
    source, origins = read_source(manifest.source)
    return assemble(source, base, manifest.name, driver_defines(manifest, build), origins)


def driver_size(manifest: DriverManifest, build: str) -> int:
    """How many bytes the driver needs (to reserve its place before the real assembly)."""
    return len(assemble_driver(manifest, build, USER_TEXT_BASE).code)


def bind_imports(image: Image, kapi: Image, exports: dict[str, int] | None = None) -> Image:
    """Fill every import_NAME slot of `image` with the address of kapi_NAME in `kapi`, or
    else with exports[NAME] (a kernel structure's address; 0: not exported to this ring)."""
    code = bytearray(image.code)
    exports = exports or {}
    for symbol, address in image.symbols.items():
        if not symbol.startswith(IMPORT_PREFIX):
            continue
        name = symbol[len(IMPORT_PREFIX):]
        if KAPI_PREFIX + name in kapi.symbols:
            value = kapi.symbols[KAPI_PREFIX + name]
        elif name in exports:
            value = exports[name]
        else:
            raise BadInput(f"{image.name} imports {name!r}, which the kernel does not export")
        offset = address - image.base
        code[offset:offset + 8] = value.to_bytes(8, "little")
    return replace(image, code=bytes(code), symbols=dict(image.symbols))   # text_end, line table kept
