"""Guest compute speed: a ring-3 loop under the SimpleOS kernel vs bare unicorn.

The same loop (same instructions, assembled by keystone) runs as:

  simpleos      a ring-3 process spawned by the kernel and run by its scheduler
                (Kernel.spawn + Kernel.run: 1,000,000-instruction slices, paging, the
                native per-block counter of machine/_icount.c, every count exact);
                kernel.CPU_TIME_LIMIT is lifted for the run
  free          bare unicorn, flat memory, paging off, emu_start(begin, end), no hooks
  free paged    bare unicorn set up like SimpleOS's engine -- long mode, 4-level
                paging, the loop mapped at the same virtual addresses -- and no hooks
                at all: the fair baseline for code that touches memory (unicorn's
                store path with paging off is several times slower, so "free" flatters
                SimpleOS on the mem loop)
  block counter bare unicorn (paged) with only SimpleOS's native block counter
                installed and one long run: the cost of exact counting alone

Two workloads: `alu` (register arithmetic only: the best case for unhooked
unicorn, whose translated blocks chain with no helper calls) and `mem` (one
store and one load per iteration). Only the time inside emu_start / Kernel.run
is measured; engine creation, spawn and assembly are not. Aim: SimpleOS / free
>= 0.5 on the alu loop (and, for the mem loop, against free paged).
"""
from __future__ import annotations

from _common import (Ratio, Result, Row, assemble_bare, interleave, median, paired_ratio, run_to_exit,
                     simpleos_kernel, timed, unlimited_cpu_time, user_image)

BASE = 0x400000
STACK_BASE, STACK_SIZE = 0x7F0000, 0x10000

SETUP = """
    mov rcx, {iterations}
    xor rax, rax
    xor rbx, rbx
"""
SETUP_INSTRUCTIONS = 3
WORKLOADS = {
    # name: (loop body, instructions per iteration)
    "alu": ("""
loop_top:
    add rax, rcx
    xor rax, 0x55
    add rbx, rax
    dec rcx
    jnz loop_top
""", 5),
    "mem": ("""
loop_top:
    add rax, rcx
    mov [rsp - 8], rax
    mov rbx, [rsp - 8]
    dec rcx
    jnz loop_top
""", 5),
}
EXIT = """
    xor rdi, rdi
    mov rax, SYS_EXIT
    syscall
"""


def _flat_engine(code: bytes):
    """Bare unicorn, flat memory, paging off."""
    from unicorn import UC_ARCH_X86, UC_MODE_64, Uc
    from unicorn import x86_const as X
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(BASE, 0x1000)
    uc.mem_map(STACK_BASE, STACK_SIZE)
    uc.mem_write(BASE, code)
    uc.reg_write(X.UC_X86_REG_RSP, STACK_BASE + STACK_SIZE - 0x100)
    return uc


def _paged_engine(code: bytes, counter: bool):
    """Bare unicorn in long mode with 4-level paging, as SimpleOS sets its engine up (but
    no kernel, ring 0, and no hook unless `counter`): code and stack at the same virtual
    addresses as the SimpleOS process. Returns (uc, counter or None, what must stay alive)."""
    from unicorn import UC_ARCH_X86, UC_MODE_64, Uc
    from unicorn import x86_const as X

    from simpleos.machine.cpu import CR0_PE, CR0_PG, CR0_WP, CR4_PAE, EFER_LMA, EFER_LME, EFER_MSR, EFER_NXE
    from simpleos.machine.icount import InstructionCounter
    from simpleos.machine.layout import USER_STACK_TOP, USER_TEXT_BASE
    from simpleos.machine.memory import PhysicalMemory
    from simpleos.machine.paging import NO_EXECUTE, WRITABLE, AddressSpace
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    memory = PhysicalMemory(uc, 16 << 20)
    space = AddressSpace(memory)
    text = memory.alloc_frame()
    memory.write(text, code + b"\xcc" * (0x1000 - len(code)))
    space.map_page(USER_TEXT_BASE, text, 0)
    for offset in range(1, 5):
        space.map_page(USER_STACK_TOP - offset * 0x1000, memory.alloc_frame(), WRITABLE | NO_EXECUTE)
    uc.reg_write(X.UC_X86_REG_CR3, space.root)
    uc.reg_write(X.UC_X86_REG_CR4, CR4_PAE)
    uc.msr_write(EFER_MSR, EFER_LME | EFER_LMA | EFER_NXE)
    uc.reg_write(X.UC_X86_REG_CR0, CR0_PE | CR0_WP | CR0_PG)
    uc.reg_write(X.UC_X86_REG_RSP, USER_STACK_TOP - 0x100)
    icount = None
    if counter:
        icount = InstructionCounter(uc)
        icount.set_space(space.root)
        icount.arm(1 << 62)
    return uc, icount, (memory, space)


