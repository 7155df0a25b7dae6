"""Render a channel file for people: the header, then every instance and its criteria.

Plain text (deterministic, golden-tested) when the output is not a terminal;
a rich Table per instance when it is, with the criteria that test something
highlighted. Most criteria of a real file are wildcards (`*`, match
anything): with wildcards=False only the others are listed, and a line per
instance says how many were left out. Must NOT parse or validate: it shows
a ChannelFile it is given, whatever its content.
"""
from __future__ import annotations

import sys
import zlib
from typing import TextIO

from .format import HEADER_SIZE, KIND_INT_EQUALS, MAGIC, STRING_KINDS, ChannelFile, Criterion, serialize_body
from .templates import template_type

COLUMNS = ("field", "index", "name", "kind", "value")


def header_rows(cf: ChannelFile) -> list[tuple[str, str]]:
    """(label, value) pairs for the header, including the derived size and CRC."""
    body = serialize_body(cf.instances)
    ttype = template_type(cf.template_type)
    return [
        ("magic", f"0x{MAGIC:08X}"),
        ("format_version", str(cf.format_version)),
        ("channel", str(cf.channel)),
        ("template_type", f"{cf.template_type} ({ttype.name if ttype else 'unknown'})"),
        ("field_count", str(cf.field_count)),
        ("instance_count", str(cf.instance_count)),
        ("content_version", str(cf.content_version)),
        ("body_size", f"{len(body)} (file size {HEADER_SIZE + len(body)})"),
        ("body_crc32", f"0x{zlib.crc32(body):08x}"),
    ]


def criterion_rows(cf: ChannelFile, criteria: tuple[Criterion, ...]) -> list[tuple[str, str, str, str, str]]:
    """One (field, index, name, kind, value) row per criterion, wildcards included."""
    ttype = template_type(cf.template_type)
    rows = []
    for index, criterion in enumerate(criteria):
        field = ttype.field(index) if ttype else None
        name = field.name if field else "(not declared)"
        rows.append((str(index + 1), str(index), name, criterion.kind_name, format_value(criterion)))
    return rows


def format_value(criterion: Criterion) -> str:
    """A criterion's value for display: "*", a quoted string, or "n (0xn)"."""
    if criterion.kind in STRING_KINDS:
        return '"' + _printable(criterion.value) + '"'
    if criterion.kind == KIND_INT_EQUALS and len(criterion.value) == 8:
        return f"{criterion.int_value} (0x{criterion.int_value:x})"
    return "*" if not criterion.value else criterion.value.hex(" ")


def _printable(value: bytes) -> str:
    """UTF-8 text with control characters and undecodable bytes shown as \\xNN."""
    text = value.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def is_wildcard(row: tuple[str, ...]) -> bool:
    """Is this criterion row a wildcard (it matches anything)?"""
    return row[3] == "wildcard"


def shown_rows(cf: ChannelFile, criteria: tuple[Criterion, ...], wildcards: bool) -> tuple[list, int]:
    """The criterion rows to show (all, or only those that are not wildcards) and how many were left out."""
    rows = criterion_rows(cf, criteria)
    shown = rows if wildcards else [row for row in rows if not is_wildcard(row)]
    return shown, len(rows) - len(shown)


def hidden_note(hidden: int, shown: int) -> str:
    """The line that says how many wildcard criteria were left out."""
    which = f"{hidden} more criteria are" if shown else f"all {hidden} criteria are"
    return f"({which} wildcards, *; --all lists them)"


def render_plain(cf: ChannelFile, title: str | None = None, wildcards: bool = True) -> str:
    """Deterministic plain-text rendering (ends with a newline); wildcards=False leaves them out."""
    lines = [f"channel file {title}", ""] if title else []
    lines += [f"{label:<16} {value}" for label, value in header_rows(cf)]
    for instance in cf.instances:
        lines += ["", f"instance {instance.instance_id}  action {instance.action_name}  "
                      f"criteria {instance.criteria_count}"]
        shown, hidden = shown_rows(cf, instance.criteria, wildcards)
        rows = [COLUMNS] + shown
        widths = [max(len(row[col]) for row in rows) for col in range(len(COLUMNS) - 1)]
        for row in rows if shown or not hidden else []:
            cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
            lines.append("  " + "  ".join(cells).rstrip())
        if hidden:
            lines.append("  " + hidden_note(hidden, len(shown)))
    return "\n".join(lines) + "\n"


def print_rich(cf: ChannelFile, title: str | None = None, out: TextIO | None = None, wildcards: bool = True) -> None:
    """Print with rich: a header grid, then one table per instance (criteria that are not
    wildcards in bold yellow, wildcards dim -- or left out with wildcards=False)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out or sys.stdout, highlight=False)
    header = Table(title=Text(f"channel file {title}" if title else "channel file"), show_header=False, box=None)
    for label, value in header_rows(cf):
        header.add_row(Text(label, style="bold"), Text(value))
    console.print(header)
    for instance in cf.instances:
        style = "bold red" if instance.action_name == "deny" else "bold"
        table = Table(title=Text(f"instance {instance.instance_id}  action {instance.action_name}", style=style))
        for column in COLUMNS:
            table.add_column(column, justify="right" if column in ("field", "index") else "left")
        shown, hidden = shown_rows(cf, instance.criteria, wildcards)
        for row in shown:
            style = "dim" if is_wildcard(row) else "bold yellow"
            table.add_row(*(Text(cell, style=style) for cell in row))
        if hidden:
            table.caption = hidden_note(hidden, len(shown))
        console.print(table)


def print_channel_file(cf: ChannelFile, title: str | None = None, out: TextIO | None = None,
                       wildcards: bool = True) -> None:
    """Print cf to out (stdout): rich on a terminal, plain text otherwise."""
    out = out or sys.stdout
    is_terminal = getattr(out, "isatty", lambda: False)()
    if is_terminal:
        print_rich(cf, title, out, wildcards)
    else:
        out.write(render_plain(cf, title, wildcards))
