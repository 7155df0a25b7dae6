"""Guest compute speed: a ring-3 loop under the SimpleOS kernel vs bare unicorn.

The same loop (same instructions, assembled by keystone) runs as:

  simpleos     a ring-3 process spawned by the kernel and run by its scheduler
               (Kernel.spawn + Kernel.run, 20 000-instruction slices, paging,
               the native per-instruction counter of machine/_icount.c on);
               kernel.CPU_TIME_LIMIT is lifted for the run
  free         bare unicorn, flat memory, emu_start(begin, end), no hooks at all
  count        bare unicorn, emu_start(begin, end, count=N): unicorn's own
               instruction limit, the same "never hang" guarantee as the budget
  icount hook  bare unicorn with SimpleOS's InstructionCounter installed and one
               long run: the cost of the counter alone, without the kernel
  block hook   (what-if) bare unicorn with the same native C callback installed
               as a UC_HOOK_BLOCK hook instead of UC_HOOK_CODE: one call per
               translated block, the price floor of counting per block
  no counter   (what-if, not a SimpleOS mode) the SimpleOS kernel with the
               counter hook deleted from its engine: paging, ring 3 and the
               scheduler as usual, but no per-instruction hook (so no
               preemption and no virtual clock: only safe for this one loop;
               a one-address breakpoint after the exit call ends the slice,
               since the kernel's stop request needs the counter)

Two workloads: `alu` (register arithmetic only: the best case for unhooked
unicorn, whose translated blocks chain with no helper calls) and `mem` (one
store and one load per iteration, where unicorn's own store path dominates).
Only the time inside emu_start / Kernel.run is measured; engine creation,
spawn and assembly are not. Reports instructions per second and the ratios
SimpleOS / free and SimpleOS / count (aim: >= 0.5).
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
bench_end:
    nop                     ; never runs: the no-counter what-if stops here
"""


def _block_hook(uc):
    """Install _icount.c's callback as a per-block hook (what-if: the cost of one
    native call per translated block). Returns what must stay alive with it."""
    import ctypes

    from unicorn import UC_HOOK_BLOCK

    from simpleos.machine.icount import _Counter, _native, _uclib
    counter = _Counter(0, 1 << 62, ctypes.cast(_uclib.uc_emu_stop, ctypes.c_void_p))
    handle = ctypes.c_size_t()
    status = _uclib.uc_hook_add(uc._uch, ctypes.byref(handle), UC_HOOK_BLOCK,
                                ctypes.cast(_native.icount_on_instruction, ctypes.c_void_p),
                                ctypes.cast(ctypes.pointer(counter), ctypes.c_void_p),
                                ctypes.c_uint64(1), ctypes.c_uint64(0))
    if status != 0:
        raise RuntimeError(f"cannot install the block hook (uc_err {status})")
    return counter, handle


def _bare_engine(code: bytes, counter: bool):
    from unicorn import UC_ARCH_X86, UC_MODE_64, Uc
    from unicorn import x86_const as X
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(BASE, 0x1000)
    uc.mem_map(STACK_BASE, STACK_SIZE)
    uc.mem_write(BASE, code)
    uc.reg_write(X.UC_X86_REG_RSP, STACK_BASE + STACK_SIZE - 0x100)
    icount = None
    if counter:
        from simpleos.machine.icount import InstructionCounter
        icount = InstructionCounter(uc)
        icount.arm(1 << 62)
    return uc, icount


def kernel_without_counter():
    """A SimpleOS kernel whose engine has no instruction-counter hook (what-if only)."""
    from simpleos.machine.icount import _uclib
    kernel = simpleos_kernel()
    status = _uclib.uc_hook_del(kernel.cpu.uc._uch, kernel.cpu.counter._handle)
    if status != 0:
        raise RuntimeError(f"cannot remove the instruction counter (uc_err {status})")
    return kernel


