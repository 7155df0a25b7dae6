"""DumpTarget: a crash dump opened for the debugger, read-only (WinDbg's `-z`).

The second kind of target behind the same Debugger: it answers what the
commands read from a DebugTarget -- registers(), read_memory(),
symbolize(), lookup(), disassemble(), memory_map(), code_contains() --
from the dump alone (kernel/crashdump.py writes it; the schema is
dumpschema.py's). Memory is what the dump captured (kernel/dumpmemory.py:
the faulting module, the stack around RSP, the sensor's inputs and
content); an address outside it is one MemoryError line. A dump is one
moment: everything that would run or change the machine, and anything a
live target has that a dump does not, is refused with one line (a
DumpRefusal, which is both a DebugError and an AttributeError). Malformed
chunks are a BadInput line when the dump is opened. Never writes.
"""
from __future__ import annotations

import base64
import binascii
import bisect
import re
import zlib

from ..errors import BadInput
from ..machine.trap import Trap
from . import stops
from .dumpsymbols import DumpSymbols
from .memmap import dump_map
from .stops import StopEvent
from .symbols import UnknownSymbol, nearest_name
from .target import DebugError, DebugTarget

CANNOT_RUN = "a crash dump cannot run: it is a picture of one moment"
READ_ONLY = "a crash dump is read-only: it is a picture of one moment"
CAPTURED = "the dump keeps the faulting module, the stack around RSP, the sensor's inputs and content"
_RIGHTS = re.compile(r"^[u-]r[w-][x-]$")
MAX_CHUNK = 1 << 20


class DumpRefusal(DebugError, AttributeError):
    """What a crash dump cannot do (one line for the user)."""


class DumpTarget:
    """A crash dump as a read-only debug target (see the module docstring)."""

    def __init__(self, dump: dict, path: str = "the dump") -> None:
        self.dump, self.path = dump, str(path)
        self.symbols = DumpSymbols(dump["modules"])
        self._registers = {name: int(value) for name, value in dump["registers"].items() if value is not None}
        self._registers["eflags"] = self._registers["rflags"]
        self._chunks = _decode_chunks(dump.get("memory") or [], self.path)
        self._starts = [start for start, _ in self._chunks]
        self._ranges = _ranges(dump.get("regions") or [], self.path)
        self.breakpoints: set[int] = set()
        self.last_stop = self._stop_event()

    # --- what the commands read ------------------------------------------------------

    @property
    def position(self) -> str:
        """Where in time: a dump has no position, only its boot."""
        return f"crash dump of boot {self.dump.get('boot')}"

    @property
    def state(self) -> str:
        return "bugcheck"

    def registers(self) -> dict[str, int]:
        """The registers the dump recorded at the bugcheck."""
        return dict(self._registers)

    def read_memory(self, address: int, length: int) -> bytes:
        """Bytes the dump captured (MemoryError, one line, for anything it did not)."""
        if length <= 0:
            return b""
        index = bisect.bisect_right(self._starts, address) - 1
        if index >= 0:
            start, data = self._chunks[index]
            if address + length <= start + len(data):
                return data[address - start:address - start + length]
        missing = address if index < 0 or address >= start + len(data) else start + len(data)
        raise MemoryError(f"cannot access memory at {missing:#x}: not in the crash dump ({CAPTURED})")

    def symbolize(self, address: int) -> str:
        """'sensor.sys!compare_string+0xa', from the dump's module list."""
        return self.symbols.symbolize(address)

    def lookup(self, symbol: str) -> int:
        """A label's address (UnknownSymbol, with the nearest name, if there is none)."""
        address = self.symbols.lookup(symbol)
        if address is None:
            qualifier = symbol.rpartition("!")[0]
            names = [name for module in self.symbols.modules if not qualifier or qualifier == module.name
                     for name in module.symbols]
            raise UnknownSymbol(symbol, nearest_name(symbol, names))
        return address

    def code_contains(self, address: int) -> bool:
        """Inside some module's text?"""
        return self.symbols.is_code(address)

    def memory_map(self):
        """The ranges the dump recorded, named from its modules and RSP."""
        return dump_map(self._ranges, self.symbols.modules, self._registers["rsp"])

    instruction_at = DebugTarget.instruction_at
    disassemble = DebugTarget.disassemble

    # --- what a dump cannot do -------------------------------------------------------

    def _refuse(self, *args, **kwargs):
        raise DumpRefusal(CANNOT_RUN)

    stepi = nexti = finish = cont = reverse_stepi = reverse_cont = run_to = replay_to = _refuse
    add_breakpoint = remove_breakpoint = _refuse

    def write_register(self, name: str, value: int) -> None:
        raise DumpRefusal(READ_ONLY)

    def write_memory(self, address: int, data: bytes) -> None:
        raise DumpRefusal(READ_ONLY)

    def interrupt(self) -> None:
        """Nothing runs, so there is nothing to interrupt."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise DumpRefusal(f"not in a crash dump: it has no live machine ({name})")

    # --- the stop ----------------------------------------------------------------------

    def _stop_event(self) -> StopEvent:
        """The bugcheck, as the stop the session starts at."""
        bugcheck = self.dump["bugcheck"]
        raw = bugcheck.get("trap")
        trap = None
        if raw:
            trap = Trap(vector=int(raw["vector"]), cpl=int(raw.get("cpl", 0)), rip=int(bugcheck["rip"]),
                        address=bugcheck.get("address"), error_code=raw.get("error_code"))
        name = bugcheck.get("name") or f"STOP {int(bugcheck['code']):#x}"
        return StopEvent(stops.BUGCHECK, int(bugcheck["rip"]), trap, None, stops.SIGSEGV,
                         f"{name} ({int(bugcheck['code']):#x}) at {self.symbolize(int(bugcheck['rip']))}", 0)


def _decode_chunks(chunks: list[dict], path: str) -> list[tuple[int, bytes]]:
    """(start, bytes) per memory chunk, sorted; BadInput (one line) for a damaged or overlapping one."""
    decoded = []
    for index, chunk in enumerate(chunks):
        where = f"{path}: malformed crash dump: memory[{index}]"
        size = int(chunk["size"])
        try:
            packed = base64.b64decode(chunk["zlib"], validate=True)
            inflater = zlib.decompressobj()
            data = inflater.decompress(packed, MAX_CHUNK + 1)
        except (binascii.Error, zlib.error, ValueError):
            raise BadInput(f"{where}: its zlib data does not decompress") from None
        if len(data) != size:
            raise BadInput(f"{where}: it says {size} bytes but holds {len(data)}")
        if int(chunk["address"]) + size > 1 << 64:
            raise BadInput(f"{where}: it runs past the end of the address space")
        decoded.append((int(chunk["address"]), data))
    decoded.sort()
    for (start, data), (next_start, _) in zip(decoded, decoded[1:]):
        if start + len(data) > next_start:
            raise BadInput(f"{path}: malformed crash dump: memory chunks at {start:#x} and {next_start:#x} overlap")
    return decoded


def _ranges(regions: list[dict], path: str) -> list[tuple[int, int, str]]:
    """(start, end, rights) per recorded range; BadInput for a range that makes no sense."""
    found = []
    for index, region in enumerate(regions):
        start, end, rights = int(region["start"]), int(region["end"]), region["rights"]
        if not start < end or not _RIGHTS.match(rights):
            raise BadInput(f"{path}: malformed crash dump: regions[{index}]: start {start:#x}, end {end:#x}, "
                           f"rights {rights[:8]!r} (want start < end and rights like '-rw-')")
        found.append((start, end, rights))
    return sorted(found)
