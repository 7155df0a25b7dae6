"""The toolchain: assemble guest x86-64 source with keystone, keep its symbols.

Our dialect is Intel syntax as keystone reads it, one instruction per line,
with `;` comments, plus two directives of our own: a line `.data` ends the
text and starts the data on a fresh page (so the loader can map text
read-only+executable and data read/write+NX), and `.include "file"`.
Keystone prints no symbol table and no listing, so every label's address is
read back from a table of `.quad label` appended to the source -- and so is
the line table (address -> file:line): an internal label is put before each
source line that emits code, and read back the same way (labels emit no
bytes; tests/debug_source checks the code is byte-identical without them).
A label inside a false `.if` block is not defined, so it is not a symbol: the
table asks `.ifdef`. Results are cached on the host (keyed by source, base
address and defines), line table included, so a boot does not re-assemble.
Errors name the source line -- every failing line, one per
line of the message, as `file:line: reason: text`. This module does not
load or run anything.
"""
from __future__ import annotations

import json
import os
import re
from functools import cached_property, lru_cache
from pathlib import Path

from .digest import sha256
from .errors import BadInput
from .hostfiles import read_text_file
from .record import dataclass, field
from .sourcelines import LineRow, LineTable, SourceOrigin, assembled_line_table, origin_parts

MAX_SOURCE_BYTES = 1 << 20      # an assembly source (each included file too)
MAX_REPORTED_ERRORS = 20        # assembly errors listed before giving up
_LABEL = re.compile(r"^\s*([A-Za-z_][\w.$]*)\s*:(?!:)")
_ANY_LABEL = re.compile(r"^\s*([.A-Za-z_][\w.$]*)\s*:(?!:)")      # .L labels too
_DATA_DIRECTIVE = re.compile(r"^\s*\.data\s*(?:[#;].*)?$")
_INCLUDE = re.compile(r'^\s*\.include\s+"([^"]+)"\s*(?:[#;].*)?$')
_LEADING_LABELS = re.compile(r"^\s*(?:[.A-Za-z_][\w.$]*\s*:(?!:)\s*)*")
_ASSIGNMENT = re.compile(r"^[.A-Za-z_$][\w.$]*\s*=")
# Directives that emit bytes: their lines get a line-table row. (Other directives -- .equ,
# .if, .balign, ... -- and label-only lines emit none of their own.)
_EMITTING = {".byte", ".word", ".short", ".value", ".long", ".int", ".quad", ".octa", ".ascii", ".asciz",
             ".string", ".space", ".skip", ".zero", ".fill", ".2byte", ".4byte", ".8byte", ".float", ".double"}
_NOT_ASSEMBLED = (1 << 64) - 1      # the table value of a label (or a line) that a false .if left out
# The cache key includes this file's own text: a change to the assembler
# (padding, directives) must never be hidden by results cached before it.
_CACHE_VERSION = sha256(Path(__file__).read_bytes()).hexdigest()[:16]


class AssemblyError(BadInput):
    """The source does not assemble; the message names the file and line."""


@dataclass
class Image:
    """An assembled program: bytes to map at `base`, text first, then data."""
    name: str
    base: int
    code: bytes
    data_offset: int                       # bytes before this are text
    symbols: dict[str, int] = field(default_factory=dict)
    text_end: int | None = None            # where the instructions end (then int3 padding); None: data_offset
    line_rows: list = field(default_factory=list)   # (address, path, line) per source line of code

    @cached_property
    def line_table(self) -> LineTable:
        """Address -> source file:line for the code (sourcelines.LineTable)."""
        end = self.base + (self.text_end if self.text_end is not None else self.data_offset)
        return assembled_line_table(self.line_rows, end)

    def source_line(self, address: int) -> LineRow | None:
        """The source file and line of the code at `address`, if the line table knows it."""
        return self.line_table.line_at(address)

    @property
    def entry(self) -> int:
        """Where execution starts: the `_start` label, else the first byte."""
        return self.symbols.get("_start", self.base)

    @property
    def text(self) -> bytes:
        """The executable part."""
        return self.code[:self.data_offset]

    @property
    def data(self) -> bytes:
        """The read/write part."""
        return self.code[self.data_offset:]

    def symbol_at(self, address: int) -> tuple[str, int] | None:
        """The nearest label at or before `address`, and the offset from it."""
        if not self.base <= address < self.base + len(self.code):
            return None
        return nearest_symbol(self.symbols, address)

    def in_padding(self, address: int) -> bool:
        """Is `address` in the int3 padding after the last instruction -- up to the data, or to
        the end of the text's last page (PhysicalMemory.write_code pads it with int3)?"""
        end = self.base + (self.text_end if self.text_end is not None else self.data_offset)
        return end <= address < self.base + ((self.data_offset + 0xFFF) & ~0xFFF)


