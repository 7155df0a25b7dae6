"""Coverage feedback: does this execution's edge map show something no earlier one did?

The edge recorder (machine/edges.py) fills one hit counter per edge slot.
As in AFL, counts are put in buckets (1, 2, 3, 4-7, 8-15, 16-31, 32-127,
128+), one bit each, so that "this loop ran 5 times instead of 1" counts as
new behaviour but 5 against 6 does not. An input is interesting when its
bucketed map has a bit the union of all earlier maps lacks. A whole map is
one Python integer, so a check is a few big-integer operations, not a loop;
and most executions repeat a map seen before, which a set of their hashes
answers before any of that. This module judges maps; it must NOT run the
machine.
"""
from __future__ import annotations

def _bucket(count: int) -> int:
    """The bucket bit of a hit count (0 for an edge not taken)."""
    for bit, upper in enumerate((1, 2, 3, 7, 15, 31, 127)):
        if count <= upper:
            return 0 if count == 0 else 1 << bit
    return 1 << 7


BUCKETS = bytes(_bucket(count) for count in range(256))
KNOWN_LIMIT = 1 << 16    # raw maps remembered by hash (then every map is merged the slow way)


class CoverageMap:
    """Everything the campaign's executions have covered so far."""

    def __init__(self) -> None:
        self.seen = 0            # union of all bucketed maps, as one integer
        self.edges = 0           # edge slots ever taken
        self._known: set[int] = set()   # hashes of raw maps already merged

    def observe(self, trace: bytes) -> tuple[bool, bool]:
        """Merge one execution's map; (new bits?, new edges?) -- new edges are slots never taken before."""
        fingerprint = hash(trace)
        if fingerprint in self._known:
            return False, False
        if len(self._known) < KNOWN_LIMIT:
            self._known.add(fingerprint)
        bucketed = int.from_bytes(trace.translate(BUCKETS), "little")
        fresh = bucketed & ~self.seen
        if not fresh:
            return False, False
        self.seen |= bucketed
        edges = self._count_edges(len(trace))
        new_edges = edges > self.edges
        self.edges = edges
        return True, new_edges

    def _count_edges(self, slots: int) -> int:
        """How many slots have any bucket bit in the union."""
        raw = self.seen.to_bytes(slots, "little")
        return slots - raw.count(0)
