"""Going back to a watched access searches one checkpoint interval at a time, newest first.

A program writes a watched word, computes across many time slices (checkpoints are taken
between them), writes the word again, and stops at a breakpoint. reverse-continue must land
on the second store, found by replaying only the stretch after the newest checkpoint; the
next reverse-continue lands on the first store, in an older stretch. Each landing is the
position a forward run stopped at (one instruction before it: the store itself).
"""
from __future__ import annotations

import pytest

from simpleos.assembler import assemble
from simpleos.debug import checkpoints
from simpleos.debug.target import DebugTarget
from simpleos.kernel.loader import USER_DEFINES
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.system import BootOptions

WRITER = """
; writer.asm -- store to `word`, compute across slices, store again, then reach `done`
_start:
    mov qword ptr [rip + word], 1     ; the first store
    mov rcx, 1500000
spin:
    dec rcx
    jnz spin
    mov qword ptr [rip + word], 2     ; the second store
    mov rcx, 1500000
spin_again:
    dec rcx
    jnz spin_again
done:
    xor edi, edi
    mov eax, SYS_EXIT
    syscall
.data
word: .quad 0
"""
EVERY = 20_000          # checkpoints this close together keep the test quick


@pytest.fixture
def target(tmp_path, monkeypatch) -> DebugTarget:
    monkeypatch.setattr(checkpoints, "EVERY", EVERY)
    monkeypatch.setattr(checkpoints, "OVERHEAD", 1e-9)   # cont keeps only its first: the replay takes the rest
    image = assemble(WRITER, USER_TEXT_BASE, "writer.asm", USER_DEFINES)
    return DebugTarget(BootOptions(machine=str(tmp_path / "m"), fresh=True),
                       on_power_on=lambda kernel: kernel.spawn(image, "writer"))


def forward_stores(target: DebugTarget) -> list[int]:
    """The positions one past each store of `word`, from a forward run with the watchpoint."""
    stops = []
    while True:
        event = target.cont()
        if event.reason != "watchpoint":
            return stops
        stops.append(event.position)


def test_reverse_continue_finds_each_store_from_the_checkpoints_before_it(target):
    target.add_breakpoint(target.lookup("writer!done"), process="writer")
    event = target.cont()
    assert event.reason == "breakpoint"
    word = target.lookup("writer!word")
    at_done = target.position
    target.replay_to(at_done)                        # a replay takes checkpoints every EVERY instructions
    assert len(list(target.checkpoints.before(at_done))) >= 3
    watch = target.add_watchpoint(word, 8, "write")

    back = target.reverse_cont()
    assert back.reason == "watchpoint" and back.watch.new == (2).to_bytes(8, "little")
    second = back.position
    newest = next(iter(target.checkpoints.before(at_done))).position
    assert second < newest, "the second store lies before the newest checkpoint"
    older = target.reverse_cont()
    assert older.reason == "watchpoint" and older.watch.new == (1).to_bytes(8, "little")
    first = older.position
    assert first < second

    target.replay_to(0)
    target.remove_breakpoint(target.lookup("writer!done"))
    assert target.watchpoints == [watch]
    assert [p - 1 for p in forward_stores(target)] == [first, second]
