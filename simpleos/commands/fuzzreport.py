"""What `simpleos fuzz` prints: the header, the live status line, the crash report.

The status line is rich's Live display on stderr, and only when stderr is a
terminal: execs/s, edges, corpus, crashes, time since the last new edge. The
report is plain text on stdout, one block per unique crash, with the one
line that says why the template validator let a crash through. Formats
results; must NOT run the fuzzer.
"""
from __future__ import annotations

import sys

from ..fuzz.reproduce import reproduce_command



def print_header(campaign, args) -> None:
    """One line: what is fuzzed, from what, for how long."""
    budget = f"{args.execs:,} executions" if args.execs else f"{args.seconds or 30:g} s"
    seeds = ", ".join(seed.name for seed in campaign.seeds)
    events = ", ".join(item.label for item in campaign.harness.workload)
    print(f"fuzzing {campaign.harness.manifest.name} ({campaign.harness.build} build) from {seeds}: {budget}, "
          f"seed {args.seed}", flush=True)
    print(f"each input is judged against the boot's events of its template type: {events}", flush=True)


class StatusLine:
    """A live one-line status on a terminal (nothing otherwise)."""

    def __init__(self, enabled: bool = True) -> None:
        self._live = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.live import Live
            self._live = Live(console=Console(stderr=True), transient=True, auto_refresh=False)

    def __enter__(self) -> "StatusLine":
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc) -> bool:
        if self._live is not None:
            self._live.stop()
        return False

    def update(self, status) -> None:
        """Show the campaign's latest Status."""
        if self._live is None:
            return
        from rich.text import Text
        line = Text.assemble(
            ("execs ", "dim"), f"{status.execs:,}", ("  ", ""), f"{status.rate:,.0f}/s",
            ("  edges ", "dim"), f"{status.edges}", ("  corpus ", "dim"), f"{status.corpus}",
            ("  crashes ", "dim"), (f"{status.crashes}", "bold red" if status.crashes else ""),
            ("  last new edge ", "dim"), f"{status.since_new_edge:.1f} s ago")
        self._live.update(line, refresh=True)


def print_report(result) -> None:
    """Every unique crash, then the summary line."""
    for number, crash in enumerate(result.crashes, 1):
        for line in crash_block(number, crash, result.build):
            print(line)
        print()
    gaps = sum(1 for crash in result.crashes if crash.template_valid)
    bugs = sum(1 for crash in result.crashes if crash.validator_bug)
    summary = (f"summary: {result.execs:,} execs in {result.seconds:.1f} s ({result.rate:,.0f}/s), "
               f"{result.edges} edges, corpus {result.corpus}, {len(result.crashes)} unique "
               f"crash{'es' if len(result.crashes) != 1 else ''}")
    if gaps:
        summary += f" ({gaps} pass{'es' if gaps == 1 else ''} template validation: the July 2024 gap)"
    elif result.crashes:
        summary += " (none passes template validation)"
    print(summary)
    if bugs:
        print(f"*** {bugs} VALIDATOR BUG{'S' if bugs != 1 else ''}: crashes that pass template AND ABI "
              f"validation (marked above)")


def crash_block(number: int, crash, build: str) -> list[str]:
    """The lines of one crash."""
    fault = crash.fault
    where = f"{fault.name} at {fault.symbol} ({fault.rip:#x})"
    if fault.address is not None:
        where += f", address {fault.address:#x}"
    lines = [f"crash {number}  {crash.file or crash.name}  after {crash.execs:,} execs ({crash.seconds:.2f} s), "
             f"{crash.hits:,} hit{'s' if crash.hits != 1 else ''}",
             f"  fault:     {where} -- {fault.bucket}"]
    lines += [f"  {'triage:' if i == 0 else '':<10} {line}" for i, line in enumerate(crash.explanation)]
    verdict = (f"template {'PASS' if crash.template_valid else 'fail'}, "
               f"ABI {'PASS' if crash.abi_valid else 'fail'}")
    if crash.validator_bug:
        verdict += "  *** VALIDATOR BUG: both validators accept a file that crashes the sensor ***"
    elif crash.template_valid:
        verdict += " -- the July 2024 gap: the Content Validator would have shipped it"
    lines.append(f"  validate:  {verdict}")
    if crash.why:
        lines.append(f"  why:       {crash.why}")
    elif crash.refused_by:
        lines.append(f"  refused:   {crash.refused_by}")
    lines.append(f"  minimised: {len(crash.found):,} -> {len(crash.data):,} bytes")
    if crash.file:
        check = ""
        if crash.reproduction is not None:
            r = crash.reproduction
            if not r.in_sensor:
                check = f"  (booted: {r.outcome}, no bugcheck in the sensor)"
            elif r.same_fault(crash.fault.rip):
                check = f"  (booted: {r.stop} in {r.where})"
            else:
                check = (f"  (booted: {r.stop} in {r.where}, another instruction: a boot also loads the shipped "
                         f"content after this file and delivers all its events)")
        lines.append(f"  reproduce: {reproduce_command(crash.file, build)}{check}")
    return lines
