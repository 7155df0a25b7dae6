"""Microkernel (MINIX 3 / macOS System Extensions): the sensor is a ring-3 server.

It has its own address space and reaches the kernel only by system calls
and messages. A fault kills the server, not the machine.
"""
from __future__ import annotations

from .base import IsolationModel


class Microkernel(IsolationModel):
    """Sensor as a user-space server: a crash costs one process."""

    name = "microkernel"
    sensor_ring = 3
