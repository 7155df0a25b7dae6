"""`telescope ADDR [N]`: N words of memory, each followed as a pointer chain (pwndbg's telescope).

    00:0000│ rsp 0xffffffff80027f90 [stack, rw-, S]  0x14
    01:0008│     0xffffffff80027f98 [stack, rw-, S]  -> sensor.sys!match_instance+0x4d [text, r-x, S] (mov r12, rax)

Each line is one word: its index and offset, the registers that point at
it, its address with symbol and region (kind, permissions, U/S), then its
value followed up to MAX_DEPTH levels: a pointer into data is read and
followed, a pointer into code shows the instruction there, a pointer to a
string (NUL-terminated, or a channel file's length-prefixed value) shows
the string, a canonical address that is not mapped says so -- the CF291
handle; a number that is no address (small, or not canonical) is just shown.
Reads memory through the target (live or crash dump); changes nothing.
"""
from __future__ import annotations

from ...machine.layout import is_canonical
from ..commands import CommandError
from ..contentvalues import loaded_values
from ..memmap import region_at
from ..view import GENERAL

HELP = ["  telescope [ADDR [N]]       N words (8) at ADDR ($rsp), each followed as a pointer chain"]
DEFAULT_WORDS = 8
MAX_WORDS = 256
MAX_DEPTH = 4
MIN_POINTER = 0x10000            # smaller values are numbers, not addresses
MIN_STRING = 4                   # printable bytes before a NUL that make a C string worth showing
MAX_STRING = 48


def register(debugger) -> None:
    """Add `telescope` (and pwndbg's short name `tele`)."""
    debugger.add_command(("telescope", "tele"), lambda argument: telescope(debugger, argument))


def telescope(debugger, argument: str) -> None:
    """telescope [ADDR [N]]."""
    target = debugger.target
    words = argument.split()
    count = DEFAULT_WORDS
    if len(words) > 1 and _is_count(words[-1]):
        count = int(words.pop(), 0)
    start = debugger._address(" ".join(words)) if words else target.registers()["rsp"]
    if not 1 <= count <= MAX_WORDS:
        raise CommandError(f"telescope shows 1..{MAX_WORDS} words, not {count}")
    debugger.out.lines(telescope_lines(target, start, count))


def telescope_lines(target, start: int, count: int) -> list[str]:
    """The lines of `telescope start count`."""
    regions = target.memory_map()
    values = loaded_values(target)
    registers = target.registers()
    lines = []
    for index in range(count):
        slot = (start + 8 * index) & ((1 << 64) - 1)
        marks = " ".join(name for name in GENERAL if registers[name] == slot)
        head = f"{index:02d}:{8 * index:04x}│ {marks:<3} {_named(target, regions, slot)}"
        try:
            value = _word(target, slot)
        except MemoryError as error:
            lines.append(f"{head}  <{error}>")
            break
        lines.append(f"{head}  {chain(target, regions, values, value)}")
    return lines


def chain(target, regions, values, value: int) -> str:
    """'0x14', or '-> name [kind, perms, U/S] -> ...' for a pointer, followed MAX_DEPTH deep."""
    parts, seen = [], set()
    for _ in range(MAX_DEPTH):
        region = region_at(regions, value) if value >= MIN_POINTER else None
        if region is None:
            unmapped = value >= MIN_POINTER and is_canonical(value) and not _small_negative(value)
            parts.append(f"{value:#x}" + (" [unmapped]" if unmapped else ""))
            break
        if value in seen:
            parts.append(f"{value:#x} (loop)")
            break
        seen.add(value)
        parts.append(_named(target, regions, value, region))
        end = _what_is_there(target, region, values, value)
        if end is not None:
            parts[-1] += f" {end}"
            break
        try:
            value = _word(target, value)
        except MemoryError:
            break
    else:
        parts.append("...")
    return ("-> " if len(parts) > 1 or "[" in parts[0] else "") + " -> ".join(parts)


def _what_is_there(target, region, values, address: int) -> str | None:
    """What ends a chain at `address`: the instruction in code, or a string; None to follow on."""
    if region.executable:
        found = target.instruction_at(address)
        return f"({found[2]} {found[3]})".replace(" )", ")") if found else None
    if address in values:
        value = values[address]
        return f"{value.data.decode('utf-8', 'replace')!r} (length-prefixed, rule {value.instance} field {value.field})"
    text = _c_string(target, address)
    return repr(text) if text is not None else None


def _named(target, regions, address: int, region=None) -> str:
    """'0x... <sensor.sys!ipc_context+0x18> [data, rw-, S]' (or '[unmapped]')."""
    region = region if region is not None else region_at(regions, address)
    name = target.symbolize(address)
    text = f"{address:#x}" + ("" if name.startswith("0x") else f" <{name}>")
    return text + (f" [{region.tag()}]" if region is not None else " [unmapped]")


def _c_string(target, address: int) -> str | None:
    """The printable NUL-terminated string at `address`, if there is one worth showing."""
    try:
        data = target.read_memory(address, MAX_STRING)
    except MemoryError:
        return None
    end = data.find(b"\0")
    text = data[:end if end >= 0 else MAX_STRING]
    if len(text) < MIN_STRING or not all(32 <= byte < 127 or byte in (9, 10) for byte in text):
        return None
    return text.decode("ascii") + ("" if end >= 0 else "...")


def _word(target, address: int) -> int:
    return int.from_bytes(target.read_memory(address, 8), "little")


def _small_negative(value: int) -> bool:
    return value >= (1 << 64) - MIN_POINTER


def _is_count(word: str) -> bool:
    try:
        int(word, 0)
    except ValueError:
        return False
    return True
