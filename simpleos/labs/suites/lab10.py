"""Lab 10 visible tests: observations of the rootkit under two models, and view 3 of the cross-view scan.

Part one checks labs/lab10/observations.toml against the workspace itself: the
grader boots it with the rootkit under monolithic and microkernel for the JSON's
hidden_found, and runs its debugger to read the sensor's import_process_tables
slot. Part two checks the scan: the deep rootkit (out of the list and the run
queue) must be found through the address-space roots at ring 0, the plain one
still through the run queue, nothing else ever reported, and ring 3 stays blind.
The hidden tests try the other ring-0 model, the fixed build and other roles.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

import re

from ..gradelib import Suite, count_lines, expect, expect_equal, expect_fields
from ..tomlfile import read_toml

tests = Suite(10)
FILE = "labs/lab10/observations.toml"
MODELS = ("monolithic", "microkernel")
SLOT = re.compile(r"<sensor\.sys!import_process_tables>:\s+(0x[0-9a-f]+)")
CROSS_VIEW = re.compile(r"sensor: cross-view: pid (\d+) (\S+) is in (the run queue|the address-space roots) "
                        r"but not on the process list: a hidden process$")


def observations(ctx) -> dict:
    """The student's observations, every key present with the right type (Failed otherwise)."""
    doc = read_toml(ctx.workspace_file(FILE), FILE)
    for model in MODELS:
        section = doc.get(model)
        expect(isinstance(section, dict), f"{FILE}: expected a [{model}] table")
        found = section.get("hidden_found")
        expect(isinstance(found, list) and all(isinstance(name, str) and name != "?" for name in found),
               f"{FILE}: {model}.hidden_found: expected a list of process names, got {found!r}")
        value = section.get("process_tables")
        expect(isinstance(value, int) and not isinstance(value, bool) and value >= 0,
               f"{FILE}: {model}.process_tables: expected a number (0x... is fine), got {value!r}")
    pid = (doc.get("hidden") or {}).get("pid")
    expect(isinstance(pid, int) and not isinstance(pid, bool) and pid > 0,
           f"{FILE}: hidden.pid: expected a pid, got {pid!r}")
    return doc


def hidden_found(ctx, *argv) -> list:
    """sensor.hidden_found of a fresh boot of the workspace (it must come up)."""
    doc = ctx.boot_json(*argv)
    expect_fields(doc, f"boot {' '.join(argv)} --json", verdict="up")
    return doc["sensor"].get("hidden_found")


def cross_view_lines(ctx, *argv) -> list[tuple[str, str, str]]:
    """(pid, name, view) of every cross-view report in a fresh boot's log."""
    from ..gradelib import log_lines
    log = ctx.boot_log(*argv).stdout
    return [match.groups() for line in log_lines(log) if (match := CROSS_VIEW.match(line))]


def import_slot(ctx, model: str) -> int:
    """What the workspace's kernel bound into the sensor's import_process_tables, as its debugger shows it."""
    script = ctx.write(f"slot-{model}.sdb", "break cross_view_scan\ncontinue\nx/gx import_process_tables\nquit\n")
    result = ctx.simpleos("debug", "--machine", ctx.machine(), "--fresh", "--rootkit", "--model", model,
                          "--script", str(script))
    match = SLOT.search(result.stdout)
    expect(match is not None, f"debug --rootkit --model {model}: expected `x/gx import_process_tables` to show "
                              f"the slot at the first stop in cross_view_scan")
    return int(match.group(1), 16)


@tests.test(4, "observations.toml is complete", part="observations")
def complete(ctx):
    observations(ctx)


@tests.test(6, "hidden_found, as the JSON says it", part="observations", parent=complete)
def observed_json(ctx):
    doc = observations(ctx)
    for model in MODELS:
        expect_equal(doc[model]["hidden_found"], hidden_found(ctx, "--rootkit", "--model", model),
                     f"{FILE} {model}.hidden_found (boot --rootkit --model {model} --json)")


@tests.test(5, "the import slot and the pid, as the debugger shows them", part="observations", parent=complete)
def observed_debugger(ctx):
    doc = observations(ctx)
    for model in MODELS:
        expect_equal(doc[model]["process_tables"], import_slot(ctx, model),
                     f"{FILE} {model}.process_tables (x/gx import_process_tables)")
    reported = {pid for pid, _, _ in cross_view_lines(ctx, "--rootkit")}
    expect_equal({str(doc["hidden"]["pid"])}, reported, f"{FILE} hidden.pid (the boot log's cross-view line)")


@tests.test(5, "the sensor with the scan boots with the deep rootkit", part="view 3")
def deep_boots(ctx):
    doc = ctx.boot_json("--rootkit", "deep")
    expect_fields(doc, "boot --rootkit deep --json", verdict="up")
    expect_equal(doc["sensor"]["crashes"], 0, "sensor crashes")


@tests.test(10, "the deep rootkit: found through the address-space roots", part="view 3", parent=deep_boots)
def deep_found(ctx):
    expect_equal(hidden_found(ctx, "--rootkit", "deep"), ["beacon"], "monolithic --rootkit deep hidden_found")
    lines = cross_view_lines(ctx, "--rootkit", "deep")
    expect(any(view == "the address-space roots" and name == "beacon" for _, name, view in lines),
           f"boot --rootkit deep: expected a cross-view line for beacon in the address-space roots, got {lines}")
    expect(all(name == "beacon" for _, name, _ in lines), f"boot --rootkit deep: only beacon is hidden, got {lines}")


@tests.test(5, "the plain rootkit: still found through the run queue", part="view 3", parent=deep_boots)
def plain_found(ctx):
    expect_equal(hidden_found(ctx, "--rootkit"), ["beacon"], "monolithic --rootkit hidden_found")
    lines = cross_view_lines(ctx, "--rootkit")
    expect_equal([(name, view) for _, name, view in lines], [("beacon", "the run queue")],
                 "boot --rootkit: the cross-view lines")


@tests.test(5, "a ring-3 sensor stays blind", part="view 3", parent=deep_boots)
def ring_3_blind(ctx):
    for build in ("unlink", "deep"):
        expect_equal(hidden_found(ctx, "--rootkit", build, "--model", "microkernel"), [],
                     f"microkernel --rootkit {build} hidden_found")
    expect_equal(count_lines(ctx.boot_log("--rootkit", "deep", "--model", "microkernel").stdout,
                             "beacon: could not open its C2 pipe (blocked)"), 3, "beacon pipes blocked")


tests.manual(10, "question (a)", "why the ring-0 sensor sees it and the ring-3 one cannot: the import slot, "
                                 "process_list, and what it walks")
tests.manual(10, "question (b)", "could events alone catch it; what the sensor would keep; what the rootkit still controls")
tests.manual(10, "question (c)", "a third technique against view 3, what to compare next, and why user space is behind")
