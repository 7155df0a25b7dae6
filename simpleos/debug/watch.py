"""Watchpoints for the DebugTarget: stop where the guest writes, reads or touches some bytes -- forwards and backwards.

A watchpoint is an address range and a kind, gdb's three: "write" (watch),
"read" (rwatch), "access" (awatch). It is set on the memory the range
means when it is set: the virtual pages are translated once, through the
address space CR3 points at, and the physical bytes are watched (in every
address space that maps them; a user address of another process is other
memory). Only instructions of the guest are seen: the kernel's own copies
into guest memory (a message delivered by copy_to_user) are Python, not
instructions.

Forwards, `cont`, `stepi`, `nexti` and `finish` stop right after the
accessing instruction, as x86's debug registers trap: the stop's position
is one past the access. Backwards, `reverse_cont` stops *at* the accessing
instruction (its position is the access's), found without stepping: the
machine is powered on again (the power-on checkpoint put back) and replayed to the present with the memory
hooks recording every access's exact position (machine/memwatch.py), then
replayed once more to the last one. A write's stop carries the watched
bytes before and after it.

Hooks exist only while watchpoints do; without watchpoints nothing is
installed and the machine runs at full speed. These methods are
DebugTarget's (a mixin, as timetravel.py's are): they use its power-on,
run and replay machinery, and never decide what an access means.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..kernel.kernel import AT_BREAKPOINT, RAN
from ..machine.layout import is_canonical
from ..machine.memwatch import READ, WRITE, MemoryWatch, end_run_after_current_instruction
from . import stops
from .stops import StopEvent
from .history import History

WATCHPOINT = "watchpoint"                 # StopEvent reason
WATCHED = "watched"                       # pseudo run_once() result: a watchpoint ended the run
KINDS = {"write": frozenset({WRITE}), "read": frozenset({READ}), "access": frozenset({READ, WRITE})}
GDB_COMMAND = {"write": "watch", "read": "rwatch", "access": "awatch"}
MAX_WATCH_BYTES = 0x1000
PAGE = 0x1000


class WatchError(Exception):
    """A watchpoint that cannot be set (one line for the user)."""


@dataclass(frozen=True)
class Watchpoint:
    """Watch [address, address + length) for accesses of `kind`."""
    address: int
    length: int
    kind: str                                     # "write" | "read" | "access"
    pieces: tuple[tuple[int, int, int], ...]      # (virtual, physical, length) per page, as translated

    def virtual_of(self, physical: int, size: int) -> int | None:
        """The virtual address of an access at `physical` (`size` bytes) if it touches this range."""
        for virtual, start, length in self.pieces:
            if physical < start + length and physical + size > start:
                return virtual + (physical - start)
        return None

    def read(self, memory) -> bytes:
        """The watched bytes now."""
        return b"".join(memory.read(physical, length) for _, physical, length in self.pieces)


@dataclass(frozen=True)
class WatchHit:
    """One access to a watchpoint's bytes."""
    watchpoint: Watchpoint
    kind: str               # "read" | "write": what the instruction did
    address: int            # where the access starts (virtual)
    size: int
    position: int           # the position before the accessing instruction
    rip: int                # the accessing instruction
    old: bytes              # the watched bytes before the access ...
    new: bytes              # ... and after it (the same for a read)
    backwards: bool = False

    @property
    def data_address(self) -> int:
        """The watched address it touched (for gdb's watch:ADDR): inside the watchpoint."""
        watch = self.watchpoint
        return min(max(self.address, watch.address), watch.address + watch.length - 1)


def _patched(old: bytes, start: int, address: int, size: int, value: int) -> bytes:
    """`old` (the bytes at `start`) after writing `value` (`size` bytes, little-endian) at `address`."""
    new = bytearray(old)
    for offset in range(size):
        index = address + offset - start
        if 0 <= index < len(new):
            new[index] = (value >> (8 * offset)) & 0xFF
    return bytes(new)


