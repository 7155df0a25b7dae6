"""A campaign from the shipped good content: the tests issue 14 asks for.

From C-00000291-good.sys, with a fixed seed and a fixed budget of
executions, the fuzzer finds the Channel File 291 crash -- a file that
passes template validation and faults on inputs[20] -- writes it as a
channel file that crashes a real monolithic boot, minimises it, and does
the same thing every time.
"""
from __future__ import annotations

import json

import pytest

from simpleos.channel import abi_validate, parse, template_validate
from simpleos.errors import BadInput
from simpleos.fuzz import run_campaign
from simpleos.fuzz.harness import SensorHarness
from simpleos.fuzz.triage import Classifier, judge
from simpleos.kernel.sensor.events import EVENT_HANDLE_BASE

from cliutil import run_cli
from pathlib import Path

import paths

GOOD = Path(paths.GOOD)
PROCESS = Path(paths.PROCESS)
ZEROS = Path(paths.ZEROS)

EXECS, SEED = 2000, 1


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    """The campaign against the original build, crash files written."""
    return run_campaign([GOOD], build="original", execs=EXECS, seed=SEED, out=tmp_path_factory.mktemp("crashes"))


def gap_crash(result):
    """The first crash that passes template validation but not ABI validation."""
    return next(crash for crash in result.crashes if crash.template_valid and not crash.abi_valid)


def is_event_handle(address) -> bool:
    return address is not None and EVENT_HANDLE_BASE <= address < EVENT_HANDLE_BASE + 0x100 * 64


def test_from_the_good_file_the_fuzzer_finds_the_cf291_crash(found):
    assert found.execs == EXECS and found.edges > 0
    crash = gap_crash(found)
    assert crash.fault.vector == 14 and crash.fault.symbol == "sensor.sys!compare_string+0xa"
    assert is_event_handle(crash.fault.address)
    assert crash.fault.bucket == "AV_R_INVALID_sensor.sys!compare_string"
    assert any("inputs[20], one past the 20-entry array" in line for line in crash.explanation)
    assert any("has a criterion on input 21 (index 20); the sensor supplies only 20 inputs" in line
               for line in crash.explanation)
    assert "21 fields declared" in crash.why and "20 inputs the sensor supplies" in crash.why
    assert not crash.validator_bug


def test_the_crash_file_reproduces_in_a_monolithic_boot_and_passes_template_validation(found, tmp_path, capsys):
    crash = gap_crash(found)
    assert crash.name.startswith("C-00000291-fuzz-") and crash.file.endswith(crash.name)
    code, out, _ = run_cli(capsys, "boot", "--model", "monolithic", "--fresh", "--machine", str(tmp_path),
                           "--channel", crash.file, "--max-boots", "1", "--json")
    boot = json.loads(out)["boots"][0]
    assert code == 3 and boot["outcome"] == "bugcheck"
    assert boot["bugcheck"]["name"] == "PAGE_FAULT_IN_NONPAGED_AREA" and boot["bugcheck"]["module"] == "sensor.sys"
    assert (boot["bugcheck"]["rip"], boot["bugcheck"]["address"]) == (crash.fault.rip, crash.fault.address)
    assert run_cli(capsys, "channel", "validate", crash.file)[:2] == (0, "valid (template)\n")
    assert run_cli(capsys, "channel", "validate", "--abi", crash.file)[0] == 1


def test_minimisation_keeps_the_crash_and_shrinks_the_file(found):
    harness = SensorHarness("original")
    classifier = Classifier(harness)
    for crash in found.crashes:
        assert len(crash.data) < len(crash.found)
        outcome = harness.run(crash.data)
        fault = classifier.classify(outcome)
        assert outcome.crashed and (fault.rip, fault.bucket) == (crash.fault.rip, crash.fault.bucket)
        assert judge(crash.data).key == crash.verdicts.key
    minimal = parse(gap_crash(found).data)
    assert len(minimal.instances) == 1
    literals = [i for i, criterion in enumerate(minimal.instances[0].criteria) if not criterion.is_wildcard]
    assert literals == [20] and len(minimal.instances[0].criteria[20].value) == 1


def test_the_fixed_build_yields_no_crash_within_the_same_budget():
    """The fixed build checks at run time what the original trusts: that input i exists (the CF291
    crash), that a string test reads a string input, and that every rule lies inside its file."""
    result = run_campaign([GOOD], build="fixed", execs=EXECS, seed=SEED)
    assert result.crashes == []
    original = run_campaign([GOOD], build="original", execs=EXECS, seed=SEED)
    assert original.crashes, "the same budget finds crashes in the original build"


