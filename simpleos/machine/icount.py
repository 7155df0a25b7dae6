"""The instruction counter: the machine's virtual clock source and time-slice budget.

Installs the native hook from _icount.c on a unicorn engine. `retired` says how
many guest instructions have run in the current slice; when `budget` is
reached the CPU stops before the next instruction (preemption). This module
only counts; deciding what a slice is worth is the kernel's business.
"""
from __future__ import annotations

import ctypes

from unicorn import UC_HOOK_CODE
from unicorn.unicorn_py3 import unicorn as _unicorn_binding

from . import _icount

_native = ctypes.CDLL(_icount.__file__)
_uclib = _unicorn_binding.uclib


class _Counter(ctypes.Structure):
    _fields_ = [
        ("retired", ctypes.c_uint64),
        ("budget", ctypes.c_uint64),
        ("emu_stop", ctypes.c_void_p),
    ]


class InstructionCounter:
    """Counts instructions retired on one unicorn engine, with a per-slice budget."""

    def __init__(self, uc) -> None:
        self._counter = _Counter(0, 0, ctypes.cast(_uclib.uc_emu_stop, ctypes.c_void_p))
        self._handle = ctypes.c_size_t()
        self._uc = uc  # keep the engine alive as long as the hook
        self._install()
        self.suspended = False

    def _install(self) -> None:
        status = _uclib.uc_hook_add(
            self._uc._uch, ctypes.byref(self._handle), UC_HOOK_CODE,
            ctypes.cast(_native.icount_on_instruction, ctypes.c_void_p),
            ctypes.cast(ctypes.pointer(self._counter), ctypes.c_void_p),
            ctypes.c_uint64(1), ctypes.c_uint64(0),
        )
        if status != 0:
            raise RuntimeError(f"cannot install the instruction counter (uc_err {status})")

    def suspend(self) -> None:
        """Take the hook out: nothing is counted and no budget holds until resume(). Only for a
        caller that bounds runs another way (the fuzzer: machine/edges.py's block budget)."""
        if not self.suspended:
            _uclib.uc_hook_del(self._uc._uch, self._handle)
            self._uc.ctl_flush_tb()      # translated code still calls a hook until retranslated
            self.suspended = True

    def resume(self) -> None:
        """Put the hook back."""
        if self.suspended:
            self._install()
            self._uc.ctl_flush_tb()
            self.suspended = False

    def arm(self, budget: int) -> None:
        """Start a slice: zero the counter and allow `budget` instructions."""
        self._counter.retired = 0
        self._counter.budget = budget

    @property
    def retired(self) -> int:
        """Instructions started in the current slice."""
        return self._counter.retired

    @property
    def exhausted(self) -> bool:
        """True when the slice ended because the budget ran out."""
        return self._counter.retired >= self._counter.budget