class Watchpoints(History):
    """Watchpoints (mixed into DebugTarget; they refine TimeTravel's replays)."""

    _watch_recording = None         # a _Recording while a replay records accesses instead of stopping

    # --- setting them -------------------------------------------------------------------

    def add_watchpoint(self, address: int, length: int, kind: str) -> Watchpoint:
        """Watch `length` bytes at virtual `address` for `kind` accesses; the pages are
        translated now, through the current address space (WatchError if one is not mapped)."""
        watchpoint = self._translate_watch(address, length, kind)
        if watchpoint not in self._watch_list():
            self._watch_list().append(watchpoint)
        self._watch_rehook()
        return watchpoint

    def remove_watchpoint(self, watchpoint: Watchpoint) -> None:
        """Forget a watchpoint (its hooks go when the last one does)."""
        if watchpoint in self._watch_list():
            self._watch_list().remove(watchpoint)
        self._watch_rehook()

    def find_watchpoint(self, address: int, length: int, kind: str) -> Watchpoint | None:
        """The watchpoint set with these values, if any."""
        return next((w for w in self._watch_list() if (w.address, w.length, w.kind) == (address, length, kind)),
                    None)

    @property
    def watchpoints(self) -> list[Watchpoint]:
        """The watchpoints, in the order they were set."""
        return list(self._watch_list())

    @property
    def memory_hooks(self) -> int:
        """How many unicorn memory hooks are installed now (0 without watchpoints)."""
        watch = getattr(self, "_memory_watch", None)
        return watch.hook_count if watch is not None else 0

    def _translate_watch(self, address: int, length: int, kind: str) -> Watchpoint:
        if kind not in KINDS:
            raise WatchError(f"no watchpoint kind {kind!r} (write, read or access)")
        if not 1 <= length <= MAX_WATCH_BYTES:
            raise WatchError(f"a watchpoint covers 1 to {MAX_WATCH_BYTES} bytes, not {length}")
        if not is_canonical(address) or not is_canonical((address + length - 1) & ((1 << 64) - 1)):
            raise WatchError(f"cannot watch {address:#x}: not a canonical address")
        space, pieces, at = self.cpu.address_space(), [], address
        while at < address + length:
            size = min(address + length - at, PAGE - at % PAGE)
            physical = space.walk(at).physical
            if physical is None:
                raise WatchError(f"cannot watch {at:#x}: it is not mapped in this address space "
                                 f"(cr3 {self.cpu.read('cr3'):#x})")
            pieces.append((at, physical, size))
            at += size
        return Watchpoint(address, length, kind, tuple(pieces))

    def _watch_list(self) -> list[Watchpoint]:
        if "_watch_points" not in self.__dict__:
            self._watch_points: list[Watchpoint] = []
        return self._watch_points

    def _watch_rehook(self) -> None:
        """Give the memory hooks the ranges of the current watchpoints (none: no hooks)."""
        ranges: dict[tuple[int, int], set[str]] = {}
        for watchpoint in self._watch_list():
            for _, physical, length in watchpoint.pieces:
                ranges.setdefault((physical, length), set()).update(KINDS[watchpoint.kind])
        self._memory_watch.set_ranges([(start, length, kinds) for (start, length), kinds in sorted(ranges.items())])

    # --- what target.py calls -------------------------------------------------------------

    def _watch_power_on(self) -> None:
        """A machine at position 0 (booted, or the power-on checkpoint put back into the same
        CPU): hooks on its CPU for the watchpoints of now (none if there are none)."""
        watch = self.__dict__.get("_memory_watch")
        if watch is None or watch.cpu is not self.cpu:
            self._memory_watch = MemoryWatch(self.cpu, self._on_watched_access)
        self._watch_rehook()

    def _watch_begin_run(self) -> None:
        """Before each Kernel.run_once: positions of accesses count from here."""
        self._run_start = self.position
        self._watch_hit: WatchHit | None = None

    def _watch_end_run(self, result: str) -> str:
        """After it: WATCHED if a watchpoint ended the run (a fault or idle wins)."""
        if self.__dict__.get("_watch_hit") is not None and result in (RAN, AT_BREAKPOINT):
            return WATCHED
        return result

    def _watch_event(self) -> StopEvent:
        """The stop of a forward run that a watchpoint ended (one past the access)."""
        hit = self._watch_hit
        after = hit.position + 1
        if self.position > after:       # a counter that stops only between blocks ran on: go back
            self.replay_to(after)
        return self._watch_stop(hit)

    def _watch_stop(self, hit: WatchHit) -> StopEvent:
        kind = "write" if hit.kind == WRITE else "read"
        plural = "s" if hit.size != 1 else ""
        description = (f"watchpoint: {kind} of {hit.size} byte{plural} at {hit.address:#x} "
                       f"<{self.symbolize(hit.address)}> by {hit.rip:#x} <{self.symbolize(hit.rip)}>")
        event = self._event(WATCHPOINT, description)
        event.watch = hit
        return event

    def _on_watched_access(self, access) -> None:
        """A memory hook saw an access to watched bytes: a hit for the watchpoints it concerns.
        Runs for every access to watched bytes, so a replay's recording keeps only the latest
        hit's parts (the bytes before the access must be read now, the rest can wait)."""
        recording = self._watch_recording
        if recording is not None and recording.ignoring:
            return
        position = self._run_start + access.retired_before
        for watchpoint in self._watch_points:
            if access.kind not in KINDS[watchpoint.kind]:
                continue
            address = watchpoint.virtual_of(access.physical, access.size)
            if address is None:
                continue
            if recording is not None:
                recording.offer(watchpoint, access, address, position, self.cpu.memory)
            elif self._watch_hit is None:
                self._watch_hit = _hit(watchpoint, access, address, position, watchpoint.read(self.cpu.memory))
                end_run_after_current_instruction(self.cpu)

    # --- backwards ------------------------------------------------------------------------

    def reverse_cont(self) -> StopEvent:
        """Back to the latest of: a breakpoint hit, a held fault, a watched access -- before now.
        As TimeTravel.reverse_cont, one checkpoint interval at a time, newest first: each
        stretch is replayed once recording the watched accesses (their exact positions come
        from the counter: nothing is stepped), and the first stretch that has a stop decides."""
        current = self.position
        if not self._watch_list() or current == 0:
            return super().reverse_cont()
        self._drop_edits_after(current)
        end = current
        for start in list(self.checkpoints.before(current)) + [None]:
            with _Recording(self) as recording:
                found = self._replay_stops(start, before=end)
            last_stop = found[-1].position if found else -1
            hit = recording.hit()
            if hit is not None and hit.position >= last_stop:
                hit = replace(hit, backwards=True)
                self.replay_to(hit.position)
                self.last_stop = self._watch_stop(hit)
                return self.last_stop
            if found:
                with _Recording(self, ignoring=True):
                    self.last_stop = self._replay_stops(start, before=end, stop_at=len(found))[-1]
                self._drop_edits_after(self.position)
                return self.last_stop
            end = start.position if start is not None else 0
        self.replay_to(0)
        self.last_stop = self._event(stops.START, "no breakpoint or watched access before this point: "
                                     "back at position 0")
        return self.last_stop

    def replay_to(self, target: int) -> None:
        """TimeTravel.replay_to, with watchpoints neither stopping the replay nor recording."""
        with _Recording(self, ignoring=True):
            super().replay_to(target)

    def last_access_before(self, address: int, length: int, kind: str, before: int) -> WatchHit | None:
        """The last `kind` access to [address, address + length) before position `before`, found
        by one replay with a temporary watchpoint (None if there was none); the machine then
        comes back to where it was (same position, edits, breakpoints and last stop)."""
        here, last_stop = self.position, self.last_stop
        watchpoint = self._translate_watch(address, length, kind)
        self._watch_list().append(watchpoint)
        try:
            with _Recording(self, only=watchpoint) as recording:
                self._replay_quietly(min(before, here), from_power_on=True)
        finally:
            self._watch_list().pop()
            self._watch_rehook()
        with _Recording(self, ignoring=True):
            self._run_quietly_to(here)
        self._hook_all()
        self.last_stop = last_stop
        return recording.hit()


