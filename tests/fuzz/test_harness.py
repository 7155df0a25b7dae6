"""The harness runs the real sensor.sys on a machine reset per execution, and its faults are the MMU's.

A boot is the reference: the harness must lay the kernel window out as a
boot does, deliver the boot's event messages and fault where a boot
bugchecks -- same RIP, same address -- and a run must leave no trace in the
next one.
"""
from __future__ import annotations

import pytest

from simpleos.channel import Criterion, Instance, ChannelFile, serialize
from simpleos.fuzz.harness import CRASH, HANG, SURVIVED, SensorHarness
from simpleos.fuzz.triage import Classifier
from simpleos.kernel.sensor.events import EVENT_HANDLE_BASE, EVENT_HANDLE_STRIDE
from simpleos.machine.trap import PAGE_FAULT, Trap
from simpleos.system import BootOptions, boot_with

from pathlib import Path

import paths

BAD = Path(paths.BAD)
GOOD = Path(paths.GOOD)
PROCESS = Path(paths.PROCESS)

SPOOLSS_HANDLE = EVENT_HANDLE_BASE + 3 * EVENT_HANDLE_STRIDE     # the first IPC event of a boot


def test_good_content_survives_every_event_with_the_boots_verdicts(original):
    outcome = original.run(GOOD.read_bytes())
    assert outcome.kind == SURVIVED
    # IPC events only (the file's template type): spoolss allowed, the beacon's C2 pipe denied by 291001.
    assert outcome.verdicts == ((0, 0), (1, 291001))
    assert outcome.trap is None


def test_process_content_sees_only_the_process_events(original):
    outcome = original.run(PROCESS.read_bytes())
    assert outcome.kind == SURVIVED
    assert outcome.verdicts == ((0, 0), (2, 292001))            # /bin/service allowed, /bin/beacon reported


def test_cf291_is_a_page_fault_raised_by_the_emulated_mmu_at_the_boots_address(original):
    outcome = original.run(BAD.read_bytes(), detail=True)
    assert outcome.kind == CRASH
    trap = outcome.trap
    assert isinstance(trap, Trap) and trap.vector == PAGE_FAULT and trap.cpl == 0
    assert trap.address == SPOOLSS_HANDLE                         # inputs[20] is the event handle
    assert trap.error_code == 0                                   # kernel read, page not present
    assert original.locate(trap.rip) == ("sensor.sys", 0x2d2)     # compare_string+0xa
    assert outcome.criterion == 20                                # [current_criterion]: index 20
    assert outcome.registers["r9"] == SPOOLSS_HANDLE              # the value match_instance read


def test_the_harness_faults_exactly_where_a_monolithic_boot_bugchecks(original, tmp_path):
    session = boot_with(BootOptions(machine=str(tmp_path), fresh=True, channels=[str(BAD)], max_boots=1))
    try:
        bugcheck = session.boots[0].bugcheck
    finally:
        session.close()
    outcome = original.run(BAD.read_bytes())
    assert (bugcheck.rip, bugcheck.address, bugcheck.module) == (outcome.rip, outcome.trap.address, "sensor.sys")


def test_the_fixed_build_is_the_guest_codes_decision_not_a_python_check(fixed):
    outcome = fixed.run(BAD.read_bytes())
    assert outcome.kind == SURVIVED
    # The bounds-check message, for spoolss only: the beacon's pipe is denied by 291001 before 291003.
    assert outcome.logs == 1
    assert outcome.verdicts == ((0, 0), (1, 291001))


def test_a_run_leaves_nothing_behind_for_the_next(original):
    good = GOOD.read_bytes()
    first = original.run(good)
    original.run(BAD.read_bytes())
    original.run(b"\xaa\xaa\xaa\xaa\x01\x00" + bytes(range(256)) * 40)
    assert original.run(good) == first
    original.snapshot.restore()
    for page, (_, frame, saved) in original.snapshot.pages.items():
        assert original.cpu.memory.read(frame, len(saved)) == saved, f"page {page:#x} not restored"


def test_the_snapshot_copies_back_only_what_was_written(original):
    original.run(GOOD.read_bytes())
    dirty = original.snapshot.restore()
    assert 0 < dirty <= 4 < len(original.snapshot.pages)       # the sensor's variables and its stack


