"""The memory a crash dump keeps: enough to debug the crash afterwards, kilobytes not the RAM.

A minidump, not a full memory dump. capture_memory() keeps the pages a
post-mortem debugger (`simpleos debug --dump`) needs to answer `bt`, `x`
and `telescope` at the fault:

  the faulting module       its text and data pages (code for `x/i` and the
                            call checks of `bt`, its variables)
  the stack around RSP      the page holding RSP and the one above it
  the sensor's inputs       the page(s) holding the inputs array, and the
  and content               channel files it had loaded (content_files[]
                            and the content area up to the last file)

Each run of adjacent pages is one chunk, zlib-compressed and base64-encoded
(the sensor's 19 pages, mostly zeros, take about 2 KB). capture_ranges()
records the address space's mapped ranges and their rights from the page
tables, so the dump can show a memory map. Reads memory only, through the
page tables of the address space the CPU was in.
"""
from __future__ import annotations

import base64
import zlib

from ..machine import pagemap
from ..machine.layout import PAGE_SIZE

STACK_PAGES = 2                 # the page holding RSP and the one above it (the callers' frames)
MAX_PAGES = 64                  # never more than 256 KiB of memory in one dump, before compression


def capture_memory(kernel, space, rip: int, rsp: int, sensor_context: dict | None) -> list[dict]:
    """[{address, size, zlib}] chunks of the pages a post-mortem needs (see the module docstring)."""
    pages: set[int] = set()
    module = kernel.module_at(rip)
    if module is not None:
        pages |= _pages(module.image.base, len(module.image.code))
    pages |= _pages(rsp & ~(PAGE_SIZE - 1), STACK_PAGES * PAGE_SIZE)
    sensor = kernel.sensor
    if sensor_context and sensor is not None and sensor.process is not None and sensor.process.ring == 0:
        symbols = sensor.process.image.symbols
        if "ipc_context" in symbols and "ipc_event_handle" in symbols:
            pages |= _pages(symbols["ipc_context"], symbols["ipc_event_handle"] + 8 - symbols["ipc_context"])
        if "content_area" in symbols and "content_files" in symbols:
            pages |= _pages(symbols["content_files"], 8)
            loaded = sum((len(data) + 7) & ~7 for _, data in sensor.content)
            pages |= _pages(symbols["content_area"], max(1, loaded))
    readable = sorted(page for page in pages if space.translate(page) is not None)[:MAX_PAGES]
    return [_chunk(kernel.machine.memory, space, start, size) for start, size in _runs(readable)]


def capture_ranges(space) -> list[dict]:
    """The mapped ranges of `space`: [{start, end, rights}] with rights like '-rw-' / 'ur-x'."""
    return [{"start": r.start, "end": r.end,
             "rights": ("u" if r.user else "-") + "r" + ("w" if r.writable else "-") + ("x" if r.executable else "-")}
            for r in pagemap.ranges(space)]


def _pages(address: int, length: int) -> set[int]:
    """The page addresses [address, address + length) touches."""
    first, last = address & ~(PAGE_SIZE - 1), (address + max(length, 1) - 1) & ~(PAGE_SIZE - 1)
    return set(range(first, last + PAGE_SIZE, PAGE_SIZE))


def _runs(pages: list[int]) -> list[tuple[int, int]]:
    """(start, size) per run of adjacent pages."""
    runs: list[tuple[int, int]] = []
    for page in pages:
        if runs and runs[-1][0] + runs[-1][1] == page:
            runs[-1] = (runs[-1][0], runs[-1][1] + PAGE_SIZE)
        else:
            runs.append((page, PAGE_SIZE))
    return runs


def _chunk(memory, space, start: int, size: int) -> dict:
    """One chunk: the pages' bytes (each page translated on its own), compressed."""
    data = b"".join(memory.read(space.translate(page), PAGE_SIZE) for page in range(start, start + size, PAGE_SIZE))
    return {"address": start, "size": size, "zlib": base64.b64encode(zlib.compress(data, 9)).decode("ascii")}