def _hit(watchpoint: Watchpoint, access, address: int, position: int, old: bytes) -> WatchHit:
    """The WatchHit of an access, given the watched bytes before it."""
    new = old if access.value is None else _patched(old, watchpoint.address, address, access.size, access.value)
    return WatchHit(watchpoint, access.kind, address, access.size, position, access.rip, old, new)


class _Recording:
    """`with _Recording(target) as recording`: watched accesses do not stop anything; the latest
    one (of the watchpoint `only`, if given) is kept: `recording.hit()`. Of several watchpoints
    that see the same access, the first set is kept. `ignoring`: keep nothing (a replay that
    only has to arrive somewhere)."""

    def __init__(self, target, only: Watchpoint | None = None, ignoring: bool = False) -> None:
        self.target, self.only, self.ignoring = target, only, ignoring
        self._latest = None

    def offer(self, watchpoint, access, address: int, position: int, memory) -> None:
        """An access during the recording (called from the memory hook: keep it cheap)."""
        if (self.only is None or watchpoint is self.only) and (self._latest is None or position > self._latest[3]):
            self._latest = (watchpoint, access, address, position, watchpoint.read(memory))

    def hit(self) -> WatchHit | None:
        """The latest access seen, as a WatchHit (None if there was none)."""
        return _hit(*self._latest) if self._latest is not None else None

    def __enter__(self):
        self.saved = self.target._watch_recording
        self.target._watch_recording = self
        return self

    def __exit__(self, *exc) -> None:
        self.target._watch_recording = self.saved