def nearest_symbol(symbols: dict[str, int], address: int) -> tuple[str, int] | None:
    """(label, offset) of the nearest label at or before `address`, or None if every label is
    above it. Where several labels share an address (`_start:` then `sensor_main:`), the one
    written last -- nearest the code -- names it (`symbols` is in source order); the others
    are aliases. The one symbol lookup of SimpleOS: the kernel, both debuggers (the gdb
    symbol file sizes only this name) and crash-dump analysis all name addresses with it."""
    best = None
    for name, value in symbols.items():
        if value <= address and (best is None or value >= best[1]):
            best = (name, value)
    return (best[0], address - best[1]) if best else None


def cache_dir(kind: str = "asm") -> Path:
    """The host folder where SimpleOS keeps what it can make again (assembled images: "asm")."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "simpleos" / kind


_memory_cache: dict[str, Image] = {}


@lru_cache(maxsize=1)
def _keystone():
    """The keystone x86-64 assembler, loaded on first use: a boot whose images are all in the
    cache never needs it (importing keystone and making its engine cost ~12 ms)."""
    from keystone import KS_ARCH_X86, KS_MODE_64, Ks
    return Ks(KS_ARCH_X86, KS_MODE_64)


def _keystone_error():
    """keystone's exception class (imported with keystone)."""
    from keystone import KsError
    return KsError


