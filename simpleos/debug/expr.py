"""Address expressions typed at the debugger: `ipc_context+8*20`, `$rsp+0x10`, `sensor.sys!verdict`.

Terms are numbers (0x1f, 42), registers ($rax, $rip, $eflags), symbols
(compare_string, sensor.sys!compare_string, beacon!_start); operators are
+, - and * with the usual precedence, and parentheses. Evaluation asks the
DebugTarget for register values and symbol addresses; it never changes
anything.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(0x[0-9a-fA-F]+|\d+)|(\$[A-Za-z_][\w]*)|([A-Za-z_.][\w.]*(?:![A-Za-z_.][\w.]*)?)|(.))")
_MASK = (1 << 64) - 1


class ExpressionError(ValueError):
    """The text is not an expression this debugger understands."""


def evaluate(text: str, target) -> int:
    """The value of `text` (a 64-bit unsigned integer)."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, target)
    value = parser.sum()
    if parser.position != len(tokens):
        raise ExpressionError(f"unexpected {tokens[parser.position][1]!r} in {text.strip()!r}")
    return value & _MASK


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    for number, register, symbol, other in _TOKEN.findall(text):
        if number:
            tokens.append(("number", number))
        elif register:
            tokens.append(("register", register[1:].lower()))
        elif symbol:
            tokens.append(("symbol", symbol))
        elif other.strip():
            tokens.append(("operator", other))
    if not tokens:
        raise ExpressionError("an address or expression is needed")
    return tokens


class _Parser:
    def __init__(self, tokens, target) -> None:
        self.tokens, self.target, self.position = tokens, target, 0

    def _peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def sum(self) -> int:
        value = self.product()
        while self._peek() in (("operator", "+"), ("operator", "-")):
            operator = self.tokens[self.position][1]
            self.position += 1
            right = self.product()
            value = value + right if operator == "+" else value - right
        return value

    def product(self) -> int:
        value = self.term()
        while self._peek() == ("operator", "*"):
            self.position += 1
            value *= self.term()
        return value

    def term(self) -> int:
        kind, text = self._peek()
        self.position += 1
        if kind == "number":
            return int(text, 0)
        if kind == "register":
            registers = self.target.registers()
            if text not in registers:
                raise ExpressionError(f"no register ${text}")
            return registers[text]
        if kind == "symbol":
            return self.target.lookup(text)
        if (kind, text) == ("operator", "("):
            value = self.sum()
            if self._peek() != ("operator", ")"):
                raise ExpressionError("missing ')'")
            self.position += 1
            return value
        if (kind, text) == ("operator", "-"):
            return -self.term()
        raise ExpressionError(f"unexpected {text!r}" if text else "the expression ends too early")