def test_the_same_budget_and_seed_give_the_same_campaign():
    def without_clock(result):
        report = result.to_json()
        for key in ("seconds", "execs_per_second"):
            report.pop(key)
        for crash in report["crashes"]:
            crash.pop("seconds")
        return report
    first = run_campaign([GOOD, PROCESS], execs=600, seed=5)
    again = run_campaign([GOOD, PROCESS], execs=600, seed=5)
    assert without_clock(first) == without_clock(again)
    assert [c.data for c in first.crashes] == [c.data for c in again.crashes]


def test_a_validator_is_judged_by_the_crashes_it_lets_through():
    loose = run_campaign([GOOD], execs=EXECS, seed=SEED, validator=template_validate)
    assert loose.validator_accepts_seeds
    assert any(crash.passes_validator for crash in loose.crashes)
    strict = run_campaign([GOOD], execs=EXECS, seed=SEED, validator=abi_validate)
    assert strict.validator_accepts_seeds and strict.crashes
    assert not any(crash.passes_validator for crash in strict.crashes)
    refuses_all = run_campaign([GOOD], execs=50, seed=SEED, validator=lambda cf: ["no"])
    assert refuses_all.validator_accepts_seeds is False


@pytest.mark.parametrize("content, reason", [
    (None, "file is all zero bytes"),
    (b"hello, world\n" * 5, "bad magic"),
    (GOOD.read_bytes()[:50], "body_size"),
])
def test_a_malformed_seed_is_one_line_of_bad_input(tmp_path, capsys, content, reason):
    path = ZEROS if content is None else tmp_path / "C-00000291-broken.sys"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run_cli(capsys, "fuzz", str(path), "--execs", "10", "--out", str(tmp_path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"simpleos: {path}: not a usable seed: ") and reason in err
    with pytest.raises(BadInput):
        run_campaign([path], execs=10)


def test_an_out_that_is_a_file_is_refused_before_any_fuzzing(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me")
    code, out, err = run_cli(capsys, "fuzz", str(GOOD), "--execs", "10", "--out", str(target))
    assert (code, out, err) == (1, "", f"simpleos: --out {target}: not a directory\n")
    assert target.read_text() == "keep me"


def test_a_missing_seed_is_one_line_of_bad_input(tmp_path, capsys):
    code, _, err = run_cli(capsys, "fuzz", str(tmp_path / "nothing.sys"), "--execs", "10")
    assert code == 1 and err.count("\n") == 1 and err.startswith("simpleos: no such file: ")


def test_json_has_the_keys_of_the_issue_and_nothing_else_on_stdout(tmp_path, capsys):
    code, out, err = run_cli(capsys, "fuzz", str(GOOD), "--execs", "400", "--seed", str(SEED), "--out",
                             str(tmp_path), "--json")
    report = json.loads(out)
    assert code == 3 and err == "" and out.count("\n") == 1
    assert {"execs", "seconds", "edges", "crashes"} <= set(report) and report["execs"] == 400
    assert report["crashes"]
    for crash in report["crashes"]:
        assert {"file", "seconds", "execs", "fault", "template_valid", "abi_valid"} <= set(crash)
        assert {"vector", "rip", "symbol", "address"} <= set(crash["fault"])
        assert crash["reproduction"]["in_sensor"] is True


def test_the_report_says_in_one_line_why_the_template_validator_let_it_through(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "fuzz", str(GOOD), "--execs", str(EXECS), "--seed", str(SEED), "--out",
                           str(tmp_path))
    assert code == 3
    why = [line for line in out.splitlines() if line.startswith("  why:")]
    assert why and "never against the 20 inputs the sensor supplies" in why[0]
    assert "the July 2024 gap" in out and out.splitlines()[-1].startswith(f"summary: {EXECS:,} execs")


@pytest.mark.parametrize("argv", [["--execs", "10", "--seconds", "1"], ["--execs", "0"], ["--seconds", "-1"],
                                  ["--sensor-build", "patched"]])
def test_usage_errors_exit_2(capsys, argv):
    code, _, err = run_cli(capsys, "fuzz", str(GOOD), *argv)
    assert code == 2 and err.count("\n") == 1
