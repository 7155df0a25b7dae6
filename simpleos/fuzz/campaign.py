"""A fuzzing campaign: seeds in, mutate, execute, keep what finds new edges, collect crashes.

The loop (as AFL's, much smaller): pick a corpus entry, mutate it
(mutate.py), run it on the snapshotted sensor (harness.py) with the edge
recorder on, and then:
  - it crashed or hung   -> classify it (triage.py) and judge it with the
                            validators; the first of each (RIP, bucket,
                            verdicts) is a new unique crash;
  - it found new coverage -> it joins the corpus (corpus.py);
  - otherwise            -> it is forgotten.
When the budget (executions or seconds) is spent, the edge recorder comes
out and each unique crash is minimised (minimise.py), explained, written as
a channel file and, if asked, booted on a real machine (reproduce.py).

Every random choice comes from random.Random(seed), and nothing in the loop
depends on time unless a time budget is given: `execs=N, seed=S` is
deterministic. It must NOT print: presentation (the status line, the report)
is the caller's.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..channel import ChannelFormatError, channel_from_name, parse, read_host_file
from ..errors import BadInput
from .corpus import Corpus
from .coverage import CoverageMap
from .crash import Crash
from .harness import Outcome, SensorHarness
from .minimise import minimise
from .mutate import MAX_SIZE, Mutator
from .reproduce import boot_with_file
from .triage import Classifier, Validator, explain, judge, rejection, why_template_valid
from .workload import dictionary_of

DEFAULT_SECONDS = 30.0
MAX_UNIQUE_CRASHES = 64
CHECK_EVERY = 64                 # executions between looks at the clock


@dataclass(frozen=True)
class Status:
    """A snapshot of a running campaign, for a live status line."""
    execs: int
    seconds: float
    edges: int
    corpus: int
    crashes: int
    since_new_edge: float

    @property
    def rate(self) -> float:
        """Executions per second so far."""
        return self.execs / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Seed:
    """A seed file: where it came from, its bytes, the channel its name claims."""
    name: str
    data: bytes
    channel: int


@dataclass
class CampaignResult:
    """What a campaign did and found."""
    build: str
    seed: int
    seeds: list[str]
    execs: int = 0
    seconds: float = 0.0
    edges: int = 0
    corpus: int = 0
    crashing_execs: int = 0
    crashes: list[Crash] = field(default_factory=list)
    validator_accepts_seeds: bool | None = None

    @property
    def rate(self) -> float:
        """Executions per second of the fuzzing."""
        return self.execs / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict:
        """The report of `simpleos fuzz --json` (docs/cli.md)."""
        return {"execs": self.execs, "seconds": round(self.seconds, 3), "edges": self.edges,
                "crashes": [crash.to_json() for crash in self.crashes], "build": self.build, "seed": self.seed,
                "seeds": self.seeds, "corpus": self.corpus, "crashing_execs": self.crashing_execs,
                "execs_per_second": round(self.rate)}


def load_seed(source) -> Seed:
    """A seed from a path (or raw bytes); a file that is not a well-formed channel file is BadInput."""
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "<bytes>"
    else:
        data, name = read_host_file(source), str(source)
    try:
        cf = parse(data)
    except ChannelFormatError as reason:
        raise BadInput(f"{name}: not a usable seed: {reason}") from None
    channel = channel_from_name(Path(name).name)
    return Seed(name, data, channel if channel is not None else cf.channel)


class Campaign:
    """One fuzzing campaign against one sensor build."""

    def __init__(self, seeds: list[Seed], build: str = "original", seed: int = 0,
                 validator: Validator | None = None, harness: SensorHarness | None = None) -> None:
        if not seeds:
            raise BadInput("no seed files")
        self.seeds = seeds
        self.validator = validator
        self.rng = random.Random(seed)
        self.harness = harness if harness is not None else SensorHarness(build)
        self.classifier = Classifier(self.harness)
        largest = max(len(seed.data) for seed in seeds)
        self.mutator = Mutator(self.rng, dictionary_of(self.harness.workload), max(MAX_SIZE, 2 * largest))
        self.corpus = Corpus()
        self.coverage = CoverageMap()
        self.crashes: dict[tuple, Crash] = {}
        self.result = CampaignResult(build, seed, [s.name for s in seeds])
        self._stop_when: Callable[[Crash], bool] | None = None
        self._stopped = False
        self._origin: dict[tuple, Seed] = {}
        self._parents: dict[bytes, Seed] = {}

    # --- the loop ---------------------------------------------------------------------

    def run(self, execs: int | None = None, seconds: float | None = None,
            progress: Callable[[Status], None] | None = None, progress_every: float = 0.25,
            stop_when: Callable[[Crash], bool] | None = None) -> CampaignResult:
        """Fuzz until `execs` executions or `seconds` seconds (default: DEFAULT_SECONDS), or until
        a new unique crash satisfies `stop_when` (e.g. the first that passes template validation)."""
        if execs is None and seconds is None:
            seconds = DEFAULT_SECONDS
        self._stop_when = stop_when
        self._stopped = False
        recorder = self.harness.enable_coverage()
        start = time.perf_counter()
        self._started = start
        last_edge_at = start
        last_report = start
        try:
            for seed in self.seeds:
                self._execute(seed.data, seed, recorder, start, is_seed=True)
            done = self.result.execs
            while (execs is None or done < execs) and not self._stopped:
                parent = self.corpus.pick(self.rng)
                child = self.mutator.mutate(parent.data, parent.spans)
                if self._execute(child, self._parents[parent.data], recorder, start):
                    last_edge_at = time.perf_counter()
                done = self.result.execs
                if done % CHECK_EVERY == 0:
                    now = time.perf_counter()
                    if seconds is not None and now - start >= seconds:
                        break
                    if progress is not None and now - last_report >= progress_every:
                        last_report = now
                        progress(self.status(now, last_edge_at))
        finally:                                      # also on Ctrl-C: what was found so far stands
            self.result.seconds = time.perf_counter() - start
            self.result.edges = self.coverage.edges
            self.result.corpus = len(self.corpus)
            self.harness.disable_coverage()
        if progress is not None:
            progress(self.status(start + self.result.seconds, last_edge_at))
        return self.result

    def status(self, now: float, last_edge_at: float) -> Status:
        """Where the campaign is."""
        return Status(self.result.execs, now - self._started, self.coverage.edges, len(self.corpus),
                      len(self.crashes), now - last_edge_at)

    def _execute(self, data: bytes, origin: Seed, recorder, start: float, is_seed: bool = False) -> bool:
        """Run one input and learn from it; True if it found new edges."""
        outcome = self.harness.run(data)
        self.result.execs += 1
        new_bits, new_edges = self.coverage.observe(recorder.trace())
        if outcome.crashed:
            self._note_crash(data, outcome, origin, start)
            return new_edges
        if new_bits or is_seed:                      # seeds always join the corpus
            self.corpus.add(data, self.result.execs, outcome.length, seed=is_seed)
            self._parents.setdefault(data, origin)
        return new_edges

    def _note_crash(self, data: bytes, outcome: Outcome, origin: Seed, start: float) -> None:
        """Count a crashing execution; keep it if it is the first of its kind."""
        self.result.crashing_execs += 1
        fault = self.classifier.classify(outcome)
        verdicts = judge(data, self.validator)
        key = (fault.rip, fault.bucket) + verdicts.key
        known = self.crashes.get(key)
        if known is not None:
            known.hits += 1
            return
        if len(self.crashes) >= MAX_UNIQUE_CRASHES:
            return
        crash = self.crashes[key] = Crash(fault, verdicts, data, time.perf_counter() - start, self.result.execs,
                                          self._event_label(outcome), data=data)
        self._origin[key] = origin
        if self._stop_when is not None and self._stop_when(crash):
            self._stopped = True

    def _event_label(self, outcome: Outcome) -> str:
        """The workload event the sensor was judging when it went down."""
        return self.harness.workload[outcome.event].label if outcome.event >= 0 else "no event (loading content)"

    # --- after the loop ------------------------------------------------------------------

    def finish(self, out: str | Path | None = None, minimise_crashes: bool = True,
               reproduce: bool = False) -> CampaignResult:
        """Minimise, explain, write and (optionally) boot every unique crash; the result, with the
        crashes that pass template validation first."""
        names = _NameGiver(Path(out)) if out is not None else None
        # The most telling first: validator bugs, then the July 2024 gap, then in order of discovery.
        ranked = sorted(self.crashes.items(), key=lambda item: (not item[1].validator_bug,
                                                                not item[1].template_valid))
        for key, crash in ranked:
            origin = self._origin[key]
            if minimise_crashes:
                crash.data = minimise(crash.found, lambda candidate: self._same_crash(candidate, key))
            detailed = self.harness.run(crash.data, detail=True)
            crash.fault = self.classifier.classify(detailed)     # same RIP and bucket; its own address
            crash.event = self._event_label(detailed)
            name = names.next_name(origin.channel) if names else f"C-{origin.channel:08d}-fuzz.sys"
            crash.name = name
            crash.explanation = explain(self.harness, detailed, crash.fault, name)
            crash.why = why_template_valid(crash.data, crash.verdicts)
            crash.refused_by = None if crash.validator_bug else rejection(crash.verdicts)
            if names is not None:
                crash.file = str(names.write(name, crash.data))
                if reproduce:
                    crash.reproduction = boot_with_file(crash.file, self.result.build)
            self.result.crashes.append(crash)
        if self.validator is not None:
            self.result.validator_accepts_seeds = all(judge(seed.data, self.validator).validator_valid
                                                      for seed in self.seeds)
        return self.result

    def _same_crash(self, candidate: bytes, key: tuple) -> bool:
        """Does `candidate` crash the sensor at the same RIP, in the same bucket, with the same verdicts?"""
        outcome = self.harness.run(candidate)
        if not outcome.crashed:
            return False
        fault = self.classifier.classify(outcome)
        return (fault.rip, fault.bucket) + judge(candidate, self.validator).key == key


class _NameGiver:
    """Channel-file names for crash files in one directory, never overwriting one that is there."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.number = 0

    def next_name(self, channel: int) -> str:
        """C-00000291-fuzz-0001.sys, -0002, ... skipping names already taken."""
        while True:
            self.number += 1
            name = f"C-{channel:08d}-fuzz-{self.number:04d}.sys"
            if not (self.directory / name).exists():
                return name

    def write(self, name: str, data: bytes) -> Path:
        """Write one crash file; BadInput if the directory cannot be written."""
        path = self.directory / name
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as problem:
            raise BadInput(f"cannot write {path}: {problem.strerror or problem}") from None
        return path


def run_campaign(seed_files, build: str = "original", execs: int | None = None, seconds: float | None = None,
                 seed: int = 0, validator: Validator | None = None, out: str | Path | None = None,
                 minimise_crashes: bool = True, reproduce: bool = False,
                 progress: Callable[[Status], None] | None = None) -> CampaignResult:
    """Fuzz the sensor from `seed_files` (paths or bytes) and return what was found (see the package doc)."""
    seeds = [load_seed(source) for source in seed_files]
    campaign = Campaign(seeds, build, seed, validator)
    campaign.run(execs=execs, seconds=seconds, progress=progress)
    return campaign.finish(out, minimise_crashes, reproduce)
