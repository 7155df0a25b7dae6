"""The kernel's side of the security sensor, one concept per file.

  manager.py    SensorManager: load the driver where the model says, its content,
                the security gate, the death protocol
  queue.py      the sensor's in-tray of events
  events.py     the events and their wire format (what sensor.asm reads)
  kapi.py       the kernel API the driver imports (system calls 510-513)
  crashinfo.py  what the sensor was interpreting when it died
  stats.py      the counters behind the JSON `sensor` object

The sensor driver itself is guest code: drivers/sensor/sensor.asm.
"""
from .manager import CRASH, NO_REPLY, ContentFile, SensorDeath, SensorManager, describe_content

__all__ = ["CRASH", "NO_REPLY", "ContentFile", "SensorDeath", "SensorManager", "describe_content"]
