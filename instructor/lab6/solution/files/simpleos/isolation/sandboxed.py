"""Sandboxed (lab 6): the sensor runs at ring 3, and nobody restarts it."""
from __future__ import annotations

from .base import IsolationModel


class Sandboxed(IsolationModel):
    """Sensor in its own process; a crash is final until the next boot."""

    name = "sandboxed"
    sensor_ring = 3
