"""The assembler's line table: exact through includes, honest about the code, kept in the cache.

Keystone prints no listing, so the assembler puts a label before each line
that emits code and reads the addresses back. These tests check that the
labels change no byte of any shipped program, that every row names the line
whose instruction really sits at that address, that the table survives the
on-disk cache into another process, and that assembled and C programs
answer through one interface.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import simpleos.assembler as assembler
from simpleos.assembler import assemble, assemble_file, read_source
from simpleos.elf import LineTable as ElfLineTable
from simpleos.kernel.capabilities import ASSEMBLER_DEFINES as CAPABILITY_DEFINES
from simpleos.kernel.drivers import driver_defines, read_manifest
from simpleos.kernel.loader import USER_DEFINES, assemble_user_program
from simpleos.machine.decode import disassemble
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.resources import kernel_asm_dir, userland_dir
from simpleos.sourcelines import LineTable

from paths import REPO

SENSOR_BASE = 0xFFFFFFFF80004000
# Mnemonics capstone prints for the ones the sources write.
ALIASES = {"jz": "je", "jnz": "jne", "jnc": "jae", "jc": "jb", "jnb": "jae", "jnae": "jb", "sal": "shl",
           "cmova": "cmova", "sete": "sete", "iretq": "iretq"}


def shipped_sources():
    """(name, source, origins, base, defines) of every program SimpleOS ships or grades."""
    manifest = read_manifest("sensor")
    sensor, sensor_origins = read_source(manifest.source)
    for build in manifest.builds:
        yield f"sensor-{build}", sensor, sensor_origins, SENSOR_BASE, driver_defines(manifest, build)
    switched = manifest.with_switches(CROSS_VIEW=1, SENSOR_DELAY_US=1, BOUND_INPUTS=1, CONTENT_FRAMES=1,
                                      BOUND_IPC_INPUTS=0x7FE000001F60, BOUND_PROCESS_INPUTS=0x7FE000001FC0)
    yield "sensor-switched", sensor, sensor_origins, SENSOR_BASE, driver_defines(switched, "original")
    for path in sorted(userland_dir().glob("*.asm")) + sorted((REPO / "instructor").rglob("*.asm")):
        source, origins = read_source(path, [userland_dir()])
        yield path.name, source, origins, USER_TEXT_BASE, USER_DEFINES
    for path in sorted(kernel_asm_dir().glob("*.asm")):
        source, origins = read_source(path)
        defines = {**USER_DEFINES, **CAPABILITY_DEFINES} if path.name == "kapi_cap.asm" else USER_DEFINES
        yield path.name, source, origins, 0xFFFFFFFF80000000, defines


def code_without_line_labels(source: str, base: int, defines: dict) -> bytes:
    """What keystone makes of `source` with only the label table (the assembler before line tables)."""
    prepared, labels = assembler._prepare(source, defines)
    # (a label inside a false .if is not defined: the table asks, as the assembler does)
    table = "\n".join(f".ifdef {label}\n.quad {label}\n.else\n.quad 0\n.endif" for label in labels)
    encoding, _ = assembler._keystone().asm(prepared + "\n.balign 8\n__symbol_table:\n" + table + "\n", base)
    code = bytes(encoding)
    return code[:len(code) - 8 * len(labels)]


SOURCES = list(shipped_sources())


@pytest.mark.parametrize("name, source, origins, base, defines", SOURCES, ids=[source[0] for source in SOURCES])
def test_line_labels_change_no_byte_and_every_row_is_the_instruction_of_its_line(name, source, origins, base,
                                                                                 defines):
    image = assembler._assemble_uncached(source, base, name, defines, origins)
    image = assembler._copy(image, name, origins)
    assert image.code == code_without_line_labels(source, base, defines), "the line labels moved code"
    table = image.line_table
    rows = table.code_rows()
    assert rows, "a program with code has rows"
    text_end = image.base + image.text_end
    # (a program without .data ends in the zeros of the label table's .balign: not instructions)
    instructions = [i for i in disassemble(image.code[:image.text_end], image.base) if i[0] <= rows[-1].address]
    starts = [address for address, *_ in instructions]
    assert [row.address for row in rows] == starts, "one row per instruction, each at its start"
    for (address, size, mnemonic, _), row in zip(instructions, rows):
        written = assembler.strip_comment(open(row.path).read().splitlines()[row.line - 1])
        written = assembler._LEADING_LABELS.sub("", written).split()[0].lower()
        assert ALIASES.get(written, written) == mnemonic or mnemonic.startswith(written), (row, mnemonic)
    assert table.rows[-1].end_sequence and table.rows[-1].address == text_end


def test_rows_of_an_included_file_name_that_file_and_its_own_line_numbers(tmp_path):
    helper = tmp_path / "helper.inc"
    helper.write_text("; helper.inc\ndouble:\n    add rax, rax   ; x2\n    ret\n")
    program = tmp_path / "prog.asm"
    program.write_text(textwrap.dedent("""\
        ; prog.asm
        _start:
            mov rax, 21
            call double
            .include "helper.inc"
        after:
            mov rdi, rax
            call exit
        .include "lib.asm"
        .data
        value: .quad 7
        """))
    image = assemble_user_program(program)
    lib = userland_dir() / "lib.asm"
    strlen_line = next(n for n, text in enumerate(lib.read_text().splitlines(), 1) if "xor rax, rax" in text)
    expected = {image.symbols["_start"]: (program, 3), image.symbols["_start"] + 7: (program, 4),
                image.symbols["double"]: (helper, 3), image.symbols["double"] + 3: (helper, 4),
                image.symbols["after"]: (program, 7), image.symbols["strlen"]: (lib, strlen_line)}
    for address, (path, line) in expected.items():
        row = image.source_line(address)
        assert (row.path, row.line) == (str(path.resolve()), line), hex(address)
        assert row.file == path.name
    assert image.source_line(image.base + image.data_offset) is None, "data has no source line"
    assert set(image.line_table.files()) == {str(program.resolve()), str(helper.resolve()), str(lib.resolve())}


def test_a_line_in_a_false_if_has_no_row_and_the_rest_are_exact():
    source = "_start:\n    nop\n.if FLAG\n    ud2\n.endif\n    int3\n"
    image = assemble(source, USER_TEXT_BASE, "cond.asm", {"FLAG": 0})
    assert [(row.address - USER_TEXT_BASE, row.line) for row in image.line_table.code_rows()] == [(0, 2), (1, 6)]
    image = assemble(source, USER_TEXT_BASE, "cond.asm", {"FLAG": 1})
    assert [(row.address - USER_TEXT_BASE, row.line) for row in image.line_table.code_rows()] == \
        [(0, 2), (1, 4), (3, 6)]


CACHED = """
import json, sys
import simpleos.assembler as assembler
def refuse(*args, **kwargs):
    raise SystemExit("assembled again: the cache was not used")
