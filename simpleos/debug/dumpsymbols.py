"""Symbols from a crash dump: name addresses using the module list the dump carries.

A dump (kernel/crashdump.py) records each kernel module's base, size and
label table, but not its code. That is enough to print
'sensor.sys!compare_string+0xa' and to tell code from data: the
assembler puts a module's data on the first page boundary after its text,
so the first label at a page-aligned offset starts the data. Lookup only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..assembler import nearest_symbol

PAGE = 0x1000


@dataclass
class DumpModule:
    """One module as the dump lists it."""
    name: str
    base: int
    size: int
    symbols: dict[str, int]

    @property
    def text_end(self) -> int:
        """Where the code ends: the first label on a page boundary past the base, else the end."""
        starts = [v for v in self.symbols.values() if v > self.base and (v - self.base) % PAGE == 0]
        return min(starts) if starts else self.base + self.size

    def contains(self, address: int) -> bool:
        """Inside this module (code or data)?"""
        return self.base <= address < self.base + self.size

    def symbol_at(self, address: int) -> tuple[str, int] | None:
        """The nearest label at or before `address` (ties: the alphabetically first)."""
        return nearest_symbol(self.symbols, address)


class DumpSymbols:
    """The modules of one dump."""

    def __init__(self, modules: list[dict]) -> None:
        self.modules = [DumpModule(m["name"], int(m["base"]), int(m["size"]),
                                   {k: int(v) for k, v in (m.get("symbols") or {}).items()}) for m in modules]

    def module_at(self, address: int) -> DumpModule | None:
        """The module containing `address`."""
        return next((m for m in self.modules if m.contains(address)), None)

    def symbolize(self, address: int) -> str:
        """'sensor.sys!compare_string+0xa', 'module+0x..', or hex."""
        module = self.module_at(address)
        if module is None:
            return f"{address:#x}"
        found = module.symbol_at(address)
        if found is None:
            return f"{module.name}+{address - module.base:#x}"
        return f"{module.name}!{found[0]}" + (f"+{found[1]:#x}" if found[1] else "")

    def is_code(self, address: int) -> bool:
        """Inside some module's text (a candidate return address)?"""
        module = self.module_at(address)
        return module is not None and address < module.text_end

    def lookup(self, name: str) -> int | None:
        """The address of a label (first module that has it)."""
        qualifier, _, label = name.rpartition("!")
        for module in self.modules:
            if (not qualifier or qualifier == module.name) and label in module.symbols:
                return module.symbols[label]
        return None
