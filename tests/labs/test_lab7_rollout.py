"""Lab 7's hidden scenarios are what they claim: the rare-role bug gets past the built-in canary and rings,
the harmless rollouts crash nothing, and a report is the same for the same seed (so grades are too).

The scenarios are the hidden tests' own (instructor/lab7/hidden/), run here through the project's CLI.
"""
import importlib.util
import json

import pytest

from cliutil import run_cli

from labtrees import INSTRUCTOR


def hidden():
    """The hidden-tests module of Lab 7 (its scenarios)."""
    spec = importlib.util.spec_from_file_location("lab7_hidden", INSTRUCTOR / "lab7/hidden/test_lab7_hidden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rollout(capsys, channel, fleet, seed, policy):
    code, out, err = run_cli(capsys, "fleet", "--channel", f"channel_files/{channel}", "--policy", policy,
                             "--workers", "1", "--seed", str(seed), "--json", *fleet)
    assert (code, err) == (0, ""), err
    return json.loads(out)


@pytest.mark.parametrize("policy", ["canary", "rings"])
def test_the_hidden_rare_role_bug_gets_past_the_built_in_canary_and_rings(capsys, policy):
    for channel, fleet, seed in hidden().RARE_BUG:
        report = rollout(capsys, channel, fleet, seed, policy)
        kiosks = report["by_role"]["kiosk"]
        assert report["halted_after_minutes"] is None and report["crashed"] == kiosks["crashed"] == kiosks["machines"]
        if policy == "canary":
            assert report["rings"][0]["crashed"] == report["rings"][1]["crashed"] == 0    # 101 hosts, no kiosk


def test_the_hidden_harmless_rollouts_crash_nothing_and_repeat_byte_for_byte(capsys):
    for channel, fleet, seed in hidden().HARMLESS:
        first = rollout(capsys, channel, fleet, seed, "all-at-once")
        assert first["fetched"] > 0 and first["crashed"] == first["sensor_crashed"] == 0
        assert rollout(capsys, channel, fleet, seed, "all-at-once") == first
