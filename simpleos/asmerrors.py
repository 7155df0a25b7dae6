"""Every line of an assembly source that keystone refuses, named by file and line.

Keystone says only *that* a source failed, never where, and stops at the
first problem. So on the error path (never otherwise) the failing lines are
found by trying prefixes of the source: the first failing line is where a
prefix starts to fail (raises, or silently gives no code) -- bisected, with every label the prefix has not yet
defined stubbed in so that forward jumps do not count as errors. That line
is blanked (its label kept) and the search repeats, up to
MAX_REPORTED_ERRORS lines. Also: labels defined twice, each with where it
was first defined, and memory operands whose brackets do not pair up
(keystone reads `mov bl, [rsi` without a word as `mov bl, [rip - 6]`:
checked before every assembly that is not cached, as it raises nothing). It uses the assembler's own preparation of a source
(comments, `.data`, defines) so a trial sees what the real run saw.
Diagnosis only: nothing here produces code.
"""
from __future__ import annotations

import re

from .assembler import _ANY_LABEL, MAX_REPORTED_ERRORS, _keystone, _prepare, _reason, strip_comment


def locate_errors(source: str, base: int, defines: dict[str, int], origins: list[str] | None,
                  name: str) -> list[str]:
    """'file:line: reason: text' for each line that does not assemble, in source order."""
    lines = source.splitlines()
    labels = list(dict.fromkeys(_labels_of(lines)))
    errors: list[tuple[int, str]] = []
    while len(errors) < MAX_REPORTED_ERRORS:
        found = _first_failing_line(lines, labels, base, defines)
        if found is None:
            break
        index, reason = found
        text = strip_comment(lines[index]).strip()
        errors.append((index, f"{_where(index, origins, name)}: {hint(reason, text)}: {text}"))
        label = _ANY_LABEL.match(strip_comment(lines[index]))
        lines[index] = f"{label.group(1)}:" if label else ""   # keep its label: later lines may use it
    return [message for _, message in sorted(errors)]


def labels_defined_twice(source: str, name: str, origins: list[str] | None) -> list[str]:
    """'file:line: label defined twice: L (first at file:line)' for each second definition."""
    first: dict[str, int] = {}
    problems = []
    for index, line in enumerate(source.splitlines()):
        match = _ANY_LABEL.match(strip_comment(line))
        if not match:
            continue
        label = match.group(1)
        if label in first:
            problems.append(f"{_where(index, origins, name)}: label defined twice: {label} "
                            f"(first at {_where(first[label], origins, name)})")
        else:
            first[label] = index
    return problems


def unbalanced_brackets(source: str, name: str, origins: list[str] | None) -> list[str]:
    """'file:line: unbalanced [ ] in a memory operand: text' for each line whose brackets
    (outside strings and comments) do not open and close in pairs."""
    problems = []
    for index, line in enumerate(source.splitlines()):
        text = strip_comment(line)
        if "[" not in text and "]" not in text:
            continue
        depth = 0
        for char in _QUOTED.sub("", text):
            depth += {"[": 1, "]": -1}.get(char, 0)
            if depth not in (0, 1):
                break
        if depth != 0:
            problems.append(f"{_where(index, origins, name)}: unbalanced [ ] in a memory operand: {text.strip()}")
        if len(problems) == MAX_REPORTED_ERRORS:
            break
    return problems


_QUOTED = re.compile(r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'""")


def _labels_of(lines: list[str]) -> list[str]:
    """Every label the lines define, .L labels included."""
    return [m.group(1) for m in (_ANY_LABEL.match(strip_comment(line)) for line in lines) if m]


def _first_failing_line(lines: list[str], labels: list[str], base: int,
                        defines: dict[str, int]) -> tuple[int, str] | None:
    """(index, reason) of the line where prefixes of `lines` start to fail; None if all of it assembles."""
    if _failure(lines, labels, base, defines) is None:
        return None
    good, bad = 0, len(lines)          # the first `good` lines assemble, the first `bad` do not
    while bad - good > 1:
        middle = (good + bad) // 2
        if _failure(lines[:middle], labels, base, defines) is None:
            good = middle
        else:
            bad = middle
    return bad - 1, _failure(lines[:bad], labels, base, defines)


def _failure(prefix: list[str], labels: list[str], base: int, defines: dict[str, int]) -> str | None:
    """Why `prefix` (with stubs for the labels it does not define) fails to assemble, or None.
    A trailing `nop` must come out as code: keystone fails silently on some lines (it returns
    no code and no error), and the nop is what shows it."""
    defined = set(_labels_of(prefix))
    stubs = [f"{label}:" for label in labels if label not in defined]
    prepared, _ = _prepare("\n".join(prefix + stubs), defines)
    try:
        encoding, _ = _keystone().asm(prepared + "\nnop", base)
    except Exception as error:  # KsError, or keystone failing in odd ways on odd input
        return _reason(error)
    if not encoding:
        return SILENT_FAILURE
    return None


SILENT_FAILURE = "keystone cannot encode this (it gave no code and no error)"
_SIZE_WITHOUT_PTR = re.compile(r"\b(byte|word|dword|qword)\s*\[", re.IGNORECASE)


def hint(reason: str, text: str) -> str:
    """The reason, with how to fix the usual cause of a silent failure: a memory operand's
    size written without `ptr` (keystone reads `byte ptr [rdi]`, not `byte [rdi]`)."""
    match = _SIZE_WITHOUT_PTR.search(text)
    if reason == SILENT_FAILURE and match:
        return f"{match.group(1)} [...] needs ptr: write {match.group(1)} ptr [...]"
    return reason


def _where(index: int, origins: list[str] | None, name: str) -> str:
    """'lib.asm:12': where line `index` (0-based) of the expanded source came from."""
    return origins[index] if origins and index < len(origins) else f"{name}:{index + 1}"