def strip_comment(line: str) -> str:
    """Drop a `;` comment (Intel style; keystone would read `;` as a statement separator)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == "\\":
                continue
            if char == quote and line[index - 1] != "\\":
                quote = None
        elif char in "\"'":
            quote = char
        elif char == ";":
            return line[:index].rstrip()
    return line


def _prepare(source: str, defines: dict[str, int], line_labels: list | None = None) -> tuple[str, list[str]]:
    """Apply our `.data` directive and defines; strip comments; find the labels. With a list
    `line_labels`, put a label before each text line that emits bytes and add (label, line index)."""
    lines = [f".equ {name}, {value}" for name, value in sorted(defines.items())]
    labels: list[str] = []
    in_text = True
    for index, line in enumerate(map(strip_comment, source.splitlines())):
        if line_labels is not None and in_text and _emits_bytes(line):
            line_labels.append((f"__line_{index}", index))
            lines.append(f"__line_{index}:")
        if _DATA_DIRECTIVE.match(line):
            in_text = False
            lines.append("__text_end:")
            lines.append(".balign 4096, 0xcc")   # pad the text with int3, not zeros (see vm.py)
            lines.append("__data_start:")
            labels += ["__text_end", "__data_start"]
            continue
        lines.append(line)
        match = _LABEL.match(line)
        if match and not match.group(1).startswith(".L"):
            labels.append(match.group(1))
    return "\n".join(lines), labels


def _emits_bytes(line: str) -> bool:
    """Does this (comment-free) line emit bytes: an instruction, or a data directive?"""
    rest = line[_LEADING_LABELS.match(line).end():].strip()
    if not rest or _ASSIGNMENT.match(rest):
        return False
    if rest.startswith("."):
        return rest.split(None, 1)[0].lower() in _EMITTING
    return True


def assemble(source: str, base: int, name: str = "program", defines: dict[str, int] | None = None,
             origins: list[str] | None = None) -> Image:
    """Assemble `source` to run at virtual address `base`."""
    defines = dict(defines or {})
    # The cache key: every input, NUL-separated (no field but the source, which comes last,
    # can hold a NUL), hashed. (json.dumps of a large source costs milliseconds per boot.)
    header = "\0".join([_CACHE_VERSION, str(base), repr(sorted(defines.items()))])
    key = sha256(header.encode() + b"\0" + source.encode("utf-8", "surrogatepass")).hexdigest()
    if key in _memory_cache:
        return _copy(_memory_cache[key], name, origins)
    cache_file = cache_dir() / f"{key}.json"
    try:
        stored = json.loads(cache_file.read_text())
        image = Image(name, base, bytes.fromhex(stored["code"]), stored["data_offset"], stored["symbols"],
                      stored["text_end"], [tuple(pair) for pair in stored["lines"]])
    except (OSError, ValueError, KeyError, TypeError):
        image = _assemble_uncached(source, base, name, defines, origins)
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"code": image.code.hex(), "data_offset": image.data_offset,
                                       "symbols": image.symbols, "text_end": image.text_end,
                                       "lines": image.line_rows}))
            os.replace(tmp, cache_file)
        except OSError:
            pass  # a read-only home only costs speed
    _memory_cache[key] = image
    return _copy(image, name, origins)


def _copy(image: Image, name: str, origins: list[str] | None = None) -> Image:
    """A fresh Image of the cached `image` (its own symbol dict), called `name`. The cached
    line rows are (address, line index of the source); `origins` turn them into file:line."""
    rows = []
    for address, index in image.line_rows:
        origin = origins[index] if origins and index < len(origins) else f"{name}:{index + 1}"
        path, line = origin_parts(origin)
        rows.append((address, path, line))
    return Image(name, image.base, image.code, image.data_offset, dict(image.symbols), image.text_end, rows)


def _assemble_uncached(source: str, base: int, name: str, defines: dict[str, int],
                       origins: list[str] | None) -> Image:
    from .asmerrors import unbalanced_brackets    # (keystone misreads `[rsi` without a word)
    problems = unbalanced_brackets(source, name, origins)
    if problems:
        raise AssemblyError("\n".join(problems))
    line_labels: list[tuple[str, int]] = []
    prepared, labels = _prepare(source, defines, line_labels)
    if len(set(labels)) < len(labels):
        from .asmerrors import labels_defined_twice
        raise AssemblyError("\n".join(labels_defined_twice(source, name, origins)))
    # A label or line in a false .if is not defined: .ifdef gives the table a fixed width anyway.
    table = "\n".join(f".ifdef {label}\n.quad {label}\n.else\n.quad {_NOT_ASSEMBLED}\n.endif"
                      for label in labels + [label for label, _ in line_labels])
    try:
        encoding, _ = _keystone().asm(prepared + "\n.balign 8\n__symbol_table:\n" + table + "\n", base)
    except _keystone_error() as error:
        from .asmerrors import locate_errors   # the error path only
        raise AssemblyError("\n".join(locate_errors(source, base, defines, origins, name)
                                      or [f"{name}: {_reason(error)}"])) from None
    except Exception as error:  # keystone can fail in odd ways on odd input
        raise AssemblyError(f"{name}: cannot assemble: {error}") from None
    if not encoding and source.strip():
        # Keystone fails silently on some lines (e.g. `byte [rdi]` without `ptr`): no code, no error.
        from .asmerrors import locate_errors
        problems = locate_errors(source, base, defines, origins, name)
        if problems:
            raise AssemblyError("\n".join(problems))
    code = bytes(encoding or b"")
    count = len(labels) + len(line_labels)
    raw_table = code[len(code) - 8 * count:] if count else b""
    values = [int.from_bytes(raw_table[i * 8:i * 8 + 8], "little") for i in range(count)]
    symbols = {label: value for label, value in zip(labels, values) if value != _NOT_ASSEMBLED}
    code = code[:len(code) - 8 * count]  # drop the symbol table itself
    if not code.rstrip(b"\x00"):
        raise AssemblyError(f"{name}: empty program (no instructions)")
    data_offset = symbols.pop("__data_start", base + len(code)) - base
    text_end = symbols.pop("__text_end", base + data_offset) - base
    code_end = base + text_end
    rows = [(address, index) for (_, index), address in zip(line_labels, values[len(labels):])
            if address != _NOT_ASSEMBLED and base <= address < code_end]
    return Image(name, base, code, data_offset, symbols, text_end, rows)


def _reason(error: Exception) -> str:
    """Keystone's message without its enum name."""
    return re.sub(r"\s*\(KS_ERR_\w+\)", "", str(error)).strip().lower()


