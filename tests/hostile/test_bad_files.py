"""Bad input files: crash dumps, special and huge files, assembler includes, contradicting names.

Each gets a valid result or a one-line error (exit 1) -- never a traceback, a hang or
unbounded memory. The crash-dump mutations come from a real dump of the CF291 bugcheck.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simpleos.channel import parse, serialize
from simpleos.debug.analyze import analyze, load_dump
from simpleos.errors import BadInput
from simpleos.record import replace
from cliutil import run_cli
from paths import BAD, CHANNEL_FILES, REPO


@pytest.fixture(scope="module")
def real_dump(tmp_path_factory) -> dict:
    """The crash dump of one CF291 bugcheck, as JSON."""
    from simpleos.system import boot
    home = tmp_path_factory.mktemp("dump")
    session = boot(home, fresh=True, channels=[BAD], max_boots=1)
    try:
        return json.loads(Path(session.boots[0].dump).read_text())
    finally:
        session.close()


def analyze_text(tmp_path, document) -> tuple[int, str, str]:
    """Run `simpleos analyze` on `document` (JSON-able, or a str written as is)."""
    path = tmp_path / "CRASH-0001.dmp"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    try:
        return 0, "\n".join(analyze(load_dump(path))), ""
    except BadInput as reason:
        return 1, "", str(reason)


@pytest.mark.parametrize("where, value, expected", [
    (("registers", "rflags"), "0x246", "registers.rflags: an integer 0..2**64-1, not a string"),
    (("registers", "cr2"), "0x246", "registers.cr2: an integer 0..2**64-1 or null, not a string"),
    (("sensor",), 7, "sensor: null or an object, not the integer 7"),
    (("bugcheck", "parameters", 1), "2", "bugcheck.parameters[1]: an integer 0..2**64-1, not a string"),
    (("bugcheck", "parameters"), [1, 2], "bugcheck.parameters: a list of 4, not of 2"),
    (("bugcheck", "rip"), -1, "bugcheck.rip: an integer 0..2**64-1, not the integer -1"),
    (("bugcheck", "rip"), True, "bugcheck.rip: an integer 0..2**64-1, not true"),
    (("stack", 0, "value"), 1.5, "stack[0].value: an integer 0..2**64-1 or null, not a fraction"),
    (("modules", 0, "symbols"), ["x"], "modules[0].symbols: null or an object, not a list"),
    (("instruction_bytes",), "zz", "instruction_bytes: a string of hex digits or null, not a string"),
])
def test_a_dump_with_a_wrong_type_is_a_one_line_error_naming_the_field(tmp_path, real_dump, where, value, expected):
    document = copy.deepcopy(real_dump)
    holder = document
    for key in where[:-1]:
        holder = holder[key]
    holder[where[-1]] = value
    code, _, error = analyze_text(tmp_path, document)
    assert code == 1 and expected in error and "\n" not in error
    assert "Error" not in error and "KeyError" not in error, "no Python exception names"


def test_a_dump_missing_a_field_names_it(tmp_path, real_dump):
    document = copy.deepcopy(real_dump)
    del document["bugcheck"]
    code, _, error = analyze_text(tmp_path, document)
    assert code == 1 and error.endswith("malformed crash dump: bugcheck: missing")


def test_a_deeply_nested_dump_is_a_one_line_error(tmp_path):
    code, _, error = analyze_text(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert code == 1 and "nested too deeply" in error


MUTANTS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.text(max_size=8), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4),
                                                                                             st.integers(), max_size=2))


def _paths(document, prefix=()):
    """Every (path to a value) in a JSON document."""
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document[:4]):
            yield from _paths(value, prefix + (index,))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_dumps_give_a_report_or_one_line(tmp_path, real_dump, data):
    document = copy.deepcopy(real_dump)
    paths = [p for p in _paths(document) if p]
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(paths))
        holder = document
        try:
            for key in path[:-1]:
                holder = holder[key]
            if data.draw(st.booleans()) and isinstance(holder, dict):
                holder.pop(path[-1], None)
            else:
                holder[path[-1]] = data.draw(MUTANTS)
        except (KeyError, IndexError, TypeError):
            continue
    code, report, error = analyze_text(tmp_path, document)
    if code == 0:
        assert "Bugcheck Analysis" in report
    else:
        assert error and "\n" not in error and "Traceback" not in error


# --- special and huge files ----------------------------------------------------------------

SPECIAL_COMMANDS = [
    ["run", "{file}"], ["channel", "show", "{file}"], ["channel", "validate", "{file}"],
    ["channel", "validate", "--abi", "{file}"], ["channel", "build", "{file}", "-o", "{out}"], ["analyze", "{file}"],
    ["push", "{file}"],
]


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "C-00000291-fifo.sys"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("argv", SPECIAL_COMMANDS, ids=lambda argv: " ".join(argv[:2]))
@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo"])
def test_devices_and_fifos_are_refused_at_once(tmp_path, fifo, argv, special):
    """(Devices through a link with a channel file name, so that no name check stops them first.)"""
    target = fifo
    if special != "fifo":
        target = tmp_path / "C-00000291-device.sys"
        target.symlink_to(special)
    target = str(target)
    command = [a.replace("{file}", target).replace("{out}", str(tmp_path / "out.sys")) for a in argv]
    command += ["--machine", str(tmp_path / "m")] if command[0] in ("run", "push") else []
    completed = subprocess.run([sys.executable, "-m", "simpleos.cli", *command], cwd=REPO, capture_output=True,
                               text=True, timeout=60)
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.count("\n") == 1 and "not a regular file" in completed.stderr, completed.stderr
    assert completed.stdout == ""


def test_a_huge_file_is_refused_by_size(tmp_path, capsys):
    huge = tmp_path / "huge.asm"
    huge.write_bytes(b"; " + b"x" * (2 << 20) + b"\n")
    code, out, err = run_cli(capsys, "run", str(huge), "--machine", str(tmp_path / "m"))
    assert code == 1 and err == f"simpleos: {huge} is too large (assembly sources are at most 1 MiB)\n"


# --- includes --------------------------------------------------------------------------------

@pytest.mark.parametrize("include", ["/etc/passwd", "../../../../../../etc/passwd", "/etc/hostname"])
def test_an_include_outside_the_programs_folder_is_refused_without_quoting_it(tmp_path, capsys, include):
    program = tmp_path / "sneaky.asm"
    program.write_text(f'_start:\n.include "{include}"\n')
    code, out, err = run_cli(capsys, "run", str(program), "--machine", str(tmp_path / "m"))
    assert code == 1 and err.count("\n") == 1
    assert "only files in the program's folder or the shipped userland can be included" in err
    first_line = Path("/etc/passwd").read_text().splitlines()[0]
    assert first_line not in err


def test_an_include_in_the_programs_folder_and_the_userland_still_works(tmp_path, capsys):
    (tmp_path / "mine.asm").write_text("    xor rdi, rdi\n    call exit\n")
    program = tmp_path / "main.asm"
    program.write_text('_start:\n.include "mine.asm"\n.include "lib.asm"\n')
    code, out, err = run_cli(capsys, "run", str(program), "--machine", str(tmp_path / "m"), "--fresh", "--json")
    assert code == 0 and json.loads(out)["exit_code"] == 0


# --- names that contradict the header ---------------------------------------------------------

@pytest.mark.parametrize("change, problem", [
    ({"channel": 0}, "the file name says channel 291 but the header says channel 0"),
    ({"template_type": 1, "field_count": 8}, "channel 291 carries IPC rules (template type 2), but the header says "
                                              "PROCESS (template type 1)"),
])
def test_the_validators_flag_a_name_that_contradicts_the_header(tmp_path, capsys, change, problem):
    good = parse((CHANNEL_FILES / "C-00000291-good.sys").read_bytes())
    contradicting = tmp_path / "C-00000291-liar.sys"
    contradicting.write_bytes(serialize(replace(good, **change)))
    for flag in ([], ["--abi"]):
        code, out, err = run_cli(capsys, "channel", "validate", *flag, str(contradicting))
        assert code == 1 and problem in err


def test_the_shipped_files_agree_with_their_names(capsys):
    for name in ("C-00000291-good.sys", "C-00000291-bad.sys", "C-00000292-process.sys"):
        code, out, _ = run_cli(capsys, "channel", "validate", str(CHANNEL_FILES / name))
        assert code == 0 and out.startswith("valid")
