"""Everything a boot reads from the package must ship in a wheel (package data), not
only exist in a checkout: drivers/, channel_files/, userland/ and the kernel's .asm."""
import sys
from fnmatch import fnmatch
from paths import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA_SUFFIXES = {".asm", ".inc", ".sys", ".toml"}
GUEST_C_SUFFIXES = {".c", ".h", ".S"}     # userland/'s C runtime and examples (simpleos/'s own .c is an extension)


def test_every_guest_source_and_sample_is_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = config["package-dir"]
    patterns = config["package-data"]
    missing = []
    for package, folder in mapping.items():
        for path in (REPO / folder).rglob("*"):
            suffixes = DATA_SUFFIXES | (GUEST_C_SUFFIXES if package != "simpleos" else set())
            if path.suffix not in suffixes or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(REPO / folder)
            owner, inner = package, relative
            # a file in a subfolder that is itself a package (with package data) belongs to the deepest one
            for depth in range(len(relative.parts) - 1, 0, -1):
                subpackage = ".".join((package, *relative.parts[:depth]))
                if subpackage in patterns:
                    owner, inner = subpackage, relative.relative_to(*relative.parts[:depth])
                    break
            globs = patterns.get(owner, [])
            if not any(fnmatch(str(inner), g) or fnmatch(str(inner), g.replace("**/", "")) for g in globs):
                missing.append(f"{owner}: {inner}")
    assert missing == [], f"not shipped in a wheel: {missing}"


def test_a_machine_boots_from_the_built_wheel(tmp_path):
    """Build the wheel, unpack it, and boot with only the unpacked wheel on the path."""
    import subprocess
    import zipfile

    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(REPO)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheels.glob("simpleos-*.whl")
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(unpacked)
    for needed in ("simpleos/kernel/entry.asm", "simpleos/kernel/kapi.asm", "simpleos/drivers/sensor/sensor.asm",
                   "simpleos/drivers/sensor/manifest.toml", "simpleos/userland/init.asm", "simpleos/userland/init.inc",
                   "simpleos/channel_files/C-00000291-good.sys", "simpleos/userland/libc/simpleos.h",
                   "simpleos/userland/libc/crt0.S", "simpleos/userland/hello.c"):
        assert needed in names
    booted = subprocess.run([sys.executable, "-m", "simpleos", "boot", "--machine", str(tmp_path / "m"), "--json"],
                            cwd=tmp_path, env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin",
                                               "HOME": str(tmp_path)},
                            capture_output=True, text=True)
    assert booted.returncode == 0, booted.stderr[-2000:]
    assert '"verdict": "up"' in booted.stdout
