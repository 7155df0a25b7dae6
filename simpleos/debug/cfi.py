"""Call frame information derived from the code: where each routine keeps its caller's RIP.

A debugger unwinds the stack with one rule per instruction: the CFA (the
stack pointer the caller had before its `call`, "canonical frame address")
is rsp+N or rbp+N here, the return address is at CFA-8, and a callee-saved
register pushed by the routine is at CFA-k. Compilers write these rules
into .eh_frame; the assembler has no such directives, so this module works
them out from the machine code itself. It follows every path from each
routine's entry (the image's `_start`, each `call` target, each label) and
tracks the stack: `push`/`pop`, `sub`/`add rsp`, `push rbp; mov rbp, rsp`
(from then on CFA = rbp+16) and `leave`. The image's `_start` is the
outermost frame: it has no caller (its return address is "undefined").
An instruction the analysis cannot follow (rsp computed, two paths that
disagree) gets no rule, and debuggers fall back to their own guess there.

Both debuggers use these rules: sdb's backtrace (backtrace.py) and the
symbol file's .debug_frame for gdb (gdb/dwarf.py), so their frames agree.
Reading and decoding only: nothing here touches a machine.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from ..machine.decode import disassemble_with_writes

CALLEE_SAVED = ("rbx", "rbp", "r12", "r13", "r14", "r15")
_STOPS = {"ret", "iretq", "iret", "sysret", "sysretq", "hlt", "ud2", "int3"}
_TARGET = re.compile(r"^0x[0-9a-f]+$")
_RSP_ADJUST = re.compile(r"^rsp, (-?0x[0-9a-f]+|-?\d+)$")
_RSP_LEA = re.compile(r"^rsp, \[rsp ([+-]) (0x[0-9a-f]+|\d+)\]$")


@dataclass(frozen=True)
class FrameRule:
    """How to find the caller's frame from inside a routine, before one instruction runs."""
    cfa_register: str                   # "rsp" or "rbp": CFA = register + cfa_offset
    cfa_offset: int
    depth: int | None                   # CFA - rsp (known even when the CFA is rbp-based), or None
    saved: tuple[tuple[str, int], ...] = ()   # (register, offset from the CFA of its saved copy)
    outermost: bool = False             # the entry routine: there is no caller

    def saved_at(self, register: str) -> int | None:
        """The CFA offset where `register`'s caller value is saved (None: not saved)."""
        return next((offset for name, offset in self.saved if name == register), None)


ENTRY = FrameRule("rsp", 8, 8)          # right after a call: [rsp] is the return address


@dataclass
class FrameTable:
    """The rule at every analysed instruction of one image, and the routines they belong to."""
    rules: dict[int, FrameRule]                   # instruction address -> its rule
    ends: dict[int, int]                          # instruction address -> the address after it
    routines: list[tuple[str, int, int]]          # (name, start, end) of each text label

    def __post_init__(self) -> None:
        self._starts = sorted(self.rules)

    def rule_at(self, address: int) -> FrameRule | None:
        """The rule for the instruction that holds `address` (None if none was analysed)."""
        index = bisect.bisect_right(self._starts, address) - 1
        if index < 0:
            return None
        start = self._starts[index]
        return self.rules[start] if address < self.ends[start] else None

    def rows(self, start: int, end: int) -> list[tuple[int, FrameRule]]:
        """(address, rule) of the analysed instructions in [start, end), by address."""
        low, high = bisect.bisect_left(self._starts, start), bisect.bisect_left(self._starts, end)
        return [(address, self.rules[address]) for address in self._starts[low:high]]


def frame_table(image) -> FrameTable:
    """The FrameTable of an assembled Image (cached: the analysis depends only on its code)."""
    text_end = image.text_end if image.text_end is not None else image.data_offset
    labels = tuple((name, address) for name, address in image.symbols.items()      # in source order
                   if image.base <= address < image.base + text_end)
    return _analyse(image.base, bytes(image.code[:text_end]), labels, "_start" in image.symbols)


@lru_cache(maxsize=64)
def _analyse(base: int, text: bytes, labels: tuple[tuple[str, int], ...], has_entry: bool) -> FrameTable:
    """Follow every path through `text` from the routines' entries (see the module docstring)."""
    decoded = {address: (size, mnemonic, operands, written)
               for address, size, mnemonic, operands, written in disassemble_with_writes(text, base)}
    end = base + len(text)
    rules: dict[int, FrameRule] = {}
    disputed: set[int] = set()
    label_of = dict(labels)
    roots = []
    if has_entry:
        roots.append((label_of["_start"], replace(ENTRY, outermost=True)))
    called = _call_targets(decoded, base, end)
    roots += [(address, ENTRY) for address in called]
    roots += [(address, ENTRY) for _, address in sorted(labels, key=lambda item: item[1])]
    for root, rule in roots:
        if root not in rules and root not in disputed:
            _follow(root, rule, decoded, base, end, rules, disputed, frozenset(called) - {root})
    _inherit_unreached(decoded, rules, disputed, labels)
    ends = {address: address + decoded[address][0] for address in decoded}
    return FrameTable(rules, ends, _routines(labels, end))


