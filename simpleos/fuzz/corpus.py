"""The corpus: the inputs worth mutating further, and which one to mutate next.

Every seed file is in it; after that an input joins only when its execution
showed coverage no earlier one did (coverage.py) without crashing. The next
parent is drawn from the caller's random.Random. One time in ten it is a
seed: the files the user chose are the surest ground, and a long campaign
must not drift away from them. Otherwise, nineteen times in twenty, it is a
*preferred* entry -- half of those among the newest (fresh coverage is where
the next step usually is), else among all preferred. The others are:

  - slow entries, that run SLOW times longer than the seeds (a count that
    walks the interpreter through thousands of empty rules): AFL, too,
    favours fast entries;
  - broken entries, whose structure no longer walks (spans.py): only byte
    havoc can mutate them, and havoc on a broken file mostly breaks it the
    same way again -- often into one of those slow walks.

Holds inputs; must NOT run or judge them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .spans import Spans, spans_of

RECENT = 8
SLOW = 8                 # an entry running this many times longer than the seeds is "slow"
OTHERS = 0.05            # how often a parent is not a preferred entry
SEEDS = 0.1              # how often a parent is one of the seeds


@dataclass(frozen=True)
class Entry:
    """One corpus input: its bytes, its spans (None if its structure is broken), when it was found."""
    data: bytes
    spans: Spans | None
    found_at: int                    # executions so far when it was added
    length: int                      # its execution's length (Outcome.length)


class Corpus:
    """The inputs that found new coverage, in the order they were found."""

    def __init__(self) -> None:
        self.preferred: list[Entry] = []
        self.others: list[Entry] = []
        self.seeds: list[Entry] = []
        self.seed_length = 0

    def __len__(self) -> int:
        return len(self.preferred) + len(self.others)

    def add(self, data: bytes, found_at: int, length: int, seed: bool = False) -> Entry:
        """Keep an input (a seed sets the yardstick of what is slow)."""
        entry = Entry(data, spans_of(data), found_at, length)
        if seed:
            self.seed_length = max(self.seed_length, length)
            self.seeds.append(entry)
        slow = length > SLOW * max(self.seed_length, 1)
        (self.others if slow or entry.spans is None else self.preferred).append(entry)
        return entry

    def pick(self, rng: random.Random) -> Entry:
        """The next parent."""
        if self.seeds and rng.random() < SEEDS:
            return self.seeds[rng.randrange(len(self.seeds))]
        if not self.preferred or self.others and rng.random() < OTHERS:
            return self.others[rng.randrange(len(self.others))]
        if len(self.preferred) > RECENT and rng.random() < 0.5:
            return self.preferred[-1 - rng.randrange(RECENT)]
        return self.preferred[rng.randrange(len(self.preferred))]
