"""`simpleos fuzz`: executions per second, time to the first CF291 crash, and the fixed build.

  fuzzer     Campaign.run from C-00000291-good.sys (original build): mutate,
             restore the snapshot (registers + dirty pages), run the real
             sensor on 4 boot events (those of the file's template type),
             edge coverage from the native block hook, corpus and crash
             bookkeeping -- everything but the final minimisation and boots
  harness    SensorHarness.run of the unmutated good file, coverage on: the
             machine's part of one execution
             (reported per wall second, and per second of CPU time: the speed
             of one core, even when another process shares it)
  bare       bare unicorn, the floor of any Python-over-unicorn fuzzer: per
             execution one context_restore, one mem_write of the input and
             one emu_start of a 6-instruction stub that reads it (no paging,
             no hooks)
  bare + Python block hook   the same with an edge-counting block hook in
             Python: what the fuzzer would pay without machine/_edges.c (per
             block, so the stub runs a 30-block loop)

Then, not interleaved: the time and executions to the first crash that
passes template validation (the July 2024 gap) from the good file, for
seeds 0..9 (aim: 10 s), and a campaign of 60 s (5 s with --quick) against
`--sensor-build fixed` (aim: no such crash; the crashes it does find are
listed by bucket -- all refused by template validation).
"""
from __future__ import annotations

import statistics
import time

from _common import REPO, Ratio, Result, Row, assemble_bare, interleave, median, paired_ratio

GOOD = REPO / "channel_files" / "C-00000291-good.sys"
STUB = """
    mov rax, [rdi]
    add rax, 1
    mov [rdi + 8], rax
    xor eax, eax
    mov rcx, rax
    nop
"""
LOOP = """
    mov ecx, 30
loop_top:
    add rax, rcx
    dec ecx
    jnz loop_top
"""
BASE, DATA = 0x100000, 0x200000


def _bare_sampler(execs: int, block_hook: bool):
    """executions/s of the bare-unicorn floor (optionally with a Python block hook)."""
    from unicorn import UC_ARCH_X86, UC_HOOK_BLOCK, UC_MODE_64, Uc
    from unicorn import x86_const as X
    code = assemble_bare(STUB + (LOOP if block_hook else ""), BASE)
    data = GOOD.read_bytes()

    def sample() -> float:
        uc = Uc(UC_ARCH_X86, UC_MODE_64)
        uc.mem_map(BASE, 0x1000)
        uc.mem_map(DATA, 0x10000)
        uc.mem_write(BASE, code)
        uc.reg_write(X.UC_X86_REG_RDI, DATA)
        if block_hook:
            edges = bytearray(1 << 12)
            state = [0]

            def on_block(uc, address, size, user_data):
                current = (address * 0x9E3779B97F4A7C15 >> 32) & 0xFFF
                edges[current ^ state[0]] = min(255, edges[current ^ state[0]] + 1)
                state[0] = current >> 1
            uc.hook_add(UC_HOOK_BLOCK, on_block)
        context = uc.context_save()
        start = time.perf_counter()
        for _ in range(execs):
            uc.context_restore(context)
            uc.mem_write(DATA, data)
            uc.emu_start(BASE, BASE + len(code))
        return execs / (time.perf_counter() - start)
    return sample


def _fuzzer_sampler(execs: int, build: str, cpu_rates: list[float]):
    """executions per wall second of a campaign from the good file; appends the executions
    per second of CPU time (what one core does when it is not shared) to `cpu_rates`."""
    from simpleos.fuzz import Campaign, load_seed
    seeds = [load_seed(GOOD)]

    def sample() -> float:
        campaign = Campaign(seeds, build, seed=1)
        cpu = time.process_time()
        result = campaign.run(execs=execs)
        cpu_rates.append(result.execs / (time.process_time() - cpu))
        return result.execs / result.seconds
    return sample


def _harness_sampler(execs: int):
    """executions/s of the harness alone on the good file (coverage on)."""
    from simpleos.fuzz.harness import SensorHarness
    harness = SensorHarness("original")
    harness.enable_coverage()
    data = GOOD.read_bytes()

    def sample() -> float:
        start = time.perf_counter()
        for _ in range(execs):
            harness.run(data)
        return execs / (time.perf_counter() - start)
    return sample


def first_gap_crash(seed: int, limit: float) -> tuple[float, int] | None:
    """(seconds, executions) to the first crash that passes template validation, or None."""
    from simpleos.fuzz import Campaign, load_seed
    campaign = Campaign([load_seed(GOOD)], "original", seed=seed)
    result = campaign.run(seconds=limit, stop_when=lambda crash: crash.template_valid)
    gap = [crash for crash in campaign.crashes.values() if crash.template_valid]
    return (gap[0].seconds, gap[0].execs) if gap else None


