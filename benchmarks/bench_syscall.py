"""Null system call round trips per second: getpid under SimpleOS vs bare unicorn.

  simpleos   a ring-3 process doing `mov eax, SYS_GETPID; syscall` in a loop,
             under the kernel: the CPU's UC_HOOK_INSN hook calls
             Kernel.on_syscall (clock accounting, the 7 argument registers in
             one raw uc_reg_read_batch, dispatch table, sys_getpid, rax written
             with one raw call), with the instruction counter on as always
  bare       bare unicorn, same loop, a Python UC_HOOK_INSN syscall hook that
             only writes rax (no instruction counter, no kernel)

Aim: SimpleOS >= 0.5x bare. Three more bare variants (what-ifs, not SimpleOS
modes) show where the kernel's time goes and what a fix would buy: a hook
that also reads the 7 syscall registers with Uc.reg_read one by one (what
on_syscall does), with the binding's Uc.reg_read_batch, and with one raw
ctypes call to uc_reg_read_batch (+ a raw uc_reg_write). One more row times
the kernel's usercopy.copy_from_user of 64 bytes (a walk of the 4-level
page tables, 4 raw reads, then one read of the bytes): what every pointer
argument of read/write/open costs on top of a null call.
"""
from __future__ import annotations

import ctypes

from _common import (Ratio, Result, Row, assemble_bare, interleave, median, paired_ratio, run_to_exit,
                     simpleos_kernel, timed, unlimited_cpu_time, user_image)

BASE = 0x400000
LOOP = """
    mov rbx, {calls}
loop_top:
    mov eax, {getpid}
    syscall
    dec rbx
    jnz loop_top
"""
EXIT = """
    xor rdi, rdi
    mov rax, SYS_EXIT
    syscall
"""


def _hooks():
    """The bare syscall hooks: name -> function(uc, user_data)."""
    from unicorn import x86_const as X
    from unicorn.unicorn_py3 import unicorn as binding
    uclib = binding.uclib
    rax = X.UC_X86_REG_RAX
    args = [X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX,
            X.UC_X86_REG_R10, X.UC_X86_REG_R8, X.UC_X86_REG_R9]
    values = (ctypes.c_uint64 * len(args))()
    ids = (ctypes.c_int * len(args))(*args)
    pointers = (ctypes.c_void_p * len(args))(*[ctypes.addressof(values) + 8 * i for i in range(len(args))])
    result = ctypes.c_uint64(1)

    def write_only(uc, user_data):
        uc.reg_write(rax, 1)

    def reg_read_each(uc, user_data):
        number, *rest = [uc.reg_read(r) for r in args]
        uc.reg_write(rax, 1)

    def reg_read_batch(uc, user_data):
        number, *rest = uc.reg_read_batch(args)
        uc.reg_write(rax, 1)

    def raw_batch(uc, user_data):
        uclib.uc_reg_read_batch(uc._uch, ids, pointers, len(args))
        number, *rest = values
        uclib.uc_reg_write(uc._uch, rax, ctypes.byref(result))

    return {"bare": write_only, "each": reg_read_each, "batch": reg_read_batch, "raw": raw_batch}


def run(quick: bool = False) -> Result:
    """getpid round trips per second; `quick` does 1/6 of the calls and 3 repetitions."""
    from unicorn import UC_ARCH_X86, UC_HOOK_INSN, UC_MODE_64, Uc
    from unicorn import x86_const as X

    from simpleos.kernel.syscalls import SYSCALL_NUMBERS

    repetitions = 3 if quick else 7
    calls = 5_000 if quick else 30_000
    getpid = SYSCALL_NUMBERS["getpid"]
    loop = LOOP.format(calls=calls, getpid=getpid)
    code = assemble_bare(loop, BASE)
    image = user_image(loop + EXIT, "bench_getpid")
    kernel = simpleos_kernel()
    hooks = _hooks()

    def bare(hook) -> float:
        uc = Uc(UC_ARCH_X86, UC_MODE_64)
        uc.mem_map(BASE, 0x1000)
        uc.mem_write(BASE, code)
        uc.hook_add(UC_HOOK_INSN, hook, None, 1, 0, X.UC_X86_INS_SYSCALL)
        seconds = timed(lambda: uc.emu_start(BASE, BASE + len(code)))
        if uc.reg_read(X.UC_X86_REG_RBX) != 0:
            raise RuntimeError("bare syscall loop did not finish")
        return calls / seconds

    def simpleos() -> float:
        _, seconds = run_to_exit(kernel, image, "bench_getpid")
        return calls / seconds

    exit_image = user_image(EXIT, "bench_exit")

    def usercopy() -> float:
        from simpleos.kernel.usercopy import copy_from_user
        process = kernel.spawn(exit_image, "bench_exit")
        copies = max(calls // 10, 500)
        seconds = timed(lambda: [copy_from_user(process.space, exit_image.base, 64) for _ in range(copies)])
        kernel.run()  # let it exit
        return copies / seconds

    with unlimited_cpu_time():
        samples = interleave({
            "simpleos": simpleos,
            "bare": lambda: bare(hooks["bare"]),
            "each": lambda: bare(hooks["each"]),
            "batch": lambda: bare(hooks["batch"]),
            "raw": lambda: bare(hooks["raw"]),
            "usercopy": usercopy,
        }, repetitions)
    labels = {
        "simpleos": "SimpleOS getpid (ring 3 -> Kernel.on_syscall)",
        "bare": "bare unicorn, Python hook writes rax",
        "each": "what-if: bare hook + 7x Uc.reg_read (as on_syscall)",
        "batch": "what-if: bare hook + Uc.reg_read_batch",
        "raw": "what-if: bare hook + raw ctypes uc_reg_read_batch",
        "usercopy": "SimpleOS copy_from_user(64 bytes): page walk + read",
    }
    m = {name: median(values) for name, values in samples.items()}
    result = Result("syscall", "Null system call round trips (getpid loop vs bare unicorn)")
    result.rows = [Row(labels[name], m[name], "calls/s", values) for name, values in samples.items()]
    result.ratios = [
        Ratio("SimpleOS / bare syscall hook", paired_ratio(samples["simpleos"], samples["bare"]), ">= 0.5"),
        Ratio("bare + 7x Uc.reg_read / bare", paired_ratio(samples["each"], samples["bare"]),
              note="the register reads alone"),
        Ratio("bare + Uc.reg_read_batch / bare", paired_ratio(samples["batch"], samples["bare"])),
        Ratio("bare + raw uc_reg_read_batch / bare", paired_ratio(samples["raw"], samples["bare"])),
    ]
    result.notes.append(f"{calls:,} calls per run, median of {repetitions} interleaved repetitions; "
                        f"per call: SimpleOS {1e6 / m['simpleos']:.1f} us, bare {1e6 / m['bare']:.1f} us, "
                        f"one 64-byte copy_from_user {1e6 / m['usercopy']:.1f} us")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
