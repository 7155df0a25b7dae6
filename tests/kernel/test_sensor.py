"""The security sensor end to end: good content, the CF291 bad content at ring 0 and at ring 3,
the fixed sensor build, and determinism of the crash.

Specs: docs/channel-files.md (the IPC template declares 21 fields, the sensor
supplies 20 inputs; a non-wildcard criterion on field 21 reads one slot past the array and the
dereference page-faults) and docs/cli.md (verdicts, JSON, exit codes).

One source, two placements (drivers/sensor/sensor.asm): under `monolithic` the sensor is a ring-0
kernel thread, so its fault is a bugcheck 0x50 PAGE_FAULT_IN_NONPAGED_AREA in sensor.sys; under
`microkernel` it is a ring-3 process, so the same fault kills one process and the machine stays up.

Every boot here runs with seed 0, so the beacon's pipe is \\\\.\\pipe\\MSSE-<4 digits>-server with
digits fixed by the seed; the tests match the digits with a pattern rather than hard-coding them.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simpleos.channel.templates import IPC
from simpleos.kernel.sensor.events import EVENT_HANDLE_BASE, EVENT_HANDLE_STRIDE
from simpleos.machine.decode import disassemble
from simpleos.system import boot
from cliutil import run_cli as cli
from paths import BAD

SERVICE_PIPES = ["spoolss", "eventlog", "wkssvc", "lsarpc"]
MODELS = ["monolithic", "microkernel"]     # the sensor at ring 0 and at ring 3 (every model: tests/isolation/)

BEACON_DENIED = re.compile(r"sensor: DENY IPC \\\\\.\\pipe\\MSSE-\d{4}-server \(rule 291001\)$")
BEACON_BLOCKED = "beacon: could not open its C2 pipe (blocked)"
BEACON_EXEC_REPORTED = "sensor: detection: PROCESS /bin/beacon matched rule 292001 (notify)"
BOUNDS_CHECK_LINE = "sensor: bounds check: a rule reads an input the sensor does not supply; rule skipped"
KILL_LINE = re.compile(r"pid (\d+) sensor: trap 14 #PF \(page fault\) rip (0x[0-9a-f]+) "
                       r"<compare_string\+0x[0-9a-f]+> \(sensor\.asm:\d+\) addr (0x[0-9a-f]+) err 0x[0-9a-f]+ \[[^\]]*\] -- killed$")


# --- helpers ---------------------------------------------------------------------------------------

def boot_once(open_session, machine, **options):
    """One fresh boot (seed 0, at most one boot) by `open_session`: the boot_machine fixture,
    or simpleos.system.boot in a module-scoped fixture that closes the Session itself."""
    options.setdefault("max_boots", 1)
    return open_session(machine, fresh=True, seed=0, **options)


def console_lines(session) -> list[str]:
    """The console, with the kernel log's '[  time] ' prefix removed."""
    return [re.sub(r"^\[\s*\d+\.\d+\] ", "", line) for line in session.machine.console.lines]


def assert_services_listening(lines: list[str]) -> None:
    """All four services of init created their pipes (each line exactly once)."""
    for pipe in SERVICE_PIPES:
        assert lines.count(f"service: listening on \\\\.\\pipe\\{pipe}") == 1, (pipe, lines)


def assert_beacon_denied(lines: list[str]) -> None:
    """Channel 291's rule 291001 denied the beacon's C2 pipe -- every attempt, if it retries --
    and the beacon saw each one fail."""
    denials = sum(bool(BEACON_DENIED.search(line)) for line in lines)
    assert denials >= 1, lines
    assert lines.count(BEACON_BLOCKED) == denials
    assert not any(line.startswith("beacon: C2 channel open") for line in lines)


def sensor_module(kernel):
    """The Module named sensor.sys among the kernel's loaded modules."""
    [module] = [m for m in kernel.modules if m.name == "sensor.sys"]
    return module


def dereference_in_compare_string(image) -> int:
    """The address of `movzx eax, byte ptr [rdi + rcx]` in compare_string: the sensor's read of
    the input string, where a bad input pointer faults. Found by disassembling, not hard-coded."""
    start = image.symbols["compare_string"]
    end = min([v for v in image.symbols.values() if v > start] + [image.base + image.data_offset])
    code = image.code[start - image.base:end - image.base]
    hits = [address for address, _, mnemonic, operands in disassemble(code, start)
            if mnemonic == "movzx" and operands == "eax, byte ptr [rdi + rcx]"]
    assert len(hits) == 1, disassemble(code, start)
    return hits[0]