if sys.argv[1] == "second":
    assembler._assemble_uncached = refuse
image = assembler.assemble_file(sys.argv[2], 0x400000, defines={"SYS_WRITE": 1, "SYS_EXIT": 60},
                                search=[sys.argv[3]])
print(json.dumps([[row.address, row.path, row.line, row.end_sequence] for row in image.line_table.rows]))
"""


def test_the_line_table_comes_back_from_the_disk_cache_in_another_process(tmp_path):
    program = tmp_path / "cached.asm"
    program.write_text("_start:\n    lea rdi, [rip + text]\n    call print\n    call exit\n"
                       ".include \"lib.asm\"\n.data\ntext: .asciz \"x\"\n")
    environment = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    runs = []
    for which in ("first", "second"):
        result = subprocess.run([sys.executable, "-c", CACHED, which, str(program), str(userland_dir())],
                                capture_output=True, text=True, env=environment, timeout=120)
        assert result.returncode == 0, result.stderr
        runs.append(json.loads(result.stdout))
    assert runs[0] == runs[1] and len(runs[0]) > 5
    cached = json.loads(next((tmp_path / "cache" / "simpleos" / "asm").glob("*.json")).read_text())
    assert len(cached["lines"]) == len(runs[0]) - 1           # every row but the end marker


def test_assembled_and_compiled_programs_share_one_line_table_interface():
    image = assemble_file(userland_dir() / "hello.asm", USER_TEXT_BASE, USER_DEFINES, [userland_dir()])
    assert ElfLineTable is LineTable and isinstance(image.line_table, LineTable)
    row = image.source_line(image.entry)
    assert (row.file, row.line, row.is_statement) == ("hello.asm", 4, True)
    assert image.line_table.addresses_of("hello.asm", 4) == [image.entry]