def fixed_campaign(seconds: float):
    """A time-budgeted campaign against the fixed build: (result, crashes by verdict)."""
    from simpleos.fuzz import Campaign, load_seed
    campaign = Campaign([load_seed(GOOD)], "fixed", seed=0)
    result = campaign.run(seconds=seconds)
    return result, list(campaign.crashes.values())


def run(quick: bool = False) -> Result:
    """Fuzzer speed against bare unicorn; time to the first CF291 crash; the fixed build."""
    repetitions = 3 if quick else 7
    execs = 3_000 if quick else 10_000
    bare_execs = 20_000 if quick else 50_000
    cpu_rates: dict[str, list[float]] = {"original": [], "fixed": []}
    samples = interleave({"fuzzer": _fuzzer_sampler(execs, "original", cpu_rates["original"]),
                          "fuzzer-fixed": _fuzzer_sampler(execs, "fixed", cpu_rates["fixed"]),
                          "harness": _harness_sampler(execs),
                          "bare": _bare_sampler(bare_execs, False),
                          "bare-hook": _bare_sampler(bare_execs // 5, True)}, repetitions)
    m = {name: median(values) for name, values in samples.items()}
    labels = {
        "fuzzer": "fuzzer, original build, from the good file",
        "fuzzer-fixed": "fuzzer, fixed build, from the good file",
        "harness": "harness alone: the good file, coverage on",
        "bare": "bare unicorn floor: restore + write input + run a stub",
        "bare-hook": "bare floor + Python block hook, 30-block loop",
    }
    result = Result("fuzz", "simpleos fuzz: executions per second, first CF291 crash, fixed build")
    result.rows = [Row(labels[name], m[name], "execs/s", values) for name, values in samples.items()]
    result.rows += [Row(f"fuzzer, {build} build, per second of CPU time", median(values), "execs/s", values)
                    for build, values in cpu_rates.items()]
    cpu = median(cpu_rates["original"])
    result.ratios = [
        Ratio("fuzzer execs per CPU second / 5,000 (issue 14's aim)", cpu / 5_000, ">= 1.0",
              note="one core's worth, whatever else shares the host"),
        Ratio("fuzzer execs per wall second / 5,000", m["fuzzer"] / 5_000, ">= 1.0",
              note="absolute: moves with the host and its load"),
        Ratio("fuzzer / bare unicorn floor", paired_ratio(samples["fuzzer"], samples["bare"]),
              note="the price of the real sensor, 4 events, coverage, mutation"),
        Ratio("harness / bare unicorn floor", paired_ratio(samples["harness"], samples["bare"])),
        Ratio("bare + Python block hook / bare floor", paired_ratio(samples["bare-hook"], samples["bare"]),
              note="why the edge hook is C"),
    ]
    limit = 10.0
    firsts = [first_gap_crash(seed, limit) for seed in range(10)]
    found = [f for f in firsts if f is not None]
    if found:
        seconds = [f[0] for f in found]
        result.ratios.append(Ratio("first template-valid crash, worst of 10 seeds / 10 s", max(seconds) / limit,
                                   "<= 1.0", note=f"median {statistics.median(seconds):.2f} s, "
                                                  f"{statistics.median(f[1] for f in found):,.0f} execs"))
    result.notes.append(f"first crash passing template validation, seeds 0-9: "
                        + ", ".join("none" if f is None else f"{f[0]:.2f} s/{f[1]:,}" for f in firsts))
    fixed_seconds = 5.0 if quick else 60.0
    fixed, crashes = fixed_campaign(fixed_seconds)
    valid = [crash for crash in crashes if crash.template_valid]
    result.ratios.append(Ratio(f"fixed build, {fixed_seconds:g} s: crashes passing template validation",
                               float(len(valid)), "<= 0", note=f"{fixed.execs:,} execs, {fixed.rate:,.0f}/s"))
    buckets = sorted({(crash.fault.bucket, crash.verdicts.parse_error is None) for crash in crashes})
    result.notes.append(f"fixed build, {fixed_seconds:g} s: {len(crashes)} unique crashes, all refused by "
                        f"{'parsing or ' if any(not p for _, p in buckets) else ''}template validation: "
                        + ", ".join(sorted({b for b, _ in buckets})))
    result.notes.append(f"{execs:,} executions per fuzzer sample, {bare_execs:,} per bare sample; median of "
                        f"{repetitions} interleaved repetitions")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
