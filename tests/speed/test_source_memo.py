"""read_source remembers what it read in this process, and reads again whatever changed."""
from __future__ import annotations

import os

from simpleos.assembler import read_source


def _touch_later(path, text):
    """Write `text` to `path` with a modification time that surely differs."""
    before = os.stat(path).st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_a_second_read_gives_the_same_text_and_origins_and_a_list_of_its_own(tmp_path):
    program = tmp_path / "p.asm"
    program.write_text("_start:\n    nop\n")
    first_text, first_origins = read_source(program)
    first_origins.append("changed by the caller")
    text, origins = read_source(program)
    assert text == first_text == "_start:\n    nop"
    assert [str(o) for o in origins] == ["p.asm:1", "p.asm:2"]


def test_an_edited_file_is_read_again(tmp_path):
    program = tmp_path / "p.asm"
    program.write_text("_start:\n    nop\n")
    read_source(program)
    _touch_later(program, "_start:\n    hlt\n")
    assert read_source(program)[0] == "_start:\n    hlt"


def test_an_edited_include_is_read_again(tmp_path):
    (tmp_path / "part.asm").write_text("    nop\n")
    program = tmp_path / "p.asm"
    program.write_text('_start:\n.include "part.asm"\n')
    assert read_source(program)[0] == "_start:\n    nop"
    _touch_later(tmp_path / "part.asm", "    int3\n")
    text, origins = read_source(program)
    assert text == "_start:\n    int3" and str(origins[1]) == "part.asm:1"


def test_an_include_that_appears_next_to_the_program_wins_over_the_search_folder(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "lib.asm").write_text("    nop\n")
    folder = tmp_path / "mine"
    folder.mkdir()
    program = folder / "p.asm"
    program.write_text('_start:\n.include "lib.asm"\n')
    assert read_source(program, [shared])[0] == "_start:\n    nop"
    (folder / "lib.asm").write_text("    hlt\n")
    assert read_source(program, [shared])[0] == "_start:\n    hlt"