_read_sources: dict[tuple, tuple[tuple, str, list[str]]] = {}   # (path, search) -> (files' stats, text, origins)
_READ_SOURCES_KEPT = 64


def read_source(path: str | Path, search: list[Path] = ()) -> tuple[str, list[str]]:
    """Read a source file, replacing each `.include "file"` line by that file's text.
    Included files are looked up next to the including file, then in `search`, and
    must lie in the program's own folder or in a `search` folder (the shipped
    userland): a source cannot pull in other files of the host. Returns the text
    and, per line, where it came from ('lib.asm:12', a SourceOrigin that knows the full path).
    A file read before in this process is not parsed again while none of its files changed
    (size, inode, modification time), and no include file it looked for has appeared: a
    boot starts eight services from one source."""
    key = (str(path), tuple(str(folder) for folder in search))
    remembered = _read_sources.get(key)
    if remembered is not None and all(_signature(name) == signature for name, signature in remembered[0]):
        return remembered[1], list(remembered[2])
    looked_at: list[tuple[str, tuple | None]] = []
    text, origins = _read_source(Path(path), search, 0, None, looked_at)
    if len(_read_sources) >= _READ_SOURCES_KEPT:      # (a process that reads many sources: a bound)
        _read_sources.clear()
    _read_sources[key] = (tuple(looked_at), text, origins)
    return text, list(origins)


def _signature(name: str) -> tuple | None:
    """(size, inode, mtime in ns) of a file, None if there is none."""
    try:
        status = os.stat(name)
    except OSError:
        return None
    return status.st_size, status.st_ino, status.st_mtime_ns


def _read_source(path: Path, search, _depth: int, _roots: list[Path] | None,
                 looked_at: list) -> tuple[str, list[str]]:
    """read_source's work, noting in `looked_at` each file it read or looked for, with its
    signature taken before reading it."""
    looked_at.append((str(path), _signature(str(path))))
    text = read_text_file(path, MAX_SOURCE_BYTES, "assembly source")
    if _roots is None:
        _roots = [path.resolve().parent] + [Path(folder).resolve() for folder in search]
    if _depth > 8:
        raise AssemblyError(f"{path.name}: .include nested too deeply")
    lines: list[str] = []
    origins: list[str] = []
    full_path = str(path.resolve())          # once per file: resolving walks the file system
    file_name = os.path.basename(full_path)
    for number, line in enumerate(text.splitlines(), 1):
        match = _INCLUDE.match(line) if ".include" in line else None
        if not match:
            lines.append(line)
            origins.append(SourceOrigin(full_path, number, file_name))
            continue
        name = match.group(1)
        candidates = [path.parent / name] + [Path(d) / name for d in search]
        found = next((c for c in candidates if c.is_file() and _inside(c, _roots)), None)
        if found is not None:          # a file appearing earlier in the search would win next time
            looked_at.extend((str(c), _signature(str(c))) for c in candidates[:candidates.index(found)])
        if found is None:
            if any(c.exists() for c in candidates):
                raise AssemblyError(f"{path.name}:{number}: cannot include {name!r}: only files in the "
                                    f"program's folder or the shipped userland can be included")
            raise AssemblyError(f"{path.name}:{number}: cannot find include file: {name}")
        included, included_origins = _read_source(found, search, _depth + 1, _roots, looked_at)
        lines.extend(included.splitlines())
        origins.extend(included_origins)
    return "\n".join(lines), origins


def _inside(candidate: Path, roots: list[Path]) -> bool:
    """Is `candidate` (symlinks resolved) inside one of the folders `roots`?"""
    resolved = candidate.resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def assemble_file(path: str | Path, base: int, defines: dict[str, int] | None = None,
                  search: list[Path] = ()) -> Image:
    """Assemble a source file; a missing file is a one-line BadInput."""
    path = Path(path)
    source, origins = read_source(path, search)
    return assemble(source, base, name=path.name, defines=defines, origins=origins)