def measure_workload(workload: str, instructions: int, repetitions: int, kernel,
                     bare_kernel) -> tuple[list[Row], list[Ratio]]:
    body, per_iteration = WORKLOADS[workload]
    iterations = instructions // per_iteration
    loop = SETUP.format(iterations=iterations) + body
    code = assemble_bare(loop, BASE)
    expected = SETUP_INSTRUCTIONS + iterations * per_iteration
    image = user_image(loop + EXIT, f"bench_{workload}")

    def bare(count: bool = False, counter: bool = False, block: bool = False) -> float:
        uc, icount = _bare_engine(code, counter)
        keep = _block_hook(uc) if block else None  # noqa: F841  (must outlive emu_start)
        limit = expected + 16 if count else 0
        seconds = timed(lambda: uc.emu_start(BASE, BASE + len(code), count=limit))
        if icount is not None and icount.retired != expected:
            raise RuntimeError(f"{workload}: counted {icount.retired} instructions, expected {expected}")
        return expected / seconds

    def simpleos() -> float:
        process, seconds = run_to_exit(kernel, image, f"bench_{workload}")
        if process.instructions < expected:
            raise RuntimeError(f"{workload}: SimpleOS retired only {process.instructions} instructions")
        return process.instructions / seconds

    def simpleos_no_counter() -> float:
        bare_kernel.cpu.add_breakpoint(image.symbols["bench_end"])
        _, seconds = run_to_exit(bare_kernel, image, f"bench_{workload}")
        return expected / seconds  # nothing counts here: use the known loop length

    samples = interleave({
        "simpleos": simpleos,
        "free": lambda: bare(),
        "count": lambda: bare(count=True),
        "icount": lambda: bare(counter=True),
        "block": lambda: bare(block=True),
        "nocounter": simpleos_no_counter,
    }, repetitions)
    labels = {
        "simpleos": f"{workload}: SimpleOS ring-3 process",
        "free": f"{workload}: bare unicorn, free (no hooks)",
        "count": f"{workload}: bare unicorn, emu_start(count=N)",
        "icount": f"{workload}: bare unicorn + SimpleOS icount hook",
        "block": f"{workload}: what-if: bare unicorn + the C callback per block",
        "nocounter": f"{workload}: what-if: SimpleOS with the counter hook removed",
    }
    rows = [Row(labels[name], median(values), "instr/s", values) for name, values in samples.items()]
    s = samples
    ratios = [
        Ratio(f"{workload}: SimpleOS / bare free", paired_ratio(s["simpleos"], s["free"]), ">= 0.5"),
        Ratio(f"{workload}: SimpleOS / bare count=N", paired_ratio(s["simpleos"], s["count"]), ">= 0.5"),
        Ratio(f"{workload}: SimpleOS / bare + icount hook", paired_ratio(s["simpleos"], s["icount"]),
              note="SimpleOS vs the counter alone on a bare engine"),
        Ratio(f"{workload}: bare + icount hook / bare free", paired_ratio(s["icount"], s["free"]),
              note="per-instruction counter cost alone"),
        Ratio(f"{workload}: bare + C callback per block / bare free", paired_ratio(s["block"], s["free"]),
              note="floor of per-block counting"),
        Ratio(f"{workload}: SimpleOS / what-if no counter", paired_ratio(s["simpleos"], s["nocounter"]),
              note="what exact counting costs inside SimpleOS"),
    ]
    return rows, ratios


def run(quick: bool = False) -> Result:
    """Measure both workloads; `quick` uses 1/5 of the instructions and 3 repetitions."""
    repetitions = 3 if quick else 7
    scale = 5 if quick else 1
    result = Result("compute", "Guest compute speed (ring-3 loop vs bare unicorn)")
    kernel = simpleos_kernel()
    bare_kernel = kernel_without_counter()
    with unlimited_cpu_time():
        for workload, instructions in (("alu", 40_000_000), ("mem", 20_000_000)):
            rows, ratios = measure_workload(workload, instructions // scale, repetitions, kernel,
                                            bare_kernel)
            result.rows += rows
            result.ratios += ratios
    result.notes.append(f"alu {40_000_000 // scale:,} and mem {20_000_000 // scale:,} instructions per run, "
                        f"median of {repetitions} interleaved repetitions")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
