"""`simpleos run --cpu-limit SECONDS`: a compute program may use more (virtual) CPU time on purpose.

The default stays 50 ms (kernel.CPU_TIME_LIMIT); a process is killed at the instruction that
takes it over its limit -- the time slice ends exactly there (sched.slice_length).
"""
from __future__ import annotations

import json

import pytest
from cliutil import run_cli

COUNT = """
; 60 M instructions of arithmetic (60 ms of virtual time), then exit 0
_start:
    mov rcx, 20000000
again:
    add rax, rcx
    dec rcx
    jnz again
    xor rdi, rdi
    call exit
.include "lib.asm"
"""


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "count.asm"
    path.write_text(COUNT)
    return str(path)


def test_the_default_limit_kills_a_long_computation_exactly_at_50_ms(tmp_path, program, capsys):
    code, out, _ = run_cli(capsys, "run", program, "--machine", str(tmp_path / "m"))
    assert code == 0
    assert "count: CPU time limit exceeded (50000001 instructions) -- killed" in out
    assert out.rstrip().endswith("count was killed; kernel up")


def test_a_longer_limit_lets_it_finish(tmp_path, program, capsys):
    code, out, _ = run_cli(capsys, "run", program, "--machine", str(tmp_path / "m"), "--cpu-limit", "0.1",
                           "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["fate"], result["exit_code"], result["kernel"]) == ("exited", 0, "up")


def test_a_shorter_limit_kills_sooner(tmp_path, program, capsys):
    code, out, _ = run_cli(capsys, "run", program, "--machine", str(tmp_path / "m"), "--cpu-limit", "0.001",
                           "--verbose")          # the "started" line is the boot log's, before PROG runs
    assert "count: CPU time limit exceeded (1000001 instructions) -- killed" in out
    assert "(ring 3, CPU limit 0.001 s)" in out


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "61", "soon"])
def test_a_limit_out_of_range_is_a_usage_error(tmp_path, program, capsys, value):
    code, _, err = run_cli(capsys, "run", program, "--machine", str(tmp_path / "m"), "--cpu-limit", value)
    assert code == 2 and "--cpu-limit" in err and err.count("\n") == 1
