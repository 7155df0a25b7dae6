"""What a watch command watches: `ipc_context+160 8`, or gdb's `*((long *)&ipc_context + 20)`.

Two forms, both giving an address and a length in bytes:

  EXPR [LEN]                  sdb's: an address expression (expr.py) and a
                              length, 8 bytes if left out:
                              `watch ipc_event_handle`, `watch ipc_context+160 8`,
                              `watch $rsp 16`
  *(TYPE *)EXPR               gdb's, for the usual C casts: the TYPE's size
  *((TYPE *)EXPR + N)         at EXPR, or at element N past it (pointer
                              arithmetic counts in TYPEs):
                              `watch *((long *)&ipc_context + 20)`,
                              `watch *(int *)($rsp + 8)`

`&` before a symbol may be written (it is what a symbol means anyway).
TYPE is a C integer or pointer type: char, short, int, long, long long
(signed or unsigned), int8_t .. uint64_t, size_t, or any `T *` (8 bytes).
Anything else is a one-line error. Evaluates; never changes anything.
"""
from __future__ import annotations

import re

from . import expr

DEFAULT_LENGTH = 8
_SIZES = {"char": 1, "signed char": 1, "unsigned char": 1, "int8_t": 1, "uint8_t": 1, "bool": 1,
          "short": 2, "unsigned short": 2, "short int": 2, "int16_t": 2, "uint16_t": 2,
          "int": 4, "unsigned": 4, "unsigned int": 4, "signed": 4, "int32_t": 4, "uint32_t": 4, "float": 4,
          "long": 8, "unsigned long": 8, "long int": 8, "long long": 8, "unsigned long long": 8,
          "int64_t": 8, "uint64_t": 8, "size_t": 8, "ssize_t": 8, "double": 8, "void": 1}
_CAST = re.compile(r"^\(\s*([A-Za-z_][\w ]*?)\s*((?:\*\s*)+)\)(.*)$", re.S)


class WatchExpressionError(ValueError):
    """Not something a watchpoint can watch (one line for the user)."""


def parse(text: str, target) -> tuple[int, int]:
    """(address, length) of what `text` asks to watch."""
    text = text.strip()
    if not text:
        raise WatchExpressionError("watch what? an address and a length (watch ipc_context+160 8) or "
                                   "gdb's *((long *)&ipc_context + 20)")
    if text.startswith("*"):
        return _pointer(text[1:].strip(), target, text)
    head, _, last = text.rpartition(" ")
    if head.strip() and re.fullmatch(r"0x[0-9a-fA-F]+|\d+", last) and not head.rstrip()[-1] in "+-*(":
        return _value(head, target), int(last, 0)
    return _value(text, target), DEFAULT_LENGTH


def _pointer(text: str, target, whole: str) -> tuple[int, int]:
    """(address, size of the pointed-to type) of a typed pointer expression (the text after
    `*`: it must be typed by a cast, so that the width is known)."""
    text = text.strip()
    cast = _CAST.match(text)
    if cast:
        size = _type_size(cast.group(1), cast.group(2).count("*"))
        rest = cast.group(3).strip()
        if _top_level_terms(rest)[1:]:
            raise WatchExpressionError(f"{whole!r} is not an lvalue: a cast binds tighter than '+'; "
                                       "write *((TYPE *)ADDRESS + N)")
        return _value(rest, target), size
    if text.startswith("(") and _closing(text, 0) == len(text) - 1:
        terms = _top_level_terms(text[1:-1])
        address, size = _pointer(terms[0], target, whole)
        for term in terms[1:]:
            sign = -1 if term.startswith("-") else 1
            address += sign * _value(term[1:], target) * size
        return address & ((1 << 64) - 1), size
    raise WatchExpressionError(f"cannot tell how wide {whole!r} is: cast it, as in *(long *)ADDRESS, "
                               "or give a length: watch ADDRESS 8")


def _type_size(name: str, stars: int) -> int:
    """sizeof the type a `(NAME *..*)` cast points to."""
    name = " ".join(name.split()).replace("const ", "").replace("volatile ", "")
    if stars > 1:
        return 8                       # a pointer to a pointer: it points to 8 bytes
    if name.startswith("struct ") or name not in _SIZES:
        raise WatchExpressionError(f"unknown type {name!r}: use char, short, int, long, "
                                   "(u)int8_t..(u)int64_t or a pointer type")
    return _SIZES[name]


def _value(text: str, target) -> int:
    """An sdb address expression, `&symbol` allowed."""
    text = re.sub(r"&\s*(?=[A-Za-z_$(])", "", text).strip()
    if not text:
        raise WatchExpressionError("an address is missing")
    return expr.evaluate(text, target)


def _closing(text: str, start: int) -> int:
    """The index of the parenthesis that closes the one at `start` (-1 if none)."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return -1


def _top_level_terms(text: str) -> list[str]:
    """`a + b - (c+d)` -> ['a', '+b', '-(c+d)'], split at + and - outside parentheses
    (a sign right after a cast or an operator belongs to its term)."""
    terms, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char in "+-" and depth == 0 and current.strip() and current.strip()[-1] not in "+-*(":
            terms.append(current.strip())
            current = char
        else:
            current += char
    terms.append(current.strip())
    return [term for term in terms if term]