def _call_targets(decoded, base: int, end: int) -> list[int]:
    """Addresses inside the text that a direct `call` goes to."""
    targets = []
    for size, mnemonic, operands, _ in decoded.values():
        if mnemonic == "call" and _TARGET.match(operands) and base <= int(operands, 16) < end:
            targets.append(int(operands, 16))
    return sorted(set(targets))


def _follow(root: int, rule: FrameRule, decoded, base: int, end: int, rules: dict, disputed: set,
            routines: frozenset[int] = frozenset()) -> None:
    """Propagate `rule` from `root` along every path (a worklist over branches). A path whose
    stack can no longer be followed ends; where two paths disagree there is no rule. A path
    ends where another routine (a `call` target in `routines`) begins: falling into it, as
    after a `call exit` that never returns, is not how it is entered."""
    work = [(root, rule)]
    while work:
        address, state = work.pop()
        while state is not None and base <= address < end and address in decoded and address not in disputed \
                and address not in routines:
            if address in rules:
                if rules[address] != state:
                    del rules[address]
                    disputed.add(address)
                break
            rules[address] = state
            size, mnemonic, operands, written = decoded[address]
            following = address + size
            if mnemonic in _STOPS:
                break
            after = _step(state, mnemonic, operands, written)
            branch = int(operands, 16) if (mnemonic.startswith("j") or mnemonic.startswith("loop")) \
                and _TARGET.match(operands) else None
            if after is None:               # lost: what follows must not borrow a rule either
                disputed.update(a for a in (following, branch) if a is not None and a not in rules)
                break
            if branch is not None:
                work.append((branch, after))
            if mnemonic == "jmp":
                break
            address, state = following, after


def _step(state: FrameRule, mnemonic: str, operands: str, written: frozenset[str]) -> FrameRule | None:
    """The rule after one instruction, or None when the stack can no longer be followed."""
    cfa, offset, depth = state.cfa_register, state.cfa_offset, state.depth
    saved = dict(state.saved)
    if mnemonic in ("push", "pushfq", "pushf"):
        depth = None if depth is None else depth + 8
        if cfa == "rsp":
            offset += 8
        if operands in CALLEE_SAVED and operands not in saved and depth is not None:
            saved[operands] = -depth
    elif mnemonic in ("pop", "popfq", "popf"):
        if operands == "rsp":
            return None
        if depth is not None and saved.get(operands) == -depth:
            del saved[operands]                  # the caller's value is back in the register
        depth = None if depth is None else depth - 8
        if cfa == "rsp":
            offset -= 8
        elif operands == "rbp":                  # the frame pointer is gone: back to rsp
            if depth is None:
                return None
            cfa, offset = "rsp", depth
    elif mnemonic == "mov" and operands == "rbp, rsp":
        if depth is None:
            return None
        cfa, offset = "rbp", depth
    elif mnemonic == "mov" and operands == "rsp, rbp":
        if cfa != "rbp":
            return None
        depth = offset
    elif mnemonic == "leave":
        if cfa != "rbp":
            return None
        depth = offset - 8
        saved.pop("rbp", None)
        cfa, offset = "rsp", depth
    elif mnemonic in ("sub", "add", "lea") and "rsp" in written:
        change = _rsp_change(mnemonic, operands)
        if change is None:
            return None
        depth = None if depth is None else depth + change
        if cfa == "rsp":
            offset += change
    elif mnemonic != "call" and ("rsp" in written or cfa == "rbp" and "rbp" in written):
        return None                              # the stack (or frame) pointer is computed
    return FrameRule(cfa, offset, depth, tuple(sorted(saved.items(), key=lambda item: CALLEE_SAVED.index(item[0]))),
                     state.outermost)


def _rsp_change(mnemonic: str, operands: str) -> int | None:
    """How much deeper the stack gets (bytes) with `sub rsp, N` / `add rsp, N` / `lea rsp, [rsp +- N]`."""
    if mnemonic == "lea":
        match = _RSP_LEA.match(operands)
        return None if not match else -int(match.group(2), 0) * (1 if match.group(1) == "+" else -1)
    match = _RSP_ADJUST.match(operands)
    if not match:
        return None
    amount = int(match.group(1), 0)
    return amount if mnemonic == "sub" else -amount


def _inherit_unreached(decoded, rules: dict, disputed: set, labels) -> None:
    """Code no path reaches (dead code after a jump) takes the rule of the instruction before it
    in the same routine: nothing runs it, and one rule per routine keeps the tables whole."""
    starts = {address for _, address in labels}
    previous = None
    for address in sorted(decoded):
        if address in starts:
            previous = None
        if address not in rules and address not in disputed and previous is not None:
            rules[address] = previous
        previous = rules.get(address)


def _routines(labels, end: int) -> list[tuple[str, int, int]]:
    """(name, start, end) per text label, each up to the next label at a higher address; labels at
    one address (`_start:` then `sensor_main:`) are one routine, named as symbols.py names it."""
    from ..assembler import nearest_symbol
    addresses = sorted({address for _, address in labels})
    symbols = dict(labels)
    routines = []
    for index, start in enumerate(addresses):
        name = nearest_symbol({n: a for n, a in symbols.items() if a == start}, start)[0]
        routines.append((name, start, addresses[index + 1] if index + 1 < len(addresses) else end))
    return routines
