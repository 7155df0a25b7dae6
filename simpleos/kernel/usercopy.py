"""Checked access to user memory: the kernel never trusts a user pointer.

Every pointer a system call receives is walked through the caller's page
tables with the rights of a ring-3 access. A pointer into the kernel half or
to an unmapped page makes the call fail with EFAULT -- the kernel never
dereferences it on the caller's behalf (no confused deputy). A ring-0 caller
(a driver inside the kernel) is trusted with kernel addresses: `ring=0`.
"""
from __future__ import annotations

from ..machine.layout import PAGE_SIZE, is_user_address
from ..machine.paging import AddressSpace

MAX_STRING = 4096


class BadUserPointer(Exception):
    """A user pointer the process could not have used itself (-> EFAULT)."""


def _pieces(space: AddressSpace, address: int, length: int, write: bool, ring: int = 3):
    """Yield (physical, size) for each page-sized piece of a caller's buffer."""
    user = ring == 3
    if length < 0 or address < 0 or address + length > 1 << 64:
        raise BadUserPointer(address)
    if user and (not is_user_address(address) or not is_user_address(address + max(length, 1) - 1)):
        raise BadUserPointer(address)
    while length > 0:
        physical = space.translate(address, write=write, user=user)
        if physical is None:
            raise BadUserPointer(address)
        size = min(length, PAGE_SIZE - (address & (PAGE_SIZE - 1)))
        yield physical, size
        address += size
        length -= size


def copy_from_user(space: AddressSpace, address: int, length: int, ring: int = 3) -> bytes:
    """Read a user buffer, or raise BadUserPointer."""
    if 0 < length <= PAGE_SIZE - (address & (PAGE_SIZE - 1)) and (ring != 3 or is_user_address(address)):
        # Within one page (most arguments): one translation, one read.
        physical = space.translate(address, user=ring == 3)
        if physical is None:
            raise BadUserPointer(address)
        return space.memory.read(physical, length)
    return b"".join(space.memory.read(phys, size) for phys, size in _pieces(space, address, length, False, ring))


def copy_to_user(space: AddressSpace, address: int, data: bytes, ring: int = 3) -> None:
    """Write into a user buffer, or raise BadUserPointer (nothing written then)."""
    pieces = list(_pieces(space, address, len(data), True, ring))
    offset = 0
    for physical, size in pieces:
        space.memory.write(physical, data[offset:offset + size])
        offset += size


def string_from_user(space: AddressSpace, address: int, limit: int = MAX_STRING, ring: int = 3) -> bytes:
    """Read a NUL-terminated user string (without the NUL)."""
    collected = b""
    while len(collected) < limit:
        chunk_length = min(limit - len(collected), PAGE_SIZE - (address & (PAGE_SIZE - 1)))
        chunk = copy_from_user(space, address, chunk_length, ring)
        end = chunk.find(b"\0")
        if end >= 0:
            return collected + chunk[:end]
        collected += chunk
        address += chunk_length
    raise BadUserPointer(address)
