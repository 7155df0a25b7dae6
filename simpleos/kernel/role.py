"""The machine's role: which init program the kernel starts (workstation, server, kiosk).

A role is one word in /etc/role on the machine's disk, written by whoever
installs the machine (`simpleos fleet` does, for every machine class it
boots). Role R starts userland/init_R.asm; no /etc/role, or "workstation",
starts userland/init.asm, so a machine without the file boots exactly as
before. Roles differ only in init's tables: which services (and so which
named pipes) they start. This module only picks the program; it must NOT
start it, and it must not know what a role's services are.
"""
from __future__ import annotations

from ..resources import userland_dir

ROLE_FILE = "/etc/role"
DEFAULT_ROLE = "workstation"
DEFAULT_INIT = "init"


def init_program(kernel) -> str:
    """The init program for this machine's role, as a program name for spawn_program."""
    raw = kernel.read_file(ROLE_FILE)
    if raw is None:
        return DEFAULT_INIT
    role = raw.decode("utf-8", "replace").strip()
    if role == DEFAULT_ROLE:
        return DEFAULT_INIT
    program = f"init_{role}"
    if not (role.isascii() and role.replace("_", "").isalnum()) or not (userland_dir() / f"{program}.asm").is_file():
        kernel.log(f"role: no init for role {role[:40]!r} in {ROLE_FILE}; starting the workstation's")
        return DEFAULT_INIT
    kernel.log(f"role: {role} ({ROLE_FILE})")
    return program
