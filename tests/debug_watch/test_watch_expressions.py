"""What `watch` accepts: sdb's `EXPR [LEN]` and gdb's typed forms; everything else is a one-line error."""
from __future__ import annotations

import pytest

from simpleos.debug import watchexpr
from sourcegdb import sdb

CONTEXT = 0xFFFFFFFF80005230         # ipc_context


class Symbols:
    """Just enough of a target for expressions: two symbols and rsp."""

    def lookup(self, name):
        from simpleos.debug.symbols import UnknownSymbol
        table = {"ipc_context": CONTEXT, "ipc_event_handle": CONTEXT + 160}
        if name not in table:
            raise UnknownSymbol(f"no symbol {name!r}")
        return table[name]

    def registers(self):
        return {"rsp": 0x1000}


@pytest.mark.parametrize("text, address, length", [
    ("ipc_event_handle", CONTEXT + 160, 8),
    ("ipc_context+160 8", CONTEXT + 160, 8),
    ("ipc_context + 160 4", CONTEXT + 160, 4),
    ("$rsp + 8", 0x1008, 8),
    ("$rsp 16", 0x1000, 16),
    ("*((long *)&ipc_context + 20)", CONTEXT + 160, 8),
    ("*((int *)&ipc_context + 20)", CONTEXT + 80, 4),
    ("*((unsigned char *)ipc_context - 1)", CONTEXT - 1, 1),
    ("*(long *)&ipc_event_handle", CONTEXT + 160, 8),
    ("*(short *)($rsp + 2)", 0x1002, 2),
    ("*(uint64_t *)0x1000", 0x1000, 8),
    ("*(char **)ipc_context", CONTEXT, 8),
    ("*(((long *)&ipc_context) + 19 + 1)", CONTEXT + 160, 8),
])
def test_watch_expressions(text, address, length):
    assert watchexpr.parse(text, Symbols()) == (address, length)


@pytest.mark.parametrize("command, message", [
    ("watch", "watch what?"),
    ("watch *ipc_context", "cannot tell how wide"),
    ("watch *(long *)ipc_context + 20", "is not an lvalue"),
    ("watch *(struct foo *)ipc_context", "unknown type 'struct foo'"),
    ("watch *((long *)&ipc_context + 20", "cannot tell how wide"),
    ("rwatch nosuch", "no symbol 'nosuch'"),
    ("awatch compare_strin 8", "did you mean compare_string?"),
    ("watch 0x1234 8", "is not mapped in this address space"),
    ("watch ipc_context 0", "a watchpoint covers 1 to 4096 bytes, not 0"),
    ("watch ipc_context 5000", "a watchpoint covers 1 to 4096 bytes, not 5000"),
    ("watch ipc_context +", "the expression ends too early"),
])
def test_bad_watch_expressions_are_one_line_errors(cf291_fault, command, message):
    out = sdb(cf291_fault, [command])
    assert out.count("\n") == 1 and out.startswith("error: ") and message in out, out
    assert cf291_fault.watchpoints == []


def test_the_same_watchpoint_twice_is_refused(cf291_fault):
    out = sdb(cf291_fault, ["watch ipc_event_handle", "watch *((long *)&ipc_context + 20)"])
    assert out.splitlines()[1] == "error: watchpoint 1 already watches that"
