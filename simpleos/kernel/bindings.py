"""Secure bindings, the exokernel's protection: a driver may read exactly the memory bound to it.

After Aegis (Engler, Kaashoek and O'Toole, SOSP 1995): the kernel authorises a binding once,
when it makes it, and from then on the hardware checks every use. Here a binding is a
read-only mapping of exactly the bound pages into the driver's own protection domain (its
address space), and nothing else of the event or of the content is mapped there, so the MMU
is the check. The exokernel placement (placement.BoundExtension) makes two kinds:

  content         the driver's content area: the kernel's frames, read-only; the kernel
                  fills them when the driver asks for its channel files
  inputs[0..N)    for each event: its inputs array and the strings the entries point to,
                  laid out by the kernel so that the array ends where the binding ends,
                  with an unmapped page after it -- reading inputs[N] is a #PF there

A binding lasts as long as its event (it is revoked at the verdict). `revoke_all` unmaps
every binding -- the abort protocol's first step; the model records what it returns in its
repossession vector. Mechanism only: what a broken binding means is the exokernel model's
decision (simpleos/isolation/exokernel.py).
"""
from __future__ import annotations

from ..machine.layout import PAGE_SIZE
from ..record import dataclass
from .frames import READ_ONLY

INPUTS_WINDOW_PAGES = 2
INPUTS_BINDING_END = 0x00007FE000002000     # where every inputs array ends; the page after stays unmapped
INPUTS_WINDOW = INPUTS_BINDING_END - INPUTS_WINDOW_PAGES * PAGE_SIZE


def inputs_binding_name(count: int) -> str:
    """'inputs[0..20)': the binding of an array of `count` inputs."""
    return f"inputs[0..{count})"


def bound_inputs_address(count: int) -> int:
    """Where an inputs array of `count` entries starts, so that it ends at INPUTS_BINDING_END."""
    return INPUTS_BINDING_END - 8 * count


@dataclass
class Binding:
    """One secure binding: a name, the virtual range it maps read-only, what it holds."""
    name: str
    start: int
    end: int
    holds: str

    def describe(self) -> str:
        """'`inputs[0..20)` 0x7fe000000000-0x7fe000002000 (read): event 3's inputs array and its strings'."""
        return f"`{self.name}` {self.start:#x}-{self.end:#x} (read): {self.holds}"

    def contains(self, address: int) -> bool:
        """Is `address` inside the binding?"""
        return self.start <= address < self.end


class BindingTable:
    """The secure bindings of one process: its explicit authority (Process.domain)."""

    kind = "secure bindings"
    summary = "secure bindings to what the kernel owns; its own pages and system calls as any process"

    def __init__(self, process) -> None:
        self.process = process
        self.bindings: dict[str, Binding] = {}

    def permits_syscall(self, number: int) -> bool:
        """A library operating system makes system calls as any process does."""
        return True

    def bind(self, binding: Binding, frames: list[int]) -> Binding:
        """Map `frames` read-only over the binding's range; it is in force from now on."""
        for index, frame in enumerate(frames):
            self.process.space.map_page(binding.start + index * PAGE_SIZE, frame, READ_ONLY)
        self.bindings[binding.name] = binding
        return binding

    def record(self, binding: Binding) -> Binding:
        """Enter a binding whose pages are already mapped (the content, lent by KernelFrames)."""
        self.bindings[binding.name] = binding
        return binding

    def unbind(self, name: str) -> Binding | None:
        """Revoke one binding: unmap its pages (while the process lives). The binding, or None."""
        binding = self.bindings.pop(name, None)
        if binding is not None and self.process.alive:
            for address in range(binding.start, binding.end, PAGE_SIZE):
                self.process.space.unmap_page(address)
        return binding

    def revoke_all(self) -> list[Binding]:
        """Revoke every binding, in the order they were made; what was revoked."""
        return [binding for binding in (self.unbind(name) for name in list(self.bindings)) if binding]

    def entries(self) -> list[Binding]:
        """The bindings in force."""
        return list(self.bindings.values())

    def lines(self) -> list[str]:
        """The table in words, one binding a line."""
        return [binding.describe() for binding in self.entries()] or ["(no bindings)"]


def lay_out_inputs(values: list) -> bytes:
    """The bytes of the inputs window for an event's `values`: each string (UTF-8, NUL-terminated)
    packed from the window's first byte up, then the array -- a pointer to the string, or the
    integer -- in the window's last 8 * len(values) bytes."""
    array_start = bound_inputs_address(len(values))
    strings, words = b"", []
    for value in values:
        if isinstance(value, str):
            words.append(INPUTS_WINDOW + len(strings))
            strings += value.encode("utf-8") + b"\0"
        else:
            words.append(value & ((1 << 64) - 1))
    room = array_start - INPUTS_WINDOW
    if len(strings) > room:
        raise ValueError(f"an event's strings take {len(strings)} bytes; the inputs window holds {room}")
    array = b"".join(word.to_bytes(8, "little") for word in words)
    return strings.ljust(room, b"\0") + array
