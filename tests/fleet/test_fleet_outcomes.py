"""What the fleet simulator reports comes from real SimpleOS boots of each machine class (issue 13's list)."""
from __future__ import annotations

from pathlib import Path

import pytest

from simpleos.channel import load_source, serialize
from simpleos.fleet import simulate

CHANNELS = Path(__file__).resolve().parents[2] / "channel_files"
BAD = str(CHANNELS / "C-00000291-bad.sys")


def run(channel=BAD, **options):
    """One simulation, booting classes in this process (fast, and cached between tests)."""
    options.setdefault("workers", 1)
    return simulate(str(channel), **options)


def test_cf291_all_at_once_monolithic_most_machines_crash_and_stay_down():
    report = run()
    assert report["policy"] == "all-at-once" and report["model"] == "monolithic"
    assert report["crashed"] > report["machines"] / 2
    assert report["bricked"] == report["crashed"] == report["fetched"]     # every fetch of a bootloop class
    assert report["recovered_automatically"] == 0
    assert report["halted_after_minutes"] == 78 and report["halted_at"] == "2024-07-19T05:27Z"
    assert {c["effect"] for c in report["classes"]} == {"bootloop"}
    assert {c["bugcheck"] for c in report["classes"]} == {"PAGE_FAULT_IN_NONPAGED_AREA"}
    assert {c["manual_fix"] for c in report["classes"]} == {"up"}       # safe mode + rm works on every class
    assert report["machine_hours_lost"] > 24 * report["bricked"]       # days each, waiting for a technician
    assert report["recovered_99_at"].startswith("2024-07-2")            # ~10 days, as in 2024 (29 July)


def test_rings_at_most_the_first_ring_crashes_before_the_halt():
    report = run(policy="rings", machines=100_000)
    first, *later = report["rings"]
    assert report["halted_after_minutes"] is not None
    assert report["halted_after_minutes"] < report["policy_parameters"]["bake_minutes"]
    assert 0 < report["crashed"] <= first["size"]
    assert first["halted"] and all(r["released_after_minutes"] is None and r["fetched"] == 0 for r in later)
    assert report["crashed"] / report["machines"] <= 0.01


def test_canary_halts_in_the_first_box_or_canary_group():
    report = run(policy="canary", machines=100_000)
    released = [r for r in report["rings"] if r["released_after_minutes"] is not None]
    assert len(released) <= 2 and released[-1]["halted"]
    assert report["crashed"] <= 1 + report["policy_parameters"]["canary_hosts"]


@pytest.mark.parametrize("policy", ["all-at-once", "rings", "canary"])
def test_microkernel_nothing_bricked(policy):
    report = run(policy=policy, model="microkernel")
    assert report["bricked"] == 0 and report["crashed"] == 0 and report["machine_hours_lost"] == 0
    assert report["sensor_crashed"] > 0                                   # the sensor did die, on every machine
    assert report["recovered_automatically"] == report["sensor_crashed"] == report["fetched"]
    assert {c["effect"] for c in report["classes"]} == {"sensor-restarted"}


def test_verified_rejects_the_file_everywhere():
    report = run(model="verified")
    assert report["crashed"] == report["sensor_crashed"] == 0
    assert report["rejected"] == report["fetched"] > 0


def test_fixed_sensor_build_does_not_crash():
    report = run(builds="fixed")
    assert report["crashed"] == 0 and {c["effect"] for c in report["classes"]} == {"none"}


@pytest.mark.parametrize("policy", ["all-at-once", "rings", "canary"])
def test_good_content_nothing_crashes(policy):
    report = run(CHANNELS / "C-00000291-good.sys", policy=policy)
    assert report["crashed"] == report["sensor_crashed"] == report["bricked"] == 0
    assert report["machine_hours_lost"] == 0 and report["minutes_to_99_recovered"] == 0
    if policy != "all-at-once":
        assert report["rollout_completed"] and report["halted_after_minutes"] is None   # no false alarm


@pytest.mark.parametrize("role", ["server", "kiosk"])
def test_a_file_that_crashes_one_role_crashes_only_that_roles_machines(role):
    report = run(CHANNELS / f"C-00000291-{role}-bad.sys")
    effects = {c["role"]: c["effect"] for c in report["classes"]}
    assert effects == {r: ("bootloop" if r == role else "none") for r in ("kiosk", "server", "workstation")}
    by_role = report["by_role"]
    assert by_role[role]["crashed"] == by_role[role]["fetched"] > 0
    assert all(counts["crashed"] == 0 for r, counts in by_role.items() if r != role)
    assert report["crashed"] == by_role[role]["crashed"]


def test_a_template_valid_file_that_crashes_the_sensor_crashes_machines(tmp_path):
    source = tmp_path / "C-00000291-lab.toml"
    source.write_text('channel = 291\ntemplate_type = "IPC"\ncontent_version = 40\n'
                      '[[instance]]\nid = 291100\naction = "notify"\n'
                      '[[instance.criterion]]\nfield = "field_21"\nkind = "prefix"\nvalue = "x"\n')
    built = tmp_path / "C-00000291-lab.sys"
    built.write_bytes(serialize(load_source(source)))
    report = run(built)
    assert report["crashed"] == report["fetched"] > 0


def test_a_harmless_edge_file_crashes_none():
    report = run(CHANNELS / "C-00000291-edge.sys")
    assert report["crashed"] == report["sensor_crashed"] == report["rejected"] == 0
    assert report["fetched"] > 0 and {c["effect"] for c in report["classes"]} == {"none"}


def test_auto_repair_turns_the_bootloop_into_a_reboot():
    report = run(fleet={"auto_repair": True})
    assert report["bricked"] == 0 and report["crashed"] == report["recovered_automatically"] > 0
    assert {c["effect"] for c in report["classes"]} == {"rebooted"}
    assert report["machine_hours_lost"] < report["crashed"]               # minutes each, not days


def test_pinned_machines_never_get_content_that_was_pulled_in_time():
    pinned = run(pin="n=0.5,n-1=0.5")
    everyone = run()
    assert 0 < pinned["crashed"] < 0.6 * everyone["crashed"]


def test_every_class_is_booted_and_counted():
    report = run(mix="monolithic=0.5,microkernel=0.5", builds="original=0.5,fixed=0.5")
    assert report["machine_classes"] == 2 * 2 * 3 == len(report["classes"])
    # per class: one baseline boot, and 3 boots for a bootloop (+ the fix: safe mode, then a normal boot)
    # or 1 for anything else
    expected = sum(1 + (3 + 2 if c["effect"] == "bootloop" else 1) for c in report["classes"])
    assert report["emulated_boots"] == expected
    assert sum(c["machines"] for c in report["classes"]) == report["machines"]


def test_the_fleet_scales_to_eight_and_a_half_million_machines():
    report = run(machines=8_500_000)
    assert report["machines"] == 8_500_000
    assert report["crashed"] > 4_000_000 and report["recovered_99_at"].startswith("2024-07-2")
    rings = run(machines=8_500_000, policy="rings")
    assert rings["crashed"] <= 85_000
