"""The sensor's in-tray: AUTH events awaiting a verdict, NOTIFY messages, the one being judged.

Events are numbered in the order they arrive (the number makes the event's
kernel handle). `take()` hands the sensor the next one; an AUTH event then
stays `current` until its verdict comes back. When the sensor dies,
`drain()` returns every AUTH event that was still waiting, for the fail
policy. Bookkeeping only: who decides what is the manager's business.
"""
from __future__ import annotations

from collections import deque

from .events import SensorEvent


class EventQueue:
    """Events for one sensor, in arrival order."""

    def __init__(self) -> None:
        self.waiting: deque[SensorEvent] = deque()
        self.current: SensorEvent | None = None   # taken by the sensor, verdict not yet given
        self._sequence = 0

    def number(self, event: SensorEvent) -> None:
        """Give `event` the next sequence number (and so its handle)."""
        event.sequence = self._sequence
        self._sequence += 1

    def put(self, event: SensorEvent) -> None:
        """Queue an event for the sensor."""
        self.waiting.append(event)

    def take(self) -> SensorEvent | None:
        """The next event for the sensor (an AUTH event becomes `current`), or None."""
        if not self.waiting:
            return None
        event = self.waiting.popleft()
        self.current = None if event.notify else event
        return event

    def answered(self) -> SensorEvent | None:
        """The current event, which has now been answered; None if there is none."""
        event, self.current = self.current, None
        return event

    def withdraw(self, event: SensorEvent) -> None:
        """Forget `event` (its deadline passed)."""
        if self.current is event:
            self.current = None
        if event in self.waiting:
            self.waiting.remove(event)

    def drain(self) -> list[SensorEvent]:
        """Empty the tray: the events that were still in it (the current one first)."""
        events = ([self.current] if self.current else []) + list(self.waiting)
        self.current = None
        self.waiting.clear()
        return events

    def __bool__(self) -> bool:
        return bool(self.waiting)
