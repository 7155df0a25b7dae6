"""The simulator's parts on their own: seeded draws, the calendar, cohorts, the technicians' queue."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from simpleos.fleet import calendar
from simpleos.fleet.cohorts import build_fleet
from simpleos.fleet.draws import binomial, split, stream
from simpleos.fleet.recovery import recover
from simpleos.fleet.rollout import RolloutRecord, StageRecord
from simpleos.fleet.spec import FleetSpec, parse_mix


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**7), st.lists(st.floats(0.0, 1000.0), min_size=1, max_size=30), st.integers(0, 2**32))
def test_split_shares_out_every_machine_as_floor_or_ceiling_of_its_share(total, weights, seed):
    if sum(weights) <= 0:
        return
    shares = split(total, weights, random.Random(seed))
    assert sum(shares) == total and all(s >= 0 for s in shares)
    for share, weight in zip(shares, weights):
        expected = total * weight / sum(weights)
        assert expected - 1 - 1e-6 <= share <= expected + 1 + 1e-6


def test_split_gives_a_rare_group_its_machine_with_the_right_probability():
    hits = sum(split(100, [0.999, 0.001], random.Random(seed))[1] for seed in range(20_000))
    assert 1_500 < hits < 2_500                       # expected 0.1 machines per canary of 100 -> ~2,000 / 20,000


def test_binomial_is_in_range_and_has_the_right_mean():
    rng = random.Random(1)
    small = [binomial(100, 0.003, rng) for _ in range(20_000)]
    assert min(small) >= 0 and abs(sum(small) / len(small) - 0.3) < 0.03
    large = [binomial(1_000_000, 0.003, rng) for _ in range(2_000)]
    assert abs(sum(large) / len(large) - 3_000) < 10 and max(large) <= 1_000_000
    assert binomial(10, 1.0, rng) == 10 and binomial(0, 0.5, rng) == 0 and binomial(5, 0.0, rng) == 0


def test_streams_of_different_purposes_are_independent_and_repeatable():
    assert stream(1, "timing").random() == stream(1, "timing").random()
    assert stream(1, "timing").random() != stream(1, "noise").random()


def test_minute_zero_is_friday_19_july_04_09_utc_and_local_clocks_follow_the_zones():
    zones = {zone.name: zone for zone in calendar.ZONES}
    assert calendar.timestamp(0) == "2024-07-19T04:09Z" and calendar.timestamp(78) == "2024-07-19T05:27Z"
    assert calendar.local_clock(0, zones["Europe/Central"]) == (4, 6 * 60 + 9)        # Friday 06:09
    assert calendar.local_clock(0, zones["Americas/Pacific"]) == (3, 21 * 60 + 9)     # Thursday 21:09
    sydney = zones["Australia/Sydney"]
    monday = calendar.next_opening(0, sydney, 7, weekdays_only=True)                 # Friday 14:09 there
    assert calendar.local_clock(monday, sydney) == (0, 7 * 60)
    assert calendar.in_hours(0, sydney, (8, 20), weekdays_only=False)
    assert calendar.shift_end(0, sydney, (8, 20)) == 6 * 60 - 9


def test_the_fleet_has_every_machine_once_and_stages_of_the_planned_sizes():
    spec = FleetSpec(machines=123_457, models=parse_mix("monolithic=0.6,microkernel=0.4", ["monolithic", "microkernel"],
                                                           "model"))
    fleet = build_fleet(spec, [1_234, 12_345, 109_878])
    assert sum(c.count for c in fleet.cohorts) == 123_457
    for stage, size in enumerate([1_234, 12_345, 109_878]):
        assert sum(c.count for c in fleet.cohorts if c.stage == stage) == size
    assert all(c.online + sum(n for _, n in c.wakes) == c.count for c in fleet.cohorts)
    assert all(c.online == c.count for c in fleet.cohorts if c.machine_class.role != "workstation")
    assert fleet.online_at(0) == fleet.initially_online < fleet.online_at(7 * 1440) == 123_457


def test_technicians_fix_every_bricked_machine_and_bitlocker_costs_more():
    spec = FleetSpec()
    zones = [10_000] * len(calendar.ZONES)

    def fixed(locked: bool):
        record = RolloutRecord([StageRecord(0, 10_000)], halted_at=78, ended_at=78,
                               bricked_arrivals=[(m, z, locked, 500) for z in range(len(calendar.ZONES)) for m in (1, 5)])
        return recover(record, zones, spec)

    plain, encrypted = fixed(False), fixed(True)
    assert abs(plain.fixed_by_hand - 6_000) < 1e-6 and abs(sum(n for _, n in plain.returns) - 6_000) < 1e-6
    assert plain.unfinished == 0 and encrypted.machine_hours_lost > 1.5 * plain.machine_hours_lost
    assert min(minute for minute, _ in plain.returns) > 78                # nobody knew the fix before the halt


def test_a_bootloop_the_fix_by_hand_does_not_cure_stays_down():
    from simpleos.fleet.classes import BOOTLOOP
    from simpleos.fleet.policies.builtin import AllAtOnce
    from simpleos.fleet.report import minutes_to_recover
    from simpleos.fleet.rollout import Rollout
    spec = FleetSpec(machines=1_000)
    fleet = build_fleet(spec, [1_000])
    stuck = {"effect": BOOTLOOP, "down_minutes": 1.0, "manual_fix": "bootloop"}
    record = Rollout(fleet, {cls: stuck for cls in fleet.classes()}, AllAtOnce()).run()
    recovery = recover(record, fleet.zone_machines, spec)
    bricked = sum(stage.bricked for stage in record.stages)
    assert bricked > 0 and record.bricked_arrivals == [] and recovery.unfinished == bricked
    assert recovery.returns == [] and minutes_to_recover([], bricked, 0.99) is None


def test_bad_input_inside_a_pool_worker_comes_back_as_one_line():
    import pytest

    from simpleos.errors import BadInput
    from simpleos.fleet.classes import BootTask, MachineClass
    from simpleos.fleet.emulate import emulate
    tasks = [BootTask(MachineClass("picokernel", "original", role), None, None, 0, False) for role in ("server", "kiosk")]
    with pytest.raises(BadInput, match="picokernel"):
        emulate(tasks, workers=2)