def test_content_too_big_for_the_content_area_is_refused_like_the_kernel_does(original):
    outcome = original.run(b"\xaa" * (original._content_request[1] + 1))
    assert outcome.kind == SURVIVED and outcome.event == -1     # get_content said -EINVAL: no content


def test_a_run_that_never_waits_again_is_a_hang_with_the_watchdog_bucket():
    small = SensorHarness("original", hang_budget=200)
    outcome = small.run(GOOD.read_bytes())
    assert outcome.kind == HANG and outcome.length > 200 and not outcome.in_blocks
    fault = Classifier(small).classify(outcome)
    assert fault.stop == "DPC_WATCHDOG_VIOLATION" and fault.bucket.startswith("DPC_WATCHDOG_VIOLATION_sensor.sys!")


def test_in_fuzzing_mode_a_spent_block_budget_is_checked_with_the_exact_counter():
    small = SensorHarness("original", hang_budget=6400)      # 100 blocks in fuzzing mode
    small.enable_coverage()
    good = GOOD.read_bytes()                                 # some 1,800 instructions: not a hang
    assert small.run(good).kind == SURVIVED
    assert small.recorder is not None and small.cpu.counter.suspended
    tiny = SensorHarness("original", hang_budget=640)        # 10 blocks; 640 instructions: a hang
    tiny.enable_coverage()
    outcome = tiny.run(good)
    assert outcome.kind == HANG and not outcome.in_blocks and outcome.length > 640


def test_a_string_test_on_an_integer_input_dereferences_the_integer(original, fixed):
    criteria = [Criterion.wildcard()] * 21
    criteria[2] = Criterion.equals("3")                          # creator_pid is an integer: 3
    data = serialize(ChannelFile(291, 2, 21, 1, (Instance(7, 0, tuple(criteria)),)))
    outcome = original.run(data)                                 # the bounds check alone would not help
    assert outcome.kind == CRASH and outcome.trap.address == 3
    assert fixed.run(data).kind == SURVIVED                      # the fixed build's type check skips the rule


def test_a_rule_that_runs_past_its_file_is_skipped_by_the_fixed_build(original, fixed):
    criteria = [Criterion.wildcard()] * 21
    data = bytearray(serialize(ChannelFile(291, 2, 21, 1, (Instance(7, 0, tuple(criteria)),))))
    data[12:16] = (0xFFFF).to_bytes(4, "little")                 # 65,535 instances promised, one there
    assert original.run(bytes(data)).kind == CRASH               # off the end of the content area
    assert fixed.run(bytes(data)).kind == SURVIVED


def test_coverage_is_recorded_only_while_enabled(original):
    assert original.recorder is None and not original.cpu.counter.suspended
    recorder = original.enable_coverage()
    try:
        original.run(GOOD.read_bytes())
        good = recorder.trace()
        original.run(BAD.read_bytes())
        bad = recorder.trace()
        assert any(good) and any(bad) and good != bad
    finally:
        original.disable_coverage()
    assert original.recorder is None and not original.cpu.counter.suspended


@pytest.mark.parametrize("data", [b"", b"\0" * 39, b"not a channel file at all" * 3])
def test_inputs_the_loader_refuses_survive(original, data):
    assert original.run(data).kind == SURVIVED


@pytest.mark.parametrize("vector, stop", [(13, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED"),
                                          (6, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED"),
                                          (14, "PAGE_FAULT_IN_NONPAGED_AREA")])
def test_every_exception_in_the_sensor_is_a_crash_bucketed_as_a_boot_would(original, vector, stop):
    from simpleos.fuzz.harness import Outcome
    rip = original.image.symbols["match_instance"] + 0x1e
    trap = Trap(vector=vector, cpl=0, rip=rip, address=0x10 if vector == PAGE_FAULT else None,
                error_code=0 if vector == PAGE_FAULT else None)
    outcome = Outcome(CRASH, trap, rip, 1, 100, True, (), 0)
    fault = Classifier(original).classify(outcome)
    assert outcome.crashed and fault.stop == stop and fault.symbol == "sensor.sys!match_instance+0x1e"
    assert fault.bucket.endswith("_sensor.sys!match_instance")
