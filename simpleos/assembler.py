"""The toolchain: assemble guest x86-64 source with keystone, keep its symbols.

Our dialect is Intel syntax as keystone reads it, one instruction per line,
with `;` comments, plus two directives of our own: a line `.data` ends the
text and starts the data on a fresh page (so the loader can map text
read-only+executable and data read/write+NX), and `.include "file"`.
Keystone prints no symbol table, so every label's address is read back from
a table of `.quad label` appended to the source. Results are cached on the
host (keyed by source, base address and defines), so a boot does not
re-assemble. Errors name the source line. This module does not load or run
anything.
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from .digest import sha256
from .errors import BadInput
from .hostfiles import read_text_file
from .record import dataclass, field

MAX_SOURCE_BYTES = 1 << 20      # an assembly source (each included file too)
_LABEL = re.compile(r"^\s*([A-Za-z_][\w.$]*)\s*:(?!:)")
_DATA_DIRECTIVE = re.compile(r"^\s*\.data\s*(?:[#;].*)?$")
_INCLUDE = re.compile(r'^\s*\.include\s+"([^"]+)"\s*(?:[#;].*)?$')
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


def nearest_symbol(symbols: dict[str, int], address: int) -> tuple[str, int] | None:
    """(label, offset) of the nearest label at or before `address` (ties: the alphabetically
    first), or None if every label is above it. The one symbol lookup of SimpleOS: the
    kernel, the debugger and crash-dump analysis all name addresses with it."""
    best = None
    for name, value in symbols.items():
        if value <= address and (best is None or value > best[1] or value == best[1] and name < best[0]):
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


def _prepare(source: str, defines: dict[str, int]) -> tuple[str, list[str]]:
    """Apply our `.data` directive and defines; strip comments; find the labels."""
    lines = [f".equ {name}, {value}" for name, value in sorted(defines.items())]
    labels: list[str] = []
    for line in map(strip_comment, source.splitlines()):
        if _DATA_DIRECTIVE.match(line):
            lines.append(".balign 4096, 0xcc")   # pad the text with int3, not zeros (see vm.py)
            lines.append("__data_start:")
            labels.append("__data_start")
            continue
        lines.append(line)
        match = _LABEL.match(line)
        if match and not match.group(1).startswith(".L"):
            labels.append(match.group(1))
    return "\n".join(lines), labels


def assemble(source: str, base: int, name: str = "program", defines: dict[str, int] | None = None,
             origins: list[str] | None = None) -> Image:
    """Assemble `source` to run at virtual address `base`."""
    defines = dict(defines or {})
    # The cache key: every input, NUL-separated (no field but the source, which comes last,
    # can hold a NUL), hashed. (json.dumps of a large source costs milliseconds per boot.)
    header = "\0".join([_CACHE_VERSION, str(base), repr(sorted(defines.items()))])
    key = sha256(header.encode() + b"\0" + source.encode("utf-8", "surrogatepass")).hexdigest()
    if key in _memory_cache:
        cached = _memory_cache[key]
        return Image(name, cached.base, cached.code, cached.data_offset, dict(cached.symbols))
    cache_file = cache_dir() / f"{key}.json"
    try:
        stored = json.loads(cache_file.read_text())
        image = Image(name, base, bytes.fromhex(stored["code"]), stored["data_offset"], stored["symbols"])
    except (OSError, ValueError, KeyError):
        image = _assemble_uncached(source, base, name, defines, origins)
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"code": image.code.hex(), "data_offset": image.data_offset,
                                       "symbols": image.symbols}))
            os.replace(tmp, cache_file)
        except OSError:
            pass  # a read-only home only costs speed
    _memory_cache[key] = image
    return Image(name, image.base, image.code, image.data_offset, dict(image.symbols))


def _assemble_uncached(source: str, base: int, name: str, defines: dict[str, int],
                       origins: list[str] | None) -> Image:
    prepared, labels = _prepare(source, defines)
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise AssemblyError(f"{name}: label defined twice: {duplicates[0]}")
    table = "\n".join(f".quad {label}" for label in labels)
    try:
        encoding, _ = _keystone().asm(prepared + "\n.balign 8\n__symbol_table:\n" + table + "\n", base)
    except _keystone_error() as error:
        raise AssemblyError(_locate_error(source, base, name, defines, error, origins)) from None
    except Exception as error:  # keystone can fail in odd ways on odd input
        raise AssemblyError(f"{name}: cannot assemble: {error}") from None
    code = bytes(encoding or b"")
    count = len(labels)
    raw_table = code[len(code) - 8 * count:] if count else b""
    symbols = {label: int.from_bytes(raw_table[i * 8:i * 8 + 8], "little") for i, label in enumerate(labels)}
    code = code[:len(code) - 8 * count]  # drop the symbol table itself
    if not code.rstrip(b"\x00"):
        raise AssemblyError(f"{name}: empty program (no instructions)")
    data_offset = symbols.get("__data_start", base + len(code)) - base
    symbols.pop("__data_start", None)
    return Image(name, base, code, data_offset, symbols)


def _locate_error(source: str, base: int, name: str, defines: dict[str, int], error: Exception,
                  origins: list[str] | None) -> str:
    """Find the first source line that makes keystone fail (only on the error path)."""
    lines = source.splitlines()
    all_labels = [m.group(1) for m in (_LABEL.match(line) for line in lines) if m]
    for number in range(1, len(lines) + 1):
        prefix = "\n".join(lines[:number])
        _, defined = _prepare(prefix, defines)
        missing = [label for label in all_labels if label not in defined]
        stub = "\n".join(f"{label}:" for label in dict.fromkeys(missing))
        trial, _ = _prepare(prefix + "\n" + stub, defines)
        try:
            _keystone().asm(trial, base)
        except _keystone_error() as trial_error:
            text = lines[number - 1].strip()
            where = origins[number - 1] if origins and number <= len(origins) else f"{name}:{number}"
            return f"{where}: {_reason(trial_error)}: {text}"
        except Exception:
            continue
    return f"{name}: {_reason(error)}"


def _reason(error: Exception) -> str:
    """Keystone's message without its enum name."""
    return re.sub(r"\s*\(KS_ERR_\w+\)", "", str(error)).strip().lower()


