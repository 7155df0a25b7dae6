"""Edge coverage: a block hook that records which control-flow edges the guest took.

An EdgeRecorder installs the native hook of _edges.c on one CPU, for one
address range (the code under test), and gives back the map it fills: one
hit counter per edge slot, AFL style. The same hook counts blocks and stops
the CPU when a budget of blocks is spent -- a bounded hook, so the caller
may suspend the per-instruction counter (machine/icount.py) while it runs.
It is installed only by the fuzzer and removed when the fuzzer is done; a
normal boot never has it. Mechanism only: what counts as *new* coverage is
decided in simpleos/fuzz/coverage.py.
"""
from __future__ import annotations

import ctypes

from unicorn import UC_HOOK_BLOCK
from unicorn.unicorn_py3 import unicorn as _unicorn_binding

from . import _edges

_native = ctypes.CDLL(_edges.__file__)
_uclib = _unicorn_binding.uclib


class _Edges(ctypes.Structure):
    """edges_t of _edges.c."""
    _fields_ = [
        ("map", ctypes.c_void_p),
        ("mask", ctypes.c_uint64),
        ("previous", ctypes.c_uint64),
        ("blocks", ctypes.c_uint64),
        ("budget", ctypes.c_uint64),
        ("emu_stop", ctypes.c_void_p),
    ]


class EdgeRecorder:
    """Records the edges taken by code in [begin, end) on one CPU into a map of `slots` bytes."""

    def __init__(self, cpu, begin: int, end: int, slots: int = 1 << 13) -> None:
        if slots & (slots - 1) or slots < 2:
            raise ValueError("the number of edge slots must be a power of two")
        self.slots = slots
        self._map = (ctypes.c_uint8 * slots)()
        self._edges = _Edges(ctypes.addressof(self._map), slots - 1, 0, 0, (1 << 64) - 1,
                             ctypes.cast(_uclib.uc_emu_stop, ctypes.c_void_p))
        self._handle = ctypes.c_size_t()
        self._cpu = cpu
        status = _uclib.uc_hook_add(
            cpu.uc._uch, ctypes.byref(self._handle), UC_HOOK_BLOCK,
            ctypes.cast(_native.edges_on_block, ctypes.c_void_p),
            ctypes.cast(ctypes.pointer(self._edges), ctypes.c_void_p),
            ctypes.c_uint64(begin), ctypes.c_uint64(end - 1),
        )
        if status != 0:
            raise RuntimeError(f"cannot install the edge recorder (uc_err {status})")
        self.installed = True
        # unicorn decides at translation time which blocks call hooks: code
        # translated before the hook existed would run past it.
        cpu.flush_translations()

    def reset(self, budget: int = (1 << 64) - 1) -> None:
        """Forget the edges of the last run (a zeroed map, no previous block) and allow
        `budget` blocks before the CPU is stopped."""
        ctypes.memset(self._map, 0, self.slots)
        self._edges.previous = 0
        self.arm(budget)

    def arm(self, budget: int) -> None:
        """Allow `budget` more blocks from now (the map is kept)."""
        self._edges.blocks = 0
        self._edges.budget = budget

    @property
    def blocks(self) -> int:
        """Blocks started since the budget was last armed."""
        return self._edges.blocks

    @property
    def exhausted(self) -> bool:
        """True when the CPU was stopped because the block budget ran out."""
        return self._edges.blocks >= self._edges.budget

    def trace(self) -> bytes:
        """The map since the last reset: byte i = how often edge slot i was taken (max 255)."""
        return ctypes.string_at(self._map, self.slots)

    def remove(self) -> None:
        """Take the hook out again (and the translations that call it)."""
        if self.installed:
            _uclib.uc_hook_del(self._cpu.uc._uch, self._handle)
            self._cpu.flush_translations()
            self.installed = False
