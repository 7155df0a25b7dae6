"""Loading rootkit.sys (drivers/rootkit/): a second boot driver that is always at ring 0.

`simpleos boot --rootkit [BUILD]` loads it after the sensor. It is malware, so the isolation
model is not asked where it goes: it is placed as every ring-0 boot driver is, a kernel thread
in the kernel half (placement.KERNEL_THREAD), with the kernel's exports bound -- whatever the
model does with the sensor. This module only loads it; what it does is the business of
drivers/rootkit/rootkit.asm, and what catches it is the sensor's.
"""
from __future__ import annotations

from ..errors import BadInput
from .drivers import read_manifest
from .placement import KERNEL_THREAD

ROOTKIT = "rootkit"                 # drivers/rootkit/
DEFAULT_BUILD = "unlink"


def rootkit_builds() -> list[str]:
    """The builds --rootkit accepts (drivers/rootkit/manifest.toml), the default first."""
    builds = sorted(read_manifest(ROOTKIT).builds)
    return [DEFAULT_BUILD] + [build for build in builds if build != DEFAULT_BUILD]


def load_rootkit(kernel, build: str):
    """Start rootkit.sys (`build`) as a ring-0 kernel thread; its Process."""
    manifest = read_manifest(ROOTKIT)
    if build not in manifest.builds:
        raise BadInput(f"{manifest.name} has no build {build!r} (builds: {', '.join(rootkit_builds())})")
    process = KERNEL_THREAD.start(kernel, manifest, build, ROOTKIT)
    kernel.log(f"driver: {manifest.name} ({build} build) started as pid {process.pid} ({KERNEL_THREAD.where})")
    return process
