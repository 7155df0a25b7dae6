"""The answer key of Lab 5 is measured, not typed: apply each policy to a workspace and run compare."""
import pytest

from simpleos.labs.worker import WorkspaceCLI, prepare_extension

from labtrees import INSTRUCTOR, workspace

POLICIES = {
    "k1": ("QUARANTINE_AFTER = 2 ", "QUARANTINE_AFTER = 1 "),
    "no_backoff": ("    return 0 if restarts == 0 else min(1 << restarts, BACKOFF_CAP_PERIODS)", "    return 0"),
}


def answer_key():
    namespace = {}
    exec((INSTRUCTOR / "lab5/hidden/test_lab5_hidden.py").read_text(), namespace)
    return namespace["ANSWER_KEY"]


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_the_answer_key_is_what_the_machine_measures(tmp_path, policy):
    import json
    tree = workspace(tmp_path / "lab5", 5)
    source = tree / "simpleos/isolation/reincarnation.py"
    old, new = POLICIES[policy]
    assert source.read_text().count(old) == 1
    source.write_text(source.read_text().replace(old, new))
    prepare_extension(tree)
    cli = WorkspaceCLI(tree)
    try:
        doc = json.loads(cli.run(["compare", "channel_files/C-00000291-bad.sys", "--json"]).stdout)
    finally:
        cli.close()
    row = next(m for m in doc["models"] if m["model"] == "microkernel")
    measured = {"crashes": row["sensor_crashes"], "restarts": row["sensor_restarts"],
                "downtime_ms": round(row["downtime_ms"], 3), "recovery_ms": round(row["time_to_recover_ms"], 3),
                "unexamined": row["unexamined_events"]}
    assert measured == answer_key()[policy]
