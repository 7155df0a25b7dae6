"""The Global Descriptor Table: the segments that define ring 0 and ring 3.

In 64-bit mode segments are flat; what matters is each descriptor's DPL
(privilege level) and L bit (64-bit code). iretq to a selector with RPL 3
is what really drops the CPU to CPL 3. This module only encodes descriptors.
"""
from __future__ import annotations

from .layout import (KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR, USER_CODE_SELECTOR,
                     USER_DATA_SELECTOR)

# (selector, descriptor, description). The values are the classic flat
# descriptors: base 0, limit 4 GiB, G=1; code has L=1 (64-bit).
DESCRIPTORS = [
    (0x00, 0x0000000000000000, "null"),
    (KERNEL_CODE_SELECTOR, 0x00AF9A000000FFFF, "kernel code: DPL 0, 64-bit, execute/read"),
    (KERNEL_DATA_SELECTOR, 0x00CF92000000FFFF, "kernel data: DPL 0, read/write"),
    (USER_DATA_SELECTOR & ~3, 0x00CFF2000000FFFF, "user data: DPL 3, read/write"),
    (USER_CODE_SELECTOR & ~3, 0x00AFFA000000FFFF, "user code: DPL 3, 64-bit, execute/read"),
]


def gdt_bytes() -> bytes:
    """The GDT as it sits in memory."""
    return b"".join(descriptor.to_bytes(8, "little") for _, descriptor, _ in DESCRIPTORS)
