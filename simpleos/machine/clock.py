"""The virtual clock: time inside the machine, never the host's wall clock.

Time advances by the instructions the CPU retires plus modelled costs that
the kernel charges for traps, system calls, context switches and IPC. The
clock only counts; the costs are chosen by the kernel (kernel/costs.py).
Same inputs => same times => byte-identical logs.
"""
from __future__ import annotations

CYCLES_PER_SECOND = 1_000_000_000   # a 1 GHz virtual CPU, 1 instruction = 1 cycle


class VirtualClock:
    """Cycles since power-on."""

    def __init__(self) -> None:
        self.cycles = 0

    def advance(self, cycles: int) -> None:
        """Let `cycles` pass."""
        self.cycles += int(cycles)

    def advance_to(self, cycles: int) -> None:
        """Jump forward to an absolute time (idle until a timer is due)."""
        self.cycles = max(self.cycles, int(cycles))

    @property
    def seconds(self) -> float:
        """Virtual seconds since power-on."""
        return self.cycles / CYCLES_PER_SECOND

    @property
    def milliseconds(self) -> float:
        """Virtual milliseconds since power-on."""
        return self.cycles * 1000 / CYCLES_PER_SECOND

    def stamp(self) -> str:
        """A dmesg-style timestamp: '[    0.001234]'."""
        micros = self.cycles * 1_000_000 // CYCLES_PER_SECOND
        return f"[{micros // 1_000_000:5d}.{micros % 1_000_000:06d}]"
