"""The fast path for a host that answers the guest's system calls inside the syscall hook.

A fuzzer's harness answers some ten kapi calls per execution without leaving
the hook (nothing is scheduled, nothing blocks). Through unicorn's Python
binding, reading the four argument registers and writing the result costs
about 9 us a call; one raw batch read and one raw write cost about 3 us.
Mechanism only: which call means what is the caller's business.
"""
from __future__ import annotations

import ctypes

from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uclib as _uclib

_MASK = (1 << 64) - 1
_ARGUMENTS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX)


class HostCall:
    """Read a system call's number and first three arguments, write its result (rax)."""

    def __init__(self, cpu) -> None:
        self._uch = cpu.uc._uch
        self._ids = (ctypes.c_int * len(_ARGUMENTS))(*_ARGUMENTS)
        self._values = [ctypes.c_uint64() for _ in _ARGUMENTS]
        self._pointers = (ctypes.c_void_p * len(_ARGUMENTS))(
            *(ctypes.cast(ctypes.pointer(value), ctypes.c_void_p) for value in self._values))
        self._result = ctypes.c_uint64()
        self._result_pointer = ctypes.byref(self._result)

    def arguments(self) -> tuple[int, int, int, int]:
        """(rax = the call's number, rdi, rsi, rdx)."""
        status = _uclib.uc_reg_read_batch(self._uch, self._ids, self._pointers, len(_ARGUMENTS))
        if status != 0:
            raise RuntimeError(f"uc_reg_read_batch failed ({status})")
        values = self._values
        return values[0].value, values[1].value, values[2].value, values[3].value

    def set_result(self, value: int) -> None:
        """rax = value (negative numbers as two's complement, like -errno)."""
        self._result.value = value & _MASK
        status = _uclib.uc_reg_write(self._uch, X.UC_X86_REG_RAX, self._result_pointer)
        if status != 0:
            raise RuntimeError(f"uc_reg_write failed ({status})")
