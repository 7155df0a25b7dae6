"""Monolithic kernel (Windows-style kernel driver): the sensor runs at ring 0.

The driver shares the kernel's address space and privilege; it calls kernel
functions directly. A fault in it is a fault in the kernel: bugcheck.
"""
from __future__ import annotations

from .base import IsolationModel


class Monolithic(IsolationModel):
    """Sensor in the kernel: fast, and fatal when it faults."""

    name = "monolithic"
    sensor_ring = 0
    order = 1
