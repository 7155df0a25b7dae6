"""A scripted sdb session at the source level on the CF291 machine, kept as a golden transcript.

The script (tests/golden/debug_source/cf291_source.sdb) stops at the fault,
reads CR2, walks the frames (bt, frame, up, down, info frame), lists the
source and disassembles, refuses `stepi -1`, steps back off the held fault
and forward by source line, and shows the context view with its source
pane. The machine is deterministic, so the transcript is byte-identical on
every run. When the debugger's output legitimately changes, look at the
new transcript and regenerate it with
    SIMPLEOS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/debug_source/test_session_golden.py
"""
from __future__ import annotations

from cliutil import run_cli

from paths import BAD, GOLDEN_DIR
from sourcegdb import line_of
from sourcegolden import assert_matches_golden

SCRIPT = GOLDEN_DIR / "debug_source" / "cf291_source.sdb"
GOLDEN = GOLDEN_DIR / "debug_source" / "cf291_source.txt"


def test_the_source_level_session_matches_the_golden_transcript(tmp_path, capsys):
    code, out, err = run_cli(capsys, "debug", "--machine", str(tmp_path / "m"), "--fresh", "--channel", BAD,
                             "--break-on-fault", "--script", str(SCRIPT))
    assert code == 0 and err == "", err
    assert_matches_golden(out, GOLDEN, "the transcript changed; if intended, regenerate it (see the docstring)")
    assert f"sensor.asm:{line_of('<-- a bad pointer faults here')}" in out
    assert "error: stepi -1: the count must be positive; to go back, use reverse-stepi 1" in out
    assert "(back before the faulting attempt of the same instruction" in out
