"""Pluggable policies: built-ins with parameters, TOML policy files, a student's Python class, and the
lab's hard case -- a bug with p ~ 0.001 on one role that a small canary misses."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from simpleos.errors import BadInput
from simpleos.fleet import simulate
from simpleos.fleet.policies.base import RolloutView, StageView, sizes_from_fractions
from simpleos.fleet.policies.builtin import Canary, Rings
from simpleos.fleet.policies.loader import load_policy

ROOT = Path(__file__).resolve().parents[2]
CHANNELS = ROOT / "channel_files"
EXAMPLES = ROOT / "examples" / "fleet"
KIOSK_BAD = str(CHANNELS / "C-00000291-kiosk-bad.sys")
RARE_KIOSKS = {"machines": 8_500_000, "roles": {"workstation": 0.799, "server": 0.2, "kiosk": 0.001}}


def test_ring_sizes_add_up_and_small_fleets_use_autopatch_small_rings():
    assert sum(Rings().stages(8_500_000)) == 8_500_000 and Rings().stages(8_500_000)[0] == 85_000
    assert Rings().stages(200) == [10, 30, 160]                 # 5 / 15 / 80 for 200 or fewer
    assert Canary().stages(10_000)[:2] == [1, 100] and sum(Canary().stages(10_000)) == 10_000
    assert Canary(first_box=1, canary_hosts=100).stages(50) == [1, 49]
    assert sizes_from_fractions(3, [0.01, 0.09, 0.9]) == [1, 1, 1]


def test_flags_set_builtin_parameters_and_unknown_ones_are_refused():
    make = load_policy("rings", {"bake_minutes": 30, "rings": [1, 9, 90]})
    assert make().bake_minutes == 30 and make() is not make()          # a fresh policy per run
    with pytest.raises(BadInput, match="rings has no parameter 'first_box'"):
        load_policy("rings", {"first_box": 3})
    with pytest.raises(BadInput, match="bake_minutes must be a whole number"):
        load_policy("rings", {"bake_minutes": "soon"})
    with pytest.raises(BadInput, match="unknown policy 'yolo'"):
        load_policy("yolo")


def test_a_toml_policy_file_picks_a_builtin_and_its_parameters():
    policy = load_policy(str(EXAMPLES / "slow-rings.toml"))()
    assert policy.name == "rings" and policy.bake_minutes == 120 and len(policy.stages(1000)) == 4
    assert load_policy(str(EXAMPLES / "slow-rings.toml"), {"bake_minutes": 5})().bake_minutes == 5


@pytest.mark.parametrize("text, message", [
    ("policy = 'rings'\nbake_minutes = -1\n", "bake_minutes must be a whole number >= 0"),
    ("bake_minutes = 1\n", "needs policy ="),
    ("policy = [", "not valid TOML"),
])
def test_bad_policy_files_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(BadInput, match=message):
        load_policy(str(path))


def test_a_student_python_policy_is_loaded_by_path_and_run(tmp_path):
    student = tmp_path / "student.py"
    student.write_text(
        "from simpleos.fleet import Policy, NEXT, WAIT, DONE\n"
        "class Halves(Policy):\n"
        "    name = 'halves'\n"
        "    def stages(self, machines):\n"
        "        return [machines // 2, machines - machines // 2]\n"
        "    def decide(self, view):\n"
        "        if view.released == 0 or (not view.all_released and view.minutes_since_release() >= 30):\n"
        "            return NEXT\n"
        "        return DONE if view.all_released and view.minutes_since_release() >= 30 else WAIT\n")
    report = simulate(str(CHANNELS / "C-00000291-good.sys"), policy=str(student), workers=1)
    assert report["policy"] == "halves" and [r["released_after_minutes"] for r in report["rings"]] == [0, 30]
    assert report["rollout_completed"]


def test_a_policy_s_private_state_stays_out_of_the_report(tmp_path):
    student = tmp_path / "stateful.py"
    student.write_text(
        "from dataclasses import dataclass, field\n"
        "from simpleos.fleet import Policy, NEXT, DONE\n"
        "@dataclass\n"
        "class Stateful(Policy):\n"
        "    name = 'stateful'\n"
        "    bake_minutes: int = 5\n"
        "    tags: frozenset = frozenset({'a'})\n"
        "    _seen: dict = field(default_factory=dict)\n"
        "    def stages(self, machines):\n"
        "        return [machines]\n"
        "    def decide(self, view):\n"
        "        self._seen[(view.minute, 'x')] = view.released\n"
        "        return NEXT if view.released == 0 else DONE\n")
    report = simulate(str(CHANNELS / "C-00000291-good.sys"), policy=str(student), workers=1, machines=100)
    assert report["policy_parameters"] == {"bake_minutes": 5, "tags": "frozenset({'a'})"}
    json.dumps(report)


@pytest.mark.parametrize("body, message", [
    ("raise RuntimeError('boom')\n", "RuntimeError: boom"),
    ("x = 1\n", "define exactly one subclass"),
    ("from simpleos.fleet import Policy\nclass P(Policy):\n    def stages(self, m):\n        return [1]\n"
     "    def decide(self, v):\n        return 'next'\n", "must return positive whole numbers adding up to"),
    ("from simpleos.fleet import Policy\nclass P(Policy):\n    def stages(self, m):\n        return [m]\n"
     "    def decide(self, v):\n        return 'launch'\n", "returned 'launch'"),
])
def test_a_broken_student_policy_is_a_one_line_error(tmp_path, body, message):
    student = tmp_path / "broken.py"
    student.write_text(body)
    with pytest.raises(BadInput, match=message):
        simulate(str(CHANNELS / "C-00000291-good.sys"), policy=str(student), workers=1, machines=100)


def test_the_view_shows_check_ins_not_crashes():
    seen: list[RolloutView] = []

    from simpleos.fleet import Policy, NEXT, WAIT, HALT

    class Watcher(Policy):
        name = "watcher"

        def stages(self, machines):
            return [machines]

        def decide(self, view):
            seen.append(view)
            return NEXT if view.released == 0 else (HALT if view.minute >= 30 else WAIT)

    from simpleos.fleet.simulate import plan
    from simpleos.fleet.emulate import emulate
    prepared = plan(str(CHANNELS / "C-00000291-bad.sys"), policy="all-at-once")
    prepared.make_policy = Watcher
    prepared.finish(emulate(prepared.tasks(), workers=1))
    assert set(StageView.__dataclass_fields__) == {"index", "size", "released_at", "fetched", "missing", "by_role"}
    early, late = seen[3], seen[-1]
    assert early.stages[0].missing <= 5                           # crashed, but not yet silent for 10 minutes
    assert late.stages[0].missing >= 0.9 * late.stages[0].fetched  # now the silence shows
    assert 0 <= late.baseline_rate < 0.02


def test_the_hidden_p_0001_kiosk_bug_slips_past_a_small_canary_and_the_1_percent_ring():
    canary = simulate(KIOSK_BAD, policy="canary", fleet=RARE_KIOSKS, workers=1)
    first_box, canary_group, *waves = canary["rings"]
    assert first_box["crashed"] == canary_group["crashed"] == 0   # 101 hosts, ~0.1 kiosks expected among them
    assert canary["halted_after_minutes"] is None and canary["crashed"] == canary["by_role"]["kiosk"]["machines"]
    rings = simulate(KIOSK_BAD, policy="rings", fleet=RARE_KIOSKS, workers=1)
    assert rings["rings"][0]["crashed"] == 85                     # 85 silent among 85,000: under the alarm
    assert rings["halted_after_minutes"] is None


# lab-answer 7: begin (examples/fleet/role_aware_rings.py is Lab 7's idea: not in student trees)
def test_a_role_aware_student_policy_catches_it_in_the_first_ring_without_false_alarms():
    policy = str(EXAMPLES / "role_aware_rings.py")
    caught = simulate(KIOSK_BAD, policy=policy, fleet=RARE_KIOSKS, workers=1)
    assert caught["policy"] == "role-aware-rings"
    assert caught["halted_after_minutes"] is not None and caught["crashed"] <= 85
    clean = simulate(str(CHANNELS / "C-00000291-good.sys"), policy=policy, fleet=RARE_KIOSKS, workers=1)
    assert clean["rollout_completed"] and clean["halted_after_minutes"] is None
# lab-answer 7: end


def test_a_scenario_file_sets_the_fleet_and_the_channel():
    report = simulate(scenario=str(EXAMPLES / "kiosk-one-in-a-thousand.toml"), policy="rings", workers=1)
    assert report["channel"] == "C-00000291-kiosk-bad.sys" and report["machines"] == 8_500_000
    assert report["by_role"]["kiosk"]["machines"] == 8_500
