"""The kernel API the sensor driver imports: system calls 510-515 (wait_event, verdict, get_content,
log, sleep, report_hidden).

The driver reaches these through its import table (kernel/kapi.asm): at
ring 0 the slots point at stubs in the kernel half, at ring 3 at thunks
mapped into its process (under the nanokernel, at capability invocations,
kernel/capabilities.py, which land here too). Only the loaded sensor may
call them (-EPERM for anyone else). These functions move events, verdicts,
content and log lines between the kernel and the driver -- and leave the
placement its part (binding an event's inputs, filling lent frames); they
judge nothing.
"""
from __future__ import annotations

from ...machine.clock import CYCLES_PER_SECOND
from .. import errno
from ..usercopy import copy_to_user, string_from_user
from ..waiting import Block, Gone
from .events import VERDICT_ALLOW, VERDICT_DENY, VERDICT_NAMES, VERDICT_NOTIFY, encode

LOG_LINE_LIMIT = 200


def wait_event(sensor, process, buffer: int, size: int):
    """kapi wait_event(buffer, size): the next event into `buffer`; blocks while there is none.
    Returns the event's template type (the Block protocol of syscalls.py while waiting)."""
    def ready():
        event = sensor.queue.take()
        if event is None:
            return None
        message = encode(event)
        if len(message) > size:
            sensor.queue.answered()
            event.verdict = VERDICT_ALLOW
            return -errno.EINVAL
        copy_to_user(process.space, buffer, message, ring=process.ring)
        sensor.placement.deliver(sensor.kernel, process, event)
        sensor.charge_message()
        return event.template_type
    result = ready()
    if result is None:
        raise Block(ready)
    return result


def verdict(sensor, process, verdict: int, rule: int, handle: int) -> int:
    """kapi verdict(verdict, rule, handle): the answer for the event being judged. An answer
    after the event's AUTH deadline comes too late: the deadline has been missed (the sensor
    is killed, the event gets the fail policy)."""
    event = sensor.queue.current
    if event is None or handle != event.handle or verdict not in VERDICT_NAMES:
        return -errno.EINVAL
    if event.deadline is not None and sensor.kernel.clock.cycles > event.deadline:
        sensor.expire(event)
        if not process.alive:
            raise Gone()
        return -errno.ETIMEDOUT
    sensor.queue.answered()
    event.verdict, event.rule = verdict, rule
    sensor.placement.retire(sensor.kernel, process, event)
    sensor.charge_message()
    sensor.stats.answered(sensor.kernel.clock.cycles - event.submitted_at)
    if verdict == VERDICT_DENY:
        sensor.stats.denials += 1
        sensor.log(f"sensor: DENY {event.kind} {event.subject} (rule {rule})")
    elif verdict == VERDICT_NOTIFY:
        sensor.stats.detections += 1
        sensor.log(f"sensor: detection: {event.kind} {event.subject} matched rule {rule} (notify)")
    return 0


def get_content(sensor, process, index: int, buffer: int, size: int) -> int:
    """kapi get_content(index, buffer, size): channel file number `index`; 0 when there are no more."""
    if index >= len(sensor.content):
        return 0
    name, data = sensor.content[index]
    if len(data) > size:
        sensor.log(f"sensor: {name} does not fit its content area; skipped")
        return -errno.EINVAL
    sensor.placement.copy_content(sensor.kernel, process, buffer, data)
    return len(data)


def log(sensor, process, message: int) -> int:
    """kapi log(message): a line from the driver on the console."""
    text = string_from_user(process.space, message, LOG_LINE_LIMIT, ring=process.ring)
    sensor.log(text.decode("utf-8", "replace"))
    return 0


def sleep(sensor, process, microseconds: int):
    """kapi sleep(microseconds): the sensor waits this long in virtual time (--sensor-delay)."""
    clock = sensor.kernel.clock
    deadline = clock.cycles + microseconds * CYCLES_PER_SECOND // 1_000_000
    raise Block(lambda: 0 if clock.cycles >= deadline else None, wake_at=deadline)


def report_hidden(sensor, process, pid: int, view: int) -> int:
    """kapi report_hidden(pid, view): the sensor found process `pid` in a scheduler view (1 the
    run queue, 2 the address-space roots) but not on the process list."""
    sensor.report_hidden(pid, view)
    return 0


def sensor_call(function, arguments: int):
    """The system call entry for one kapi function: only the loaded sensor may call it."""
    def call(k, p, *args):
        sensor = k.sensor
        if sensor is None or p is not sensor.process:
            return -errno.EPERM
        return function(sensor, p, *args[:arguments])
    call.__doc__ = f"sensor_{function.__name__}: {function.__doc__.splitlines()[0]} (only the loaded sensor)"
    return call


SENSOR_SYSCALLS = {
    510: ("sensor_wait_event", sensor_call(wait_event, 2)),
    511: ("sensor_verdict", sensor_call(verdict, 3)),
    512: ("sensor_get_content", sensor_call(get_content, 3)),
    513: ("sensor_log", sensor_call(log, 1)),
    514: ("sensor_sleep", sensor_call(sleep, 1)),
    515: ("sensor_report_hidden", sensor_call(report_hidden, 2)),
}