def read_source(path: str | Path, search: list[Path] = (), _depth: int = 0,
                _roots: list[Path] | None = None) -> tuple[str, list[str]]:
    """Read a source file, replacing each `.include "file"` line by that file's text.
    Included files are looked up next to the including file, then in `search`, and
    must lie in the program's own folder or in a `search` folder (the shipped
    userland): a source cannot pull in other files of the host. Returns the text
    and, per line, where it came from ('lib.asm:12')."""
    path = Path(path)
    text = read_text_file(path, MAX_SOURCE_BYTES, "assembly source")
    if _roots is None:
        _roots = [path.resolve().parent] + [Path(folder).resolve() for folder in search]
    if _depth > 8:
        raise AssemblyError(f"{path.name}: .include nested too deeply")
    lines: list[str] = []
    origins: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _INCLUDE.match(line)
        if not match:
            lines.append(line)
            origins.append(f"{path.name}:{number}")
            continue
        name = match.group(1)
        candidates = [path.parent / name] + [Path(d) / name for d in search]
        found = next((c for c in candidates if c.is_file() and _inside(c, _roots)), None)
        if found is None:
            if any(c.exists() for c in candidates):
                raise AssemblyError(f"{path.name}:{number}: cannot include {name!r}: only files in the "
                                    f"program's folder or the shipped userland can be included")
            raise AssemblyError(f"{path.name}:{number}: cannot find include file: {name}")
        included, included_origins = read_source(found, search, _depth + 1, _roots)
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
