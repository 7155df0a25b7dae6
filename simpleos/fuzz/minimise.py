"""Minimisation: the smallest file that still crashes the sensor the same way.

"The same way" is decided by the caller's `still_crashes(candidate)`: the
campaign asks for the same faulting RIP and bucket and the same validator
verdicts, so a crash the template validator lets through is never minimised
into one it refuses. Greedy passes, repeated until none helps:

  1. remove whole instances;
  2. turn literal criteria into wildcards (in a source file: leave them out);
  3. remove criteria (only survives when it keeps the verdicts: a
     template-valid file keeps its field count);
  4. shorten string values (to their first 1, 2, 4, ... bytes) and zero
     integer values.

A file that does not parse is minimised on its body bytes instead: chunks
are deleted and body_size and CRC fixed up each time. Each candidate costs
one execution. Chooses nothing at random; must NOT run the machine itself.
"""
from __future__ import annotations

from typing import Callable

from ..channel.format import (HEADER_SIZE, KIND_INT_EQUALS, ChannelFile, ChannelFormatError, Criterion, Instance,
                              parse, serialize)
from .mutate import fix_up

MAX_TRIALS = 4000


class _Budget:
    """Counts candidate executions; stops the passes when they are used up."""

    def __init__(self, still_crashes: Callable[[bytes], bool], limit: int) -> None:
        self.still_crashes = still_crashes
        self.left = limit

    def accepts(self, candidate: bytes) -> bool:
        """Spend one execution on `candidate`: does it still crash the same way?"""
        if self.left <= 0:
            return False
        self.left -= 1
        return self.still_crashes(candidate)


def minimise(data: bytes, still_crashes: Callable[[bytes], bool], limit: int = MAX_TRIALS) -> bytes:
    """The smallest variant of `data` found for which still_crashes() holds."""
    budget = _Budget(still_crashes, limit)
    try:
        cf = parse(data)
    except ChannelFormatError:
        return _minimise_bytes(data, budget)
    best = _minimise_structure(cf, budget)
    out = serialize(best)
    return out if len(out) <= len(data) else data


def _try(budget: _Budget, candidate: ChannelFile) -> bool:
    """Does this candidate (serialized) still crash the same way?"""
    try:
        return budget.accepts(serialize(candidate))
    except ChannelFormatError:
        return False


def _minimise_structure(cf: ChannelFile, budget: _Budget) -> ChannelFile:
    """Repeat the four structural passes until a whole round changes nothing."""
    changed = True
    while changed and budget.left > 0:
        changed = False
        for step in (_remove_instances, _wildcard_criteria, _remove_criteria, _shorten_values):
            smaller = step(cf, budget)
            if smaller is not cf:
                cf, changed = smaller, True
    return cf


def _remove_instances(cf: ChannelFile, budget: _Budget) -> ChannelFile:
    """Pass 1: drop each instance that the crash does not need."""
    position = 0
    while position < len(cf.instances):
        candidate = with_instance(cf, position, None)
        if _try(budget, candidate):
            cf = candidate
        else:
            position += 1
    return cf


def _wildcard_criteria(cf: ChannelFile, budget: _Budget) -> ChannelFile:
    """Pass 2: make each literal criterion the crash does not need a wildcard."""
    for i, instance in enumerate(cf.instances):
        for j, criterion in enumerate(instance.criteria):
            if not criterion.is_wildcard:
                candidate = with_criterion(cf, i, j, Criterion.wildcard())
                if _try(budget, candidate):
                    cf = candidate
    return cf


def _remove_criteria(cf: ChannelFile, budget: _Budget) -> ChannelFile:
    """Pass 3: drop criteria, last first (kept only if the verdicts stay the same)."""
    for i in range(len(cf.instances)):
        j = len(cf.instances[i].criteria) - 1
        while j >= 0:
            old = cf.instances[i]
            candidate = with_instance(cf, i, Instance(old.instance_id, old.action,
                                                      old.criteria[:j] + old.criteria[j + 1:]))
            if _try(budget, candidate):
                cf = candidate
            j -= 1
    return cf


def _shorten_values(cf: ChannelFile, budget: _Budget) -> ChannelFile:
    """Pass 4: the shortest prefix of each string value that still crashes; integers to 0."""
    for i, instance in enumerate(cf.instances):
        for j, criterion in enumerate(instance.criteria):
            if criterion.kind == KIND_INT_EQUALS:
                if criterion.int_value:
                    candidate = with_criterion(cf, i, j, Criterion.integer(0))
                    if _try(budget, candidate):
                        cf = candidate
                continue
            length = 1
            while length < len(criterion.value):
                candidate = with_criterion(cf, i, j, Criterion(criterion.kind, criterion.value[:length]))
                if _try(budget, candidate):
                    cf = candidate
                    break
                length *= 2
    return cf


def _minimise_bytes(data: bytes, budget: _Budget) -> bytes:
    """Delete chunks of the body (halving the chunk size), fixing body_size and CRC each time."""
    if len(data) <= HEADER_SIZE:
        return data
    chunk = max(1, (len(data) - HEADER_SIZE) // 2)
    while chunk >= 1 and budget.left > 0:
        position = HEADER_SIZE
        while position < len(data):
            candidate = fix_up(data[:position] + data[position + chunk:])
            if budget.accepts(candidate):
                data = candidate
            else:
                position += chunk
        chunk //= 2
    return data


def with_criterion(cf: ChannelFile, instance: int, index: int, criterion: Criterion) -> ChannelFile:
    """cf with criterion `index` of instance `instance` replaced."""
    old = cf.instances[instance]
    criteria = old.criteria[:index] + (criterion,) + old.criteria[index + 1:]
    return with_instance(cf, instance, Instance(old.instance_id, old.action, criteria))


def with_instance(cf: ChannelFile, position: int, instance: Instance | None) -> ChannelFile:
    """cf with instance `position` replaced (or removed, for None)."""
    replacement = () if instance is None else (instance,)
    instances = cf.instances[:position] + replacement + cf.instances[position + 1:]
    return ChannelFile(cf.channel, cf.template_type, cf.field_count, cf.content_version, instances,
                       cf.format_version)
