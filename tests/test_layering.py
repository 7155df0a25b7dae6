"""The layers of simpleos/, read from the import graph of the source itself.

Every module under simpleos/ is parsed (ast), and every import it makes is
collected -- at the top, inside functions, relative ones resolved, and
importlib.import_module("...") with a literal or f-string name. The rules
(docs/architecture.md):
  - machine/ knows no policy: it imports nothing of kernel/, isolation/, commands/;
  - only machine/ touches the emulator: kernel/ and isolation/ import no unicorn,
    capstone or keystone (the assembler and the disassembler wrap those);
  - the kernel imports no model: kernel/ imports nothing of isolation/;
  - nothing below the CLI imports commands/: only cli.py and commands/ itself;
  - every module says what it is: a module docstring.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

from paths import REPO

PACKAGE = REPO / "simpleos"
EMULATOR_LIBRARIES = ("unicorn", "capstone", "keystone")


def module_name(path: Path) -> str:
    """simpleos/kernel/sensor/manager.py -> simpleos.kernel.sensor.manager (a package: its __init__)."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of `from <level dots><target> import ...` written in `module`."""
    if level == 0:
        return target or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def literal_module_name(node: ast.expr, module: str) -> str | None:
    """The module named by import_module's argument: a string, or the literal start of an
    f-string (f"simpleos.commands.{name}" -> "simpleos.commands"; {__name__} is the module)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    text = ""
    for part in node.values:
        if isinstance(part, ast.Constant):
            text += part.value
        elif isinstance(part.value, ast.Name) and part.value.id == "__name__":
            text += module
        else:
            break
    return text.rstrip(".") or None


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it. `from X import a` counts as X and X.a
    (a may be a submodule)."""
    module, is_package = module_name(path), path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(module, is_package, node.level, node.module)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and (named := literal_module_name(node.args[0], module))):
            found.add(named)
    return found


@lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    """module name -> the modules it imports, for every module of the package."""
    return {module_name(path): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, package: str) -> bool:
    """Is module `name` the package `package` or inside it?"""
    return name == package or name.startswith(package + ".")


def violations(importers: str, forbidden: tuple[str, ...]) -> list[str]:
    """'A imports B' for each module A inside `importers` importing something inside `forbidden`."""
    return [f"{module} imports {target}" for module, targets in import_graph().items() if within(module, importers)
            for target in sorted(targets) if any(within(target, f) for f in forbidden)]


# --- the graph is really read ---------------------------------------------------------------------

def test_the_graph_sees_imports_at_the_top_inside_functions_relative_and_by_import_module():
    graph = import_graph()
    assert len(graph) > 50 and "simpleos.kernel.sensor.manager" in graph and "simpleos.kernel.sensor" in graph
    assert "simpleos.machine.cpu" in graph["simpleos.kernel.kernel"]            # from ..machine.cpu import ...
    assert "simpleos.kernel.sensor" in graph["simpleos.kernel.kernel"]          # inside load_boot_drivers()
    assert "simpleos.kernel.placement" in graph["simpleos.isolation.base"]      # from ..kernel.placement
    assert "simpleos.isolation.base" in graph["simpleos.isolation"]             # from .base, in an __init__
    assert "capstone" in graph["simpleos.machine.decode"]                       # import inside a function
    assert "simpleos.commands" in graph["simpleos.cli"]                         # import_module(f"simpleos.commands.{name}")
    assert "simpleos.isolation" in graph["simpleos.isolation"]                  # import_module(f"{__name__}.{...}")


# --- the rules --------------------------------------------------------------------------------------

def test_machine_imports_nothing_of_the_kernel_or_above():
    assert violations("simpleos.machine", ("simpleos.kernel", "simpleos.isolation", "simpleos.commands",
                                           "simpleos.system", "simpleos.debug", "simpleos.cli")) == []


@pytest.mark.parametrize("layer", ["simpleos.kernel", "simpleos.isolation"])
def test_only_the_machine_touches_the_emulator(layer):
    assert violations(layer, EMULATOR_LIBRARIES) == []


def test_the_emulator_is_imported_by_the_machine_the_assembler_and_the_debugger_only():
    users = {module for module, targets in import_graph().items()
             if any(within(target, library) for target in targets for library in EMULATOR_LIBRARIES)}
    assert users and all(within(m, "simpleos.machine") or within(m, "simpleos.debug") or m == "simpleos.assembler"
                         for m in users), sorted(users)


def test_the_kernel_imports_no_model():
    assert violations("simpleos.kernel", ("simpleos.isolation",)) == []


def test_only_the_cli_imports_the_commands():
    importers = {module for module, targets in import_graph().items()
                 if any(within(target, "simpleos.commands") for target in targets)}
    assert {m for m in importers if not within(m, "simpleos.commands")} == {"simpleos.cli"}


def test_every_module_has_a_docstring():
    missing = [str(path.relative_to(REPO)) for path in sorted(PACKAGE.rglob("*.py"))
               if not ast.get_docstring(ast.parse(path.read_text()))]
    assert missing == []
