"""Machine roles: /etc/role picks init's program, each role starts its own services (named pipes),
and the default machine boots exactly as before (its golden log is tests/golden/boot_seed0.txt)."""
from __future__ import annotations

from pathlib import Path

import pytest

from simpleos.home import create_disk
from simpleos.kernel.loader import assemble_user_program
from simpleos.resources import userland_dir
from simpleos.system import boot

PIPES = {
    "workstation": ["spoolss", "eventlog", "wkssvc", "lsarpc"],
    "server": ["eventlog", "lsarpc", "srvsvc", "netlogon", "sql\\query"],
    "kiosk": ["eventlog", "lsarpc", "kiosk-shell"],
}


def boot_role(tmp_path: Path, role: str | None, **options):
    """Boot a fresh machine whose disk says `role` (None: no /etc/role at all)."""
    from simpleos.kernel.install import install_defaults
    home = tmp_path / (role or "none")
    home.mkdir()
    fs = create_disk(home)
    install_defaults(fs)
    if role is not None:
        fs.write_file("/etc/role", f"{role}\n".encode())
    fs.close()
    session = boot(home, **options)
    lines = session.transcript
    session.close()
    return session, lines


@pytest.mark.parametrize("role", sorted(PIPES))
def test_each_role_starts_its_own_services(tmp_path, role):
    session, lines = boot_role(tmp_path, role)
    assert session.verdict == "up"
    listening = [line.split("\\\\.\\pipe\\", 1)[1] for line in lines if line.startswith("service: listening on")]
    assert listening == PIPES[role]
    assert "boot complete" in "\n".join(lines)


def test_no_role_file_is_the_workstation_boot_byte_for_byte(tmp_path):
    _, without = boot_role(tmp_path, None)
    _, workstation = boot_role(tmp_path, "workstation")
    assert without == workstation
    golden = next(Path(__file__).parents[1].rglob("boot_seed0.txt")).read_text()   # the default boot's golden log
    assert "\n".join(without) + "\n" == golden


def test_a_role_other_than_the_default_is_named_in_the_boot_log(tmp_path):
    _, lines = boot_role(tmp_path, "server")
    assert any(line.endswith("role: server (/etc/role)") for line in lines)
    assert any("init: starting services (server)" == line for line in lines)


def test_an_unknown_role_boots_the_workstation_init_and_says_so(tmp_path):
    session, lines = boot_role(tmp_path, "mainframe; rm -rf /")
    assert session.verdict == "up"
    assert any("role: no init for role 'mainframe; rm -rf /' in /etc/role; starting the workstation's" in line
               for line in lines)
    assert [line for line in lines if line.startswith("service: listening")][0].endswith("spoolss")


def test_every_role_runs_the_same_init_code_with_its_own_tables():
    programs = {name: assemble_user_program(userland_dir() / f"{name}.asm")
                for name in ("init", "init_server", "init_kiosk")}
    code_labels = ("_start", "strlen", "print", "exit")
    layouts = {name: (image.data_offset, [image.symbols[label] for label in code_labels])
               for name, image in programs.items()}
    assert layouts["init"] == layouts["init_server"] == layouts["init_kiosk"]   # one init.inc
    assert len({image.data for image in programs.values()}) == 3               # three pipe tables
