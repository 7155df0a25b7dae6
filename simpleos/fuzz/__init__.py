"""`simpleos fuzz`: a coverage-guided fuzzer for the sensor's content interpreter.

It starts from harmless content (C-00000291-good.sys) and finds, in
seconds, a channel file that crashes the sensor and still passes template
validation: the fuzzing CrowdStrike added to its process after July 2024,
pointed at the bug of Channel File 291. The engine is Python over unicorn
(no native fuzzing dependency):

  workload.py   the boot events the sensor judges per execution; the dictionary
  harness.py    the real sensor.sys on a snapshotted machine, reset per execution
  coverage.py   AFL-style edge coverage (the block hook is machine/edges.py)
  spans.py      where each instance and criterion sits in a file's bytes
  mutate.py     format-aware mutations, lying counts, byte havoc with CRC fix-up
  corpus.py     inputs that found new edges, and which to mutate next
  triage.py     fault, bucket, validator verdicts, explanation (as `analyze`)
  minimise.py   the smallest file that still crashes the same way
  reproduce.py  a real monolithic boot with the crash file delivered
  crash.py      one unique crash as reported
  campaign.py   the loop, and run_campaign()

The machine-level pieces are in simpleos/machine/: edges.py (the block hook,
installed only while fuzzing), snapshot.py (registers plus the pages a run
dirtied, by the MMU's Dirty bits) and hostcall.py (fast system-call
registers). Nothing here touches unicorn directly or the kernel's scheduler.

The Python API (for graders, labs and notebooks)
------------------------------------------------

    from simpleos.fuzz import run_campaign
    result = run_campaign(["channel_files/C-00000291-good.sys"], build="original",
                          execs=20_000, seed=1, validator=my_rule)

`run_campaign(seed_files, build="original", execs=None, seconds=None, seed=0,
validator=None, out=None, minimise_crashes=True, reproduce=False,
progress=None)` runs one campaign and returns a CampaignResult:

- seed_files: paths (or bytes) of well-formed channel files; a malformed one
  raises BadInput (a ChannelFormatError) with a one-line reason.
- build: the sensor build, "original" or "fixed".
- execs / seconds: the budget (default: 30 seconds). `execs=N, seed=S` is
  deterministic: the same crashes, found after the same numbers of
  executions, the same bytes -- only the wall-clock fields differ.
- validator: a callable taking a parsed ChannelFile and returning a list of
  problems (empty = accepted), e.g. a student's Lab 4 `abi_validate`. A file
  that does not parse is rejected by it automatically (a verifier refuses it
  before any rule runs). Its verdict is part of each crash's identity, so a
  crash that slips through it is never hidden behind one that did not.
- out: a directory to write each crash to, as C-<channel>-fuzz-NNNN.sys (an
  existing file is never overwritten); None writes nothing.
- reproduce: also boot each written crash on a fresh monolithic machine.

CampaignResult: execs, seconds, edges, corpus, crashing_execs, rate,
crashes (a list of Crash, below), validator_accepts_seeds (True when the
validator accepts every seed -- "still accepts the shipped good content"),
and to_json() (the `--json` report of docs/cli.md).

Crash: data (minimised bytes), found (the first crashing input), fault
(vector, name, rip, symbol, address, bucket, stop), template_valid,
abi_valid, validator_bug (passes both), passes_validator (passes the given
validator: a hole in it), why (one line: why the template validator let it
through), explanation (the lines `simpleos analyze` would give), seconds,
execs, hits, file, reproduction.

A grader for "fuzz your own validator" therefore checks:

    result = run_campaign([good], execs=N, seed=S, validator=student_rule)
    assert result.validator_accepts_seeds
    assert not any(crash.passes_validator for crash in result.crashes)

This package must NOT import simpleos.commands.
"""
from .campaign import Campaign, CampaignResult, Status, load_seed, run_campaign
from .crash import Crash
from .harness import SensorHarness

__all__ = ["Campaign", "CampaignResult", "Crash", "SensorHarness", "Status", "load_seed", "run_campaign"]