def measure_workload(workload: str, instructions: int, repetitions: int, kernel) -> tuple[list[Row], list[Ratio]]:
    body, per_iteration = WORKLOADS[workload]
    iterations = instructions // per_iteration
    loop = SETUP.format(iterations=iterations) + body
    flat_code = assemble_bare(loop, BASE)
    from simpleos.machine.layout import USER_TEXT_BASE
    paged_code = assemble_bare(loop, USER_TEXT_BASE)
    expected = SETUP_INSTRUCTIONS + iterations * per_iteration
    image = user_image(loop + EXIT, f"bench_{workload}")

    def free() -> float:
        uc = _flat_engine(flat_code)
        return expected / timed(lambda: uc.emu_start(BASE, BASE + len(flat_code)))

    def paged(counter: bool = False) -> float:
        uc, icount, keep = _paged_engine(paged_code, counter)  # noqa: F841 (keep: alive during the run)
        seconds = timed(lambda: uc.emu_start(USER_TEXT_BASE, USER_TEXT_BASE + len(paged_code)))
        if icount is not None and icount.retired != expected:
            raise RuntimeError(f"{workload}: the block counter counted {icount.retired}, expected {expected}")
        return expected / seconds

    def simpleos() -> float:
        process, seconds = run_to_exit(kernel, image, f"bench_{workload}")
        if not expected <= process.instructions <= expected + 16:     # + the entry trampoline and the exit
            raise RuntimeError(f"{workload}: SimpleOS retired {process.instructions} instructions")
        return process.instructions / seconds

    samples = interleave({"simpleos": simpleos, "free": free, "paged": paged,
                          "counter": lambda: paged(counter=True)}, repetitions)
    labels = {
        "simpleos": f"{workload}: SimpleOS ring-3 process",
        "free": f"{workload}: bare unicorn, free (flat, no paging, no hooks)",
        "paged": f"{workload}: bare unicorn, free paged (long mode, 4-level paging)",
        "counter": f"{workload}: bare unicorn paged + SimpleOS block counter",
    }
    rows = [Row(labels[name], median(values), "instr/s", values) for name, values in samples.items()]
    s = samples
    ratios = [
        Ratio(f"{workload}: SimpleOS / bare free", paired_ratio(s["simpleos"], s["free"]),
              ">= 0.5" if workload == "alu" else None,
              note="the issue's aim (alu)" if workload == "alu" else "flattering: flat memory is slow here"),
        Ratio(f"{workload}: SimpleOS / bare free paged", paired_ratio(s["simpleos"], s["paged"]),
              ">= 0.5" if workload == "mem" else None, note="paged vs paged"),
        Ratio(f"{workload}: block counter / bare free paged", paired_ratio(s["counter"], s["paged"]),
              note="exact counting alone (unicorn's block-hook call is its floor)"),
        Ratio(f"{workload}: SimpleOS / block counter", paired_ratio(s["simpleos"], s["counter"]),
              note="the kernel's own share: slices, exact tails, context switches"),
    ]
    return rows, ratios


def run(quick: bool = False) -> Result:
    """Measure both workloads; `quick` uses 1/5 of the instructions and 3 repetitions."""
    repetitions = 3 if quick else 9
    scale = 5 if quick else 1
    result = Result("compute", "Guest compute speed (ring-3 loop vs bare unicorn)")
    kernel = simpleos_kernel()
    with unlimited_cpu_time():
        for workload, instructions in (("alu", 40_000_000), ("mem", 20_000_000)):
            rows, ratios = measure_workload(workload, instructions // scale, repetitions, kernel)
            result.rows += rows
            result.ratios += ratios
    result.notes.append(f"alu {40_000_000 // scale:,} and mem {20_000_000 // scale:,} instructions per run, "
                        f"median of {repetitions} interleaved repetitions")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
