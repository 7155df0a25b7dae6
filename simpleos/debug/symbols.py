"""Names for addresses and addresses for names: the debugger's symbol table.

Code the debugger knows by name: the kernel's modules (entry code, kapi
stubs, ring-0 drivers such as sensor.sys) in the kernel half, and the image
of a ring-3 process (its program, or a ring-3 driver, plus the kapi stubs
mapped into it). Symbols come from the assembler's label table. Addresses
print as 'sensor.sys!compare_string+0xa' or 'beacon!_start+0x12', as WinDbg
does. Lookup only: nothing here reads guest memory or runs code.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..assembler import Image


class UnknownSymbol(LookupError):
    """No code or data by that name (args: the name, and the nearest known name or None)."""

    def __str__(self) -> str:
        nearest = self.args[1] if len(self.args) > 1 else None
        return f"no symbol {self.args[0]!r}" + (f" (did you mean {nearest}?)" if nearest else "")


def nearest_name(wanted: str, names) -> str | None:
    """The known name closest to a mistyped one (difflib's ratio, at least 0.75), or None.
    `wanted` may carry a 'module!' qualifier: the answer then carries it too."""
    import difflib
    qualifier, bang, name = wanted.rpartition("!")
    found = difflib.get_close_matches(name, sorted(set(names)), n=1, cutoff=0.75)
    return f"{qualifier}{bang}{found[0]}" if found else None


@dataclass
class CodeRegion:
    """One image mapped somewhere, and the name that qualifies its symbols."""
    name: str
    image: Image

    def contains(self, address: int) -> bool:
        """Is `address` inside the image?"""
        return image_contains(self.image, address)


def image_contains(image: Image, address: int) -> bool:
    """Is `address` inside `image`: its code and data, or (an ELF executable) any of its segments?"""
    if image.base <= address < image.base + len(image.code):
        return True
    segment_at = getattr(image, "segment_at", None)
    return segment_at is not None and segment_at(address) is not None


def regions(kernel, process) -> list[CodeRegion]:
    """The images visible now: `process`'s own (ring 3) first, then the kernel's modules."""
    found = []
    if process is not None and process.ring == 3 and process.image is not None:
        found.append(CodeRegion(process_label(process), process.image))
        kapi = getattr(process, "kapi", None) or getattr(kernel, "kapi_user", None)   # (nanokernel: kapi_cap)
        if kapi is not None and process.image is not kapi and process.image.name.endswith(".sys"):
            found.append(CodeRegion("kapi", kapi))
    found += [CodeRegion(module.name, module.image) for module in kernel.modules]
    return found


def target_regions(target) -> list[CodeRegion]:
    """regions() of a live target; none for a crash dump, which keeps no images."""
    kernel = getattr(target, "kernel", None)
    return regions(kernel, target.current_process) if kernel is not None else []


def process_label(process) -> str:
    """How a ring-3 image is named: a driver by its module name (sensor.sys), a program by its process name."""
    image_name = process.image.name if process.image is not None else ""
    return image_name if image_name.endswith(".sys") else process.name


def symbolize(kernel, process, address: int) -> str:
    """'sensor.sys!compare_string+0xa'; 'module+0x1a3' without a label; '0x...' outside known code."""
    for region in regions(kernel, process):
        if region.contains(address):
            found = region.image.symbol_at(address)
            if found is None:
                return f"{region.name}+{address - region.image.base:#x}"
            name, offset = found
            return f"{region.name}!{name}" + (f"+{offset:#x}" if offset else "")
    return f"{address:#x}"


def lookup(kernel, process, symbol: str, others=(), first: CodeRegion | None = None) -> int:
    """The address of 'compare_string', 'sensor.sys!compare_string', 'beacon!_start' or a module
    name ('sensor.sys' = its base). `others`: more processes whose images may be named;
    `first`: an image searched before all others (`debug PROG`'s program, even before it runs)."""
    qualifier, _, name = symbol.rpartition("!")
    candidates = ([first] if first is not None else []) + regions(kernel, process)
    for other in others:
        if other is not process and other.ring == 3 and other.image is not None:
            candidates.append(CodeRegion(process_label(other), other.image))
    for region in candidates:
        if qualifier and qualifier not in (region.name, region.image.name):
            continue
        if name in region.image.symbols:
            return region.image.symbols[name]
    if not qualifier:
        for region in candidates:
            if name in (region.name, region.image.name):
                return region.image.base
    known = [label for region in candidates if not qualifier or qualifier in (region.name, region.image.name)
             for label in region.image.symbols]
    raise UnknownSymbol(symbol, nearest_name(symbol, known))