def read_kernel_u64(kernel, address: int) -> int:
    """8 bytes of the kernel half, read through the kernel space's page tables."""
    physical = kernel.kernel_space.space.translate(address)
    assert physical is not None, f"{address:#x} is not mapped in the kernel half"
    return int.from_bytes(kernel.machine.memory.read(physical, 8), "little")


def is_event_handle(value: int) -> bool:
    """EVENT_HANDLE_BASE + n * EVENT_HANDLE_STRIDE for some n >= 0."""
    return value >= EVENT_HANDLE_BASE and (value - EVENT_HANDLE_BASE) % EVENT_HANDLE_STRIDE == 0


# --- good content ---------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=MODELS)
def good_boot(request, tmp_path_factory):
    """A fresh machine (shipped good content) booted under each model."""
    session = boot_once(boot, tmp_path_factory.mktemp("good") / "machine", model=request.param)
    yield session
    session.close()


def test_good_content_denies_the_beacons_pipe_and_the_machine_is_up(good_boot):
    lines = console_lines(good_boot)
    assert good_boot.verdict == "up"
    assert [b.outcome for b in good_boot.boots] == ["up"]
    assert "boot complete" in lines
    assert_services_listening(lines)
    assert_beacon_denied(lines)


def test_good_content_reports_the_beacons_exec_by_rule_292001(good_boot):
    lines = console_lines(good_boot)
    assert lines.count(BEACON_EXEC_REPORTED) == 1
    # The exec rule only notifies: the beacon ran (and was then stopped at its pipe).
    assert lines.index(BEACON_EXEC_REPORTED) < lines.index(BEACON_BLOCKED)


def test_good_content_json_counts_the_detection(good_boot):
    report = good_boot.to_json()
    assert report["model"] == good_boot.options.model
    assert report["verdict"] == "up"
    assert report["sensor"]["detections"] >= 1
    assert report["sensor"]["crashes"] == 0
    assert report["boots"] == [{"index": 1, "mode": "normal", "outcome": "up", "bugcheck": None, "dump": None}]


def test_good_content_nothing_is_killed_and_the_sensor_lives(good_boot):
    kernel = good_boot.kernel
    assert kernel.sensor.running
    assert kernel.sensor.process.ring == (0 if good_boot.options.model == "monolithic" else 3)
    assert [p.name for p in kernel.processes.values() if p.fate == "killed"] == []
    assert not any(line.endswith("-- killed") for line in console_lines(good_boot))


