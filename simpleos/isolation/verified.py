"""Verified (eBPF-style): the sensor runs at ring 0, but content is checked first.

Like the Linux eBPF verifier, the kernel refuses to let code -- here, the
interpreter's program, which is the content -- run unless it can prove it
stays in bounds: every content update gets ABI validation (each
non-wildcard criterion must name an input the sensor supplies) before the
sensor may load it. A rejected file is reported and the previous content
stays in force. Faults that still happen are bugchecks, as in the
monolithic model.
"""
from __future__ import annotations

from .base import ContentFile, IsolationModel


class Verified(IsolationModel):
    """Sensor in the kernel, content verified against the sensor's ABI at load."""

    name = "verified"
    sensor_ring = 0
    order = 4
    rejects_content_by = "ABI validation"

    def admit(self, content: ContentFile) -> list[str]:
        """ABI validation: every problem the validator finds, or 'malformed: ...'."""
        from ..channel import ChannelFormatError, abi_validate, parse   # only when content is checked
        try:
            return abi_validate(parse(content.data), content.name)
        except ChannelFormatError as reason:
            return [f"malformed: {reason}"]
