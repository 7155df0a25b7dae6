"""Capabilities, the nanokernel's only currency: a driver holds a table of keys and nothing else.

After KeyKOS and seL4. Every object a process may use is named by a capability in a slot of
its capability table (its CSpace), with rights. The sensor's table (placement.CapabilityProcess):

  slot 1  endpoint  the events it receives, and the replies (verdicts) it sends back
  slot 2  frames    its content: the kernel's frames, mapped read-only into it
  slot 3  endpoint  the kernel log, to send lines to
  slot 4  timer     only with --sensor-delay: a clock to wait on

Its kernel calls are one system call, cap_invoke (520): `slot` in r10, `method` in r8, the
method's arguments in rdi, rsi, rdx (kernel/kapi_cap.asm). The kernel looks the slot up in
the caller's own table, checks that it holds a capability of the kind the method needs, with
the right it needs, and only then acts on the capability's object. There is no ambient
authority: a process with a table may make no other system call (syscalls.dispatch refuses
with -EPERM), so it cannot even list the processes. `revoke_all` empties the table: the
nanokernel model revokes it when the sensor dies and the placement grants the same
capabilities to the next instance. Mechanism only; who holds what is the placement's choice.
"""
from __future__ import annotations

from ..record import dataclass
from . import errno
from .sensor import kapi

CAP_EVENTS, CAP_CONTENT, CAP_LOG, CAP_TIMER = 1, 2, 3, 4        # slots (kapi_cap.asm)
RECEIVE, REPLY, LOAD, SEND, WAIT = 1, 2, 3, 4, 5                # methods
SYS_CAP_INVOKE = 520
ENDPOINT, FRAMES, TIMER = "endpoint", "frames", "timer"

# method -> (the kind of capability it needs, the right it needs, what it does to the object)
METHODS = {
    RECEIVE: (ENDPOINT, "receive", lambda sensor, p, a: kapi.wait_event(sensor, p, a[0], a[1])),
    REPLY: (ENDPOINT, "reply", lambda sensor, p, a: kapi.verdict(sensor, p, a[0], a[1], a[2])),
    LOAD: (FRAMES, "read", lambda sensor, p, a: kapi.get_content(sensor, p, a[0], a[1], a[2])),
    SEND: (ENDPOINT, "send", lambda sensor, p, a: kapi.log(sensor, p, a[0])),
    WAIT: (TIMER, "wait", lambda sensor, p, a: kapi.sleep(sensor, p, a[0])),
}
ASSEMBLER_DEFINES = {"CAP_EVENTS": CAP_EVENTS, "CAP_CONTENT": CAP_CONTENT, "CAP_LOG": CAP_LOG,
                     "CAP_TIMER": CAP_TIMER, "CAP_RECEIVE": RECEIVE, "CAP_REPLY": REPLY, "CAP_LOAD": LOAD,
                     "CAP_SEND": SEND, "CAP_WAIT": WAIT}


@dataclass
class Capability:
    """One key: a slot, the kind of object, what it names, the rights it gives."""
    slot: int
    kind: str
    names: str                       # e.g. "events (the sensor's AUTH and NOTIFY messages)"
    rights: tuple[str, ...]
    target: object                   # the object: the sensor manager for its endpoints and frames
    start: int | None = None         # frames: the virtual range they are mapped at
    end: int | None = None

    def describe(self) -> str:
        """'slot 2  frames    0x403000-0x413000, 16 frames: content (read)'."""
        where = f"{self.start:#x}-{self.end:#x}, {(self.end - self.start) // 4096} frames: " if self.start else ""
        return f"slot {self.slot}  {self.kind:<8}  {where}{self.names} ({', '.join(self.rights)})"

    def contains(self, address: int) -> bool:
        """Does the capability name memory at `address`?"""
        return self.start is not None and self.start <= address < self.end


class CapabilitySpace:
    """The capability table of one process: all of its authority (Process.domain)."""

    kind = "capabilities"
    summary = "capabilities, nothing else"

    def __init__(self, process, capabilities: list[Capability]) -> None:
        self.process = process
        self.slots = {capability.slot: capability for capability in capabilities}

    def permits_syscall(self, number: int) -> bool:
        """No ambient authority: cap_invoke is the one system call a capability holder makes."""
        return number == SYS_CAP_INVOKE

    def lookup(self, slot: int, method: int) -> Capability | int:
        """The capability in `slot` if it allows `method`; else the error for the caller."""
        if method not in METHODS:
            return -errno.EINVAL
        capability = self.slots.get(slot)
        if capability is None:
            return -errno.EBADF                      # an empty slot names nothing
        kind, right, _ = METHODS[method]
        if capability.kind != kind or right not in capability.rights:
            return -errno.EPERM
        return capability

    def revoke_all(self) -> list[Capability]:
        """Empty the table; the capabilities it held, by slot."""
        revoked = [self.slots[slot] for slot in sorted(self.slots)]
        self.slots.clear()
        return revoked

    def entries(self) -> list[Capability]:
        """The capabilities held, by slot."""
        return [self.slots[slot] for slot in sorted(self.slots)]

    def lines(self) -> list[str]:
        """The table in words, one capability a line."""
        return [capability.describe() for capability in self.entries()] or ["(no capabilities: all revoked)"]


def sys_cap_invoke(k, p, a0, a1, a2, slot, method, *_):
    """cap_invoke(a0, a1, a2, slot, method): invoke the capability in `slot` of the caller's own
    table; -EPERM without a table or without the right, -EBADF for an empty slot."""
    space = p.domain
    if not isinstance(space, CapabilitySpace):
        return -errno.EPERM
    capability = space.lookup(slot, method)
    if isinstance(capability, int):
        return capability
    return METHODS[method][2](capability.target, p, (a0, a1, a2))


def capability_kapi():
    """The kapi stubs of a capability holder (kernel/kapi_cap.asm), assembled for KAPI_USER_BASE."""
    from ..assembler import assemble, read_source
    from ..resources import kernel_asm_dir
    from .loader import USER_DEFINES
    from .placement import KAPI_USER_BASE
    source, origins = read_source(kernel_asm_dir() / "kapi_cap.asm")
    return assemble(source, KAPI_USER_BASE, "kapi_cap.asm", {**USER_DEFINES, **ASSEMBLER_DEFINES}, origins)


CAPABILITY_SYSCALLS = {SYS_CAP_INVOKE: ("cap_invoke", sys_cap_invoke)}
