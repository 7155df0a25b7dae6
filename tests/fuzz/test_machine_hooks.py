"""The machine-level pieces the fuzzer stands on, on a bare CPU with a few pages of ring-0 code.

machine/snapshot.py restores registers and exactly the pages a run dirtied
(the MMU's Dirty bits), machine/edges.py records edges only while installed,
machine/hostcall.py reads and answers system-call registers.
"""
from __future__ import annotations

from simpleos.assembler import assemble
from simpleos.kernel.vm import DATA, TEXT, KernelSpace
from simpleos.machine.cpu import CPU
from simpleos.machine.edges import EdgeRecorder
from simpleos.machine.hostcall import HostCall
from simpleos.machine.layout import PAGE_SIZE
from simpleos.machine.snapshot import Snapshot

PROGRAM = """
    lea rbx, [rip + counters]
    mov ecx, 5
.Lloop:
    inc qword ptr [rbx]             ; page 0 of the data: written every run
    dec ecx
    jnz .Lloop
    mov rax, [rbx + 8]              ; rax = the host's number, if any
    test rax, rax
    jz .Ldone
    mov [rbx + 4096], rax           ; page 1: written only when the host asked for it
.Ldone:
    mov rax, 77
    mov rdi, 1
    syscall                         ; the host answers; rax = its answer
    mov [rbx + 16], rax
    mov rax, 78
    syscall                         ; the host stops the CPU here
.data
counters: .space 8192
"""


def machine():
    """A CPU in long mode running PROGRAM at ring 0 in the kernel half; (cpu, space, image, stack)."""
    cpu = CPU()
    kernel = KernelSpace(cpu.memory)
    cpu.enable_long_mode(kernel.space)
    base = kernel.reserve(3 * PAGE_SIZE)
    image = assemble(PROGRAM, base, "probe")
    kernel.map_new(image.base, image.data_offset, TEXT, image.text)
    kernel.map_new(image.base + image.data_offset, len(image.data), DATA, image.data)
    stack = kernel.reserve(PAGE_SIZE)
    kernel.map_new(stack, PAGE_SIZE, DATA)
    cpu.write("rip", image.entry)
    cpu.write("rsp", stack + PAGE_SIZE - 8)
    return cpu, kernel.space, image, stack


def answer_then_stop(cpu, answers):
    """on_syscall: answer call 77 with the next answer, stop at call 78; records the calls."""
    host = HostCall(cpu)
    calls = []

    def on_syscall():
        number, rdi, rsi, rdx = host.arguments()
        calls.append((number, rdi))
        if number == 78:
            cpu.request_stop()
        else:
            host.set_result(answers.pop(0))
    cpu.on_syscall = on_syscall
    return calls


def test_a_restore_puts_back_registers_and_every_page_the_run_dirtied():
    cpu, space, image, stack = machine()
    calls = answer_then_stop(cpu, [-5, 9])
    data = image.symbols["counters"]
    snapshot = Snapshot(cpu, space, [(data, 2 * PAGE_SIZE), (stack, PAGE_SIZE)])
    saved_rip = cpu.read("rip")
    snapshot.write_virtual(data + 8, (0x1234).to_bytes(8, "little"))      # the host's number
    assert cpu.resume(1000).reason == "stop"
    assert calls == [(77, 1), (78, 1)]
    word = lambda address: int.from_bytes(cpu.memory.read(space.translate(address), 8), "little")
    assert (word(data), word(data + 16), word(data + 4096)) == (5, (-5) % 2**64, 0x1234)
    assert snapshot.restore() == 2                     # data pages 0 and 1 by the CPU (no stack writes)
    assert cpu.read("rip") == saved_rip
    assert (word(data), word(data + 8), word(data + 16), word(data + 4096)) == (0, 0, 0, 0)
    assert cpu.resume(1000).reason == "stop"               # the second run starts from scratch
    assert (word(data), word(data + 16), word(data + 4096)) == (5, 9, 0)


def test_a_page_dirtied_once_is_restored_every_time_after():
    cpu, space, image, stack = machine()
    answer_then_stop(cpu, [1, 2, 3])
    data = image.symbols["counters"]
    snapshot = Snapshot(cpu, space, [(data, 2 * PAGE_SIZE), (stack, PAGE_SIZE)])
    cpu.resume(1000)
    snapshot.restore()
    first = set(snapshot.always)
    cpu.resume(1000)
    assert snapshot.dirty_pages() == first               # the TLB still allows the writes: no bit needed
    assert snapshot.restore() == len(first)


def test_the_edge_recorder_counts_edges_only_while_installed():
    cpu, space, image, stack = machine()
    answer_then_stop(cpu, [0, 0, 0])
    start = cpu.save_context()
    recorder = EdgeRecorder(cpu, image.base, image.base + image.data_offset, slots=1024)
    cpu.resume(1000)
    trace = recorder.trace()
    # Blocks: the entry (its first pass through the loop included), the loop body 4 more times, the rest:
    # the back edge loop -> loop is taken 3 times.
    assert max(trace) == 3
    recorder.reset()
    assert not any(recorder.trace())
    recorder.remove()
    cpu.restore_context(start)
    cpu.resume(1000)
    assert not any(recorder.trace())
