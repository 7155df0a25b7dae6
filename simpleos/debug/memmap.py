"""The memory map of the stopped machine: which ranges are mapped, with which rights, and what they are.

Ranges come from the page tables (machine/pagemap.py walks them); this
module names them as pwndbg's vmmap does -- `sensor.sys` text or data, a
process's stack, the direct map of RAM, the kapi stubs -- using what the
kernel knows about its modules and processes. A crash dump carries the
same ranges without the kernel: dump_map() names those from the dump's
module list and its RSP. Used by `vmmap`, `telescope`, the context view
and the gdb stub's `monitor info mem`. Reads only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..kernel.placement import KAPI_USER_BASE
from ..machine import pagemap
from ..machine.layout import DIRECT_MAP_BASE, PAGE_SIZE, USER_STACK_PAGES, USER_STACK_TOP, is_user_address
from .symbols import process_label, regions as image_regions

TEXT, DATA, STACK, DIRECT_MAP, KAPI, OTHER = "text", "data", "stack", "direct map", "kapi", ""


@dataclass(frozen=True)
class Region:
    """One named range of the address space."""
    start: int
    end: int
    user: bool
    writable: bool
    executable: bool
    kind: str = OTHER          # text | data | stack | direct map | kapi | '' (unknown)
    owner: str = ""            # 'sensor.sys', 'beacon', 'sensor' (whose stack), ...

    @property
    def perms(self) -> str:
        """'r-x', 'rw-' (present pages are always readable)."""
        return "r" + ("w" if self.writable else "-") + ("x" if self.executable else "-")

    @property
    def privilege(self) -> str:
        """'U' (ring 3 may touch it) or 'S' (supervisor only)."""
        return "U" if self.user else "S"

    @property
    def name(self) -> str:
        """'sensor.sys .text', 'stack of sensor', 'direct map', 'kernel' ..."""
        if self.kind in (TEXT, DATA):
            return f"{self.owner} .{self.kind}"
        if self.kind == STACK:
            return f"stack of {self.owner}" if self.owner else "stack"
        if self.kind:
            return self.kind
        return "user" if is_user_address(self.start) else "kernel"

    def contains(self, address: int) -> bool:
        """Is `address` inside?"""
        return self.start <= address < self.end

    def tag(self) -> str:
        """'stack, rw-, S': the short description telescope and the context view print."""
        return f"{self.kind or self.name}, {self.perms}, {self.privilege}"


def region_at(found: list[Region], address: int) -> Region | None:
    """The region holding `address`, if it is mapped."""
    return next((region for region in found if region.contains(address)), None)


def live_map(kernel, process, space) -> list[Region]:
    """The named regions of `space` (the address space CR3 points at), `process` on the CPU."""
    images = image_regions(kernel, process)
    stacks = {frame: p.name for p in kernel.processes.values() if p.ring == 0 for frame in p.frames}
    ram_end = DIRECT_MAP_BASE + kernel.machine.memory.size
    stack_owner = process_label(process) if process is not None and process.ring == 3 else ""

    def classify(leaf: pagemap.Leaf) -> tuple[str, str]:
        address = leaf.virtual
        for image in images:
            if image.image.base <= address < image.image.base + _page_up(len(image.image.code)):
                kind = TEXT if address < image.image.base + image.image.data_offset else DATA
                return ("kapi", KAPI) if image.name == "kapi" else (image.name, kind)
        if DIRECT_MAP_BASE <= address < ram_end:
            return "", DIRECT_MAP
        if USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE <= address < USER_STACK_TOP:
            return stack_owner, STACK
        if KAPI_USER_BASE <= address < KAPI_USER_BASE + _page_up(len(kernel.kapi_user.code)):
            return "kapi", KAPI
        if leaf.physical in stacks:
            return stacks[leaf.physical], STACK
        return "", OTHER

    named = [(leaf, classify(leaf)) for leaf in pagemap.leaves(space)]
    result: list[Region] = []
    for leaf, (owner, kind) in named:
        previous = result[-1] if result else None
        if previous is not None and previous.end == leaf.virtual and (previous.kind, previous.owner) == (kind, owner) \
                and (previous.user, previous.writable, previous.executable) == (leaf.user, leaf.writable,
                                                                                 leaf.executable):
            result[-1] = Region(previous.start, leaf.virtual + leaf.size, leaf.user, leaf.writable, leaf.executable,
                                kind, owner)
        else:
            result.append(Region(leaf.virtual, leaf.virtual + leaf.size, leaf.user, leaf.writable,
                                 leaf.executable, kind, owner))
    return result


def dump_map(ranges: list[tuple[int, int, str]], modules, rsp: int, ram_size: int | None = None) -> list[Region]:
    """Name the ranges a crash dump recorded ((start, end, 'urwx'-style rights) each) from
    its module list (DumpSymbols.modules) and the RSP at the crash."""
    result = []
    for start, end, rights in ranges:
        user, writable, executable = rights[0] == "u", rights[2] == "w", rights[3] == "x"
        kind, owner = OTHER, ""
        module = next((m for m in modules if m.base <= start < m.base + _page_up(m.size)), None)
        if module is not None:
            kind, owner = (TEXT if start < module.text_end else DATA), module.name
        elif start <= rsp < end:
            kind = STACK
        elif DIRECT_MAP_BASE <= start and (ram_size is None or start < DIRECT_MAP_BASE + ram_size):
            kind = DIRECT_MAP
        result.append(Region(start, end, user, writable, executable, kind, owner))
    return result


def rights_text(region) -> str:
    """'urw-' / '-r-x': the rights of a range as a crash dump records them."""
    return ("u" if region.user else "-") + "r" + ("w" if region.writable else "-") + ("x" if region.executable else "-")


def _page_up(size: int) -> int:
    return (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