@pytest.mark.parametrize("model", MODELS)
def test_good_content_boot_json_through_the_cli(tmp_path, capsys, model):
    code, out, err = cli(capsys, "boot", "--machine", str(tmp_path / "m"), "--fresh", "--max-boots", "1",
                         "--model", model, "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["verdict"] == "up" and report["model"] == model
    assert report["sensor"]["detections"] >= 1


# --- bad content at ring 0: bugcheck ----------------------------------------------------------------

@pytest.fixture(scope="module")
def ring0_crash(tmp_path_factory):
    """Monolithic + the 19 July content: one boot that bugchecks."""
    session = boot_once(boot, tmp_path_factory.mktemp("ring0") / "machine", channels=[BAD])
    yield session
    session.close()


def test_ring0_bad_content_bugchecks_with_a_page_fault_in_sensor_sys(ring0_crash):
    [record] = ring0_crash.boots
    assert ring0_crash.verdict == "bootloop"
    assert record.outcome == "bugcheck"
    bugcheck = record.bugcheck
    assert bugcheck.code == 0x50
    assert bugcheck.name == "PAGE_FAULT_IN_NONPAGED_AREA"
    assert bugcheck.module == "sensor.sys"
    assert bugcheck.trap is not None and bugcheck.trap.vector == 14 and bugcheck.trap.cpl == 0
    lines = console_lines(ring0_crash)
    assert "boot complete" not in lines
    assert "  Stop code: PAGE_FAULT_IN_NONPAGED_AREA" in lines


def test_ring0_faulting_rip_is_the_input_dereference_in_compare_string(ring0_crash):
    bugcheck = ring0_crash.boots[0].bugcheck
    image = sensor_module(ring0_crash.kernel).image
    expected = dereference_in_compare_string(image)
    assert bugcheck.rip == expected
    assert image.symbol_at(bugcheck.rip) == ("compare_string", expected - image.symbols["compare_string"])
    assert bugcheck.offset == expected - image.base
    assert bugcheck.parameters[2] == expected           # parameter 3: the faulting IP
    lines = console_lines(ring0_crash)
    where = f"  What failed: sensor.sys+{bugcheck.offset:#x} (compare_string+{expected - image.symbols['compare_string']:#x})"
    assert where in lines


def test_ring0_fault_address_is_the_event_handle_right_after_the_20_inputs(ring0_crash):
    kernel = ring0_crash.kernel
    bugcheck = ring0_crash.boots[0].bugcheck
    address, access = bugcheck.parameters[0], bugcheck.parameters[1]
    assert access == 0                                   # parameter 2: a read
    assert bugcheck.address == address
    # It has the form of an event handle: EVENT_HANDLE_BASE + n * EVENT_HANDLE_STRIDE ...
    assert is_event_handle(address), hex(address)
    n = (address - EVENT_HANDLE_BASE) // EVENT_HANDLE_STRIDE
    assert n < kernel.sensor.stats.events
    # ... and it is what the sensor's memory holds at ipc_context + 20 * 8: inputs[20], one past the end.
    assert IPC.inputs_supplied == 20
    symbols = sensor_module(kernel).image.symbols
    assert symbols["ipc_event_handle"] == symbols["ipc_context"] + 20 * 8
    assert read_kernel_u64(kernel, symbols["ipc_context"] + 20 * 8) == address
    # The handle of the IPC event the sensor was judging (the kernel's message header, +8).
    assert read_kernel_u64(kernel, symbols["event_buffer"]) == IPC.number
    assert read_kernel_u64(kernel, symbols["event_buffer"] + 8) == address
    # An opaque kernel address: not mapped, hence the page fault.
    assert kernel.kernel_space.space.translate(address) is None


def test_ring0_bugcheck_json_record(ring0_crash):
    bugcheck = ring0_crash.boots[0].bugcheck
    report = ring0_crash.to_json()
    assert report["verdict"] == "bootloop"
    [record] = report["boots"]
    assert record["outcome"] == "bugcheck" and record["dump"] == ring0_crash.boots[0].dump
    assert record["bugcheck"] == {"code": 0x50, "name": "PAGE_FAULT_IN_NONPAGED_AREA", "module": "sensor.sys",
                                  "offset": bugcheck.offset, "address": bugcheck.parameters[0],
                                  "rip": bugcheck.rip}
    assert report["sensor"]["crashes"] == 1


def test_ring0_crash_dump_names_the_rule_being_interpreted(ring0_crash):
    record = ring0_crash.boots[0]
    dump = json.loads(Path(record.dump).read_text())
    assert dump["model"] == "monolithic"
    assert dump["bugcheck"]["code"] == 0x50
    assert dump["bugcheck"]["parameters"] == list(record.bugcheck.parameters)
    assert dump["bugcheck"]["rip"] == record.bugcheck.rip
    assert dump["process"]["name"] == "sensor" and dump["process"]["ring"] == 0
    sensor = dump["sensor"]
    assert sensor["instance"] == 291003
    assert sensor["criterion"] == 20
    assert sensor["file"] == "C-00000291-bad.sys"
    assert sensor["ring"] == 0 and sensor["build"] == "original"
    symbols = sensor_module(ring0_crash.kernel).image.symbols
    assert sensor["inputs_address"] == symbols["ipc_context"]
    # The same dump is also on the machine's disk.
    name = Path(record.dump).name
    assert ring0_crash.fs.read_file(f"/dumps/{name}") == Path(record.dump).read_bytes()


def test_ring0_bad_content_through_the_cli_exits_3(tmp_path, capsys):
    code, out, err = cli(capsys, "boot", "--machine", str(tmp_path / "m"), "--fresh", "--max-boots", "1",
                         "--channel", BAD, "--json")
    assert code == 3 and err == ""
    report = json.loads(out)
    assert report["verdict"] == "bootloop"
    assert report["boots"][0]["bugcheck"]["code"] == 0x50
    assert report["boots"][0]["bugcheck"]["module"] == "sensor.sys"


# --- bad content at ring 3: one process dies --------------------------------------------------------

@pytest.fixture(scope="module")
def ring3_crash(tmp_path_factory):
    """Microkernel + the 19 July content."""
    session = boot_once(boot, tmp_path_factory.mktemp("ring3") / "machine", channels=[BAD], model="microkernel")
    yield session
    session.close()


def test_ring3_bad_content_kills_only_the_sensor(ring3_crash):
    """Each kill is the sensor's #PF at the input dereference in compare_string. (A model may
    restart the sensor, which may then die again on the same content: every kill line must
    still be a sensor #PF, and nothing else may be killed.)"""
    kernel = ring3_crash.kernel
    lines = console_lines(ring3_crash)
    kills = [line for line in lines if line.endswith("-- killed")]
    assert kills, lines
    killed_pids = []
    for line in kills:
        match = KILL_LINE.fullmatch(line)
        assert match, line
        sensor = kernel.processes[int(match.group(1))]
        killed_pids.append(sensor.pid)
        assert sensor.name == "sensor" and sensor.ring == 3
        assert sensor.trap.vector == 14 and sensor.trap.name == "#PF"
        # The same instruction as at ring 0, in the ring-3 copy of the driver.
        assert int(match.group(2), 16) == sensor.trap.rip == dereference_in_compare_string(sensor.image)
        # ... reading the same kind of value: an event handle, in the kernel half.
        assert int(match.group(3), 16) == sensor.trap.address
        assert is_event_handle(sensor.trap.address)
    assert sorted(p.pid for p in kernel.processes.values() if p.fate == "killed") == sorted(killed_pids)


def test_ring3_bad_content_no_bugcheck_machine_up_services_run(ring3_crash):
    assert ring3_crash.verdict == "up"
    assert [(b.outcome, b.bugcheck, b.dump) for b in ring3_crash.boots] == [("up", None, None)]
    lines = console_lines(ring3_crash)
    assert "boot complete" in lines
    assert_services_listening(lines)
    assert not any("STOP" in line or "Stop code" in line for line in lines)
    report = ring3_crash.to_json()
    assert report["verdict"] == "up"
    assert report["sensor"]["crashes"] >= 1


def test_ring3_bad_content_cli_exits_0(tmp_path, capsys):
    code, out, err = cli(capsys, "boot", "--machine", str(tmp_path / "m"), "--fresh", "--max-boots", "1",
                         "--channel", BAD, "--model", "microkernel", "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["verdict"] == "up"
    assert report["boots"][0]["bugcheck"] is None
    assert report["sensor"]["crashes"] >= 1


# --- the fixed sensor build ---------------------------------------------------------------------------

# lab-answer 3: begin (a student tree's sensor has no bounds check until Lab 3 adds it: `make grade LAB=3`)
@pytest.mark.parametrize("model", MODELS)
def test_fixed_sensor_skips_the_bad_rule_and_still_denies_the_beacon(tmp_path, boot_machine, model):
    session = boot_once(boot_machine, tmp_path / "machine", channels=[BAD], model=model, sensor_build="fixed")
    lines = console_lines(session)
    assert session.verdict == "up"
    assert [(b.outcome, b.bugcheck) for b in session.boots] == [("up", None)]
    assert f"driver: sensor.sys (fixed build) started as pid {session.kernel.sensor.process.pid} " \
           f"({'ring 0, kernel thread' if model == 'monolithic' else 'ring 3, own address space'})" in lines
    # Rule 291003 is tried on every service pipe; the bounds check refuses it each time.
    assert lines.count(BOUNDS_CHECK_LINE) >= len(SERVICE_PIPES)
    assert not any(line.endswith("-- killed") for line in lines)
    assert session.kernel.sensor.running
    assert_services_listening(lines)
    assert_beacon_denied(lines)
    assert BEACON_EXEC_REPORTED in lines
    report = session.to_json()
    assert report["sensor"]["crashes"] == 0 and report["sensor"]["detections"] >= 1
# lab-answer 3: end


def test_fixed_sensor_with_good_content_never_logs_the_bounds_check(good_boot, tmp_path, boot_machine):
    """Good content has only wildcards on field 21: the check never fires (and the original
    build never fires it either: it does not have it)."""
    session = boot_once(boot_machine, tmp_path / "machine", model=good_boot.options.model, sensor_build="fixed")
    lines = console_lines(session)
    assert session.verdict == "up"
    assert BOUNDS_CHECK_LINE not in lines
    assert_beacon_denied(lines)
    assert BOUNDS_CHECK_LINE not in console_lines(good_boot)


# --- determinism -------------------------------------------------------------------------------------

def test_two_ring0_crashes_are_identical(tmp_path, boot_machine):
    """Same machine directory, --fresh each time, seed 0: the same console byte for byte
    (blue screen and dump path included) and the same stop parameters."""
    runs = []
    for _ in range(2):
        session = boot_once(boot_machine, tmp_path / "machine", channels=[BAD])
        runs.append((session.machine.console.transcript(), session.boots[0].bugcheck))
        session.close()                   # the next boot opens the same disk
    (first_text, first), (second_text, second) = runs
    assert first_text == second_text
    assert first.parameters == second.parameters
    assert (first.code, first.rip, first.module, first.offset) == (second.code, second.rip, second.module,
                                                                   second.offset)
