"""`page ADDR`: walk the page tables for one address and say who may touch it, and why not.

For each level (PML4, PDPT, PD, PT) it shows the table, the index, the
entry and its flags; then, for every kind of access (user/kernel x
read/write/execute), whether the MMU allows it, and if not, which bit of
which level forbids it -- the same rules the emulated MMU enforces (CR0.WP
on, EFER.NXE on). Explains; never changes a page table.
"""
from __future__ import annotations

from ..machine.paging import NO_EXECUTE, PRESENT, USER, WRITABLE, PageWalk, describe_flags

ACCESSES = [("user", "read"), ("user", "write"), ("user", "execute"),
            ("kernel", "read"), ("kernel", "write"), ("kernel", "execute")]


def why_not(walk: PageWalk, who: str, what: str) -> str | None:
    """Why the MMU refuses this access (None if it allows it)."""
    for step in walk.steps:
        if not step.entry & PRESENT:
            return f"page not present ({step.level} entry {step.index} is empty)"
    for step in walk.steps:
        if who == "user" and not step.entry & USER:
            return f"supervisor-only page (U/S clear in the {step.level} entry): ring 3 may not touch it"
        if what == "write" and not step.entry & WRITABLE:
            return f"read-only page (R/W clear in the {step.level} entry; CR0.WP applies to ring 0 too)"
        if what == "execute" and step.entry & NO_EXECUTE:
            return f"no-execute page (NX set in the {step.level} entry)"
    return None


def walk_lines(space, address: int) -> list[str]:
    """The page walk of `address` in `space`, level by level, then the verdict per access."""
    walk = space.walk(address)
    lines = [f"page walk for {address:#x} (cr3 {space.root:#x})"]
    for step in walk.steps:
        lines.append(f"  {step.level:<4} table {step.table:#010x} [{step.index:3}] = {step.entry:#018x}  "
                     f"{describe_flags(step.entry)}")
    if walk.present:
        lines.append(f"  -> physical {walk.physical:#x}  (user {'yes' if walk.user else 'no'}, "
                     f"writable {'yes' if walk.writable else 'no'}, executable {'yes' if walk.executable else 'no'})")
    else:
        lines.append("  -> not mapped: every access faults (#PF, 'page not present')")
    for who, what in ACCESSES:
        reason = why_not(walk, who, what)
        lines.append(f"  {who:<6} {what:<7}: " + ("ok" if reason is None else f"#PF -- {reason}"))
    return lines
