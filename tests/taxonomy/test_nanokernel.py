"""The nanokernel model: the sensor holds capabilities and nothing else; a fault revokes them and
a fresh instance is granted the same ones. The checks happen in the kernel (cap_invoke looks the
slot up in the caller's own table), and the guest really goes through them."""
from __future__ import annotations

import re

from cliutil import run_cli
from stepping import log_of, run_until
from paths import BAD

from simpleos.kernel import errno
from simpleos.kernel.capabilities import (CAP_CONTENT, CAP_EVENTS, CAP_LOG, LOAD, RECEIVE, SEND, SYS_CAP_INVOKE,
                                          CapabilitySpace, capability_kapi)
from simpleos.kernel.syscalls import SYSCALL_NUMBERS, dispatch

TABLE = ["slot 1  endpoint  events: AUTH and NOTIFY messages in, verdicts out (receive, reply)",
         "slot 2  frames    0x403000-0x413000, 16 frames: its content (read)",
         "slot 3  endpoint  the kernel log (send)"]



def test_cf291_keeps_the_machine_up_and_the_capabilities_are_revoked_and_granted_again(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="nanokernel", channels=[BAD])
    lines = log_of(session)
    assert session.verdict == "up" and len(session.boots) == 1 and session.boots[0].bugcheck is None
    totals = session.sensor_totals
    assert totals["crashes"] == 4 and totals["restarts"] == 4
    assert lines.count("nanokernel: what the sensor could touch: 3 capabilities, now revoked") == 4
    assert lines.count("nanokernel: the fresh instance holds the same capabilities (slots 1, 2, 3)") == 4
    for row in TABLE:
        assert lines.count(f"nanokernel:   {row}") == 4            # the crash report: the capability table
    assert "nanokernel: the fault address 0xffff840500000374 is in none of them" in lines
    kernel = session.kernel
    instances = [p for p in kernel.processes.values() if p.name == "sensor"]
    assert len(instances) == 5
    assert all(isinstance(p.domain, CapabilitySpace) for p in instances)
    assert [p.domain.entries() for p in instances[:4]] == [[], [], [], []]      # every dead one: revoked
    alive = instances[-1]
    assert alive.alive and [c.slot for c in alive.domain.entries()] == [CAP_EVENTS, CAP_CONTENT, CAP_LOG]


def test_the_fresh_instance_gets_the_same_frames(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, model="nanokernel", channels=[BAD])
    first, last = [p for p in session.kernel.processes.values() if p.name == "sensor"][::4]
    lent = session.kernel.model.placement.content_frames.frames
    start = last.image.symbols["content_area"]
    mapped = [last.space.translate(start + i * 4096) for i in range(len(lent))]
    assert mapped == lent and not set(lent) & set(last.frames)      # the kernel's frames, not the process's
    assert first.image.symbols["content_area"] == start


def test_the_guest_reaches_the_kernel_only_through_cap_invoke(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="nanokernel")
    sensor = kernel.sensor.process
    kapi = capability_kapi()
    image = sensor.image
    for name in ("wait_event", "verdict", "get_content", "log"):
        slot = image.symbols[f"import_{name}"] - image.base
        assert int.from_bytes(image.code[slot:slot + 8], "little") == kapi.symbols[f"kapi_{name}"]
    calls = []
    original = kernel.cpu.on_syscall

    def record():
        if kernel.current is sensor:
            calls.append(kernel.cpu.read("rax"))
        original()
    kernel.cpu.on_syscall = record
    assert run_until(kernel, lambda: kernel.sensor.stats.examined >= 3)
    assert calls and set(calls) == {SYS_CAP_INVOKE}


def test_no_ambient_authority_and_each_invocation_is_checked(tmp_path, powered_on):
    kernel = powered_on(tmp_path, model="nanokernel")
    sensor = kernel.sensor.process
    assert run_until(kernel, lambda: sensor.state == "blocked" and kernel.sensor.content)
    for name in ("getpid", "sensor_log", "sensor_wait_event", "process_list", "spawn"):
        assert dispatch(kernel, sensor, SYSCALL_NUMBERS[name], (0, 0, 0, 0, 0, 0)) == -errno.EPERM, name
    invoke = SYSCALL_NUMBERS["cap_invoke"]
    assert dispatch(kernel, sensor, invoke, (0, 0, 0, 9, RECEIVE, 0)) == -errno.EBADF      # an empty slot
    assert dispatch(kernel, sensor, invoke, (0, 0, 0, CAP_EVENTS, SEND, 0)) == -errno.EPERM   # no such right
    assert dispatch(kernel, sensor, invoke, (0, 0, 0, CAP_LOG, LOAD, 0)) == -errno.EPERM     # wrong kind
    assert dispatch(kernel, sensor, invoke, (0, 0, 0, CAP_LOG, 99, 0)) == -errno.EINVAL
    init = next(p for p in kernel.processes.values() if p.name == "init")
    assert dispatch(kernel, init, invoke, (0, 0, 0, CAP_EVENTS, RECEIVE, 0)) == -errno.EPERM  # no table at all
    content = sensor.image.symbols["content_area"]
    assert sensor.space.translate(content, user=True) is not None
    assert sensor.space.translate(content, user=True, write=True) is None                   # frames: read-only


def test_the_debugger_prints_the_capability_table(tmp_path, capsys):
    script = tmp_path / "caps.sdb"
    script.write_text("info caps\ninfo caps 2\nquit\n")
    code, text, err = run_cli(capsys, "debug", "--machine", str(tmp_path / "m"), "--fresh", "--model", "nanokernel",
                              "--script", str(script))
    assert code == 0, err
    assert "pid 1 sensor (ring 3, runnable): capabilities, nothing else" in text
    for row in TABLE:
        assert f"  {row}" in text
    assert re.search(r"pid 2 init \(ring 3, \w+\): ambient authority", text)
