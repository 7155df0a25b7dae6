"""`vmmap` / `info vmmap` and `info symbol ADDR`: where an address lives, as pwndbg and gdb say it.

vmmap lists the regions of the address space CR3 points at -- read from
the page tables, merged into ranges, named by module and kind -- with the
rights the MMU enforces: r always, w from R/W, x unless NX, and U (ring 3
may touch it) or S (supervisor only). `vmmap ADDR` shows only the region
holding ADDR. `info symbol ADDR` answers in gdb's words:
`compare_string + 10 in section sensor.sys .text`. Reads only.
"""
from __future__ import annotations

from ..memmap import region_at

HELP = ["  vmmap [ADDR] | info vmmap  the address space's regions: start, end, perms, U/S, what they are",
        "  info symbol ADDR           which symbol and section ADDR is in (gdb's words)"]
HEADING = f"{'start':>18} {'end':>18} {'size':>10}  perm U/S  name"


def register(debugger) -> None:
    """Add `vmmap`, `info vmmap` and `info symbol`."""
    debugger.add_command(("vmmap",), lambda argument: vmmap(debugger, argument))
    debugger.add_info_topic(("vmmap",), lambda words: vmmap(debugger, " ".join(words)))
    debugger.add_info_topic(("symbol",), lambda words: info_symbol(debugger, " ".join(words)))


def vmmap(debugger, argument: str) -> None:
    """vmmap [ADDR]."""
    target = debugger.target
    regions = target.memory_map()
    if argument.strip():
        address = debugger._address(argument)
        region = region_at(regions, address)
        if region is None:
            debugger.out.line(f"{address:#x} is not mapped in this address space (cr3 "
                              f"{target.registers()['cr3']:#x})")
            return
        regions = [region]
    debugger.out.line(HEADING)
    for region in regions:
        debugger.out.line(f"{region.start:#18x} {region.end:#18x} {region.end - region.start:#10x}  "
                          f"{region.perms}   {region.privilege}   {region.name}")


def info_symbol(debugger, argument: str) -> None:
    """info symbol ADDR: 'compare_string + 10 in section sensor.sys .text'."""
    from ..commands import CommandError
    if not argument.strip():
        raise CommandError("info symbol needs an address: info symbol $rip")
    target = debugger.target
    address = debugger._address(argument)
    debugger.out.line(symbol_line(target, address))


def symbol_line(target, address: int) -> str:
    """gdb's answer to `info symbol`, with the module and section as the section name."""
    name = target.symbolize(address)
    region = region_at(target.memory_map(), address)
    if "!" not in name:
        where = f": it is in {region.name} [{region.perms}, {region.privilege}]" if region is not None else \
            ": it is not mapped"
        return f"No symbol matches {address:#x}{where}."
    module, _, rest = name.partition("!")
    symbol, _, offset = rest.partition("+")
    section = f"{module} .{region.kind}" if region is not None and region.kind in ("text", "data") else module
    plus = f" + {int(offset, 16)}" if offset else ""
    return f"{symbol}{plus} in section {section}"
