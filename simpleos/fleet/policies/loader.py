"""Finding a policy: a built-in name, a TOML file of parameters, or a Python file with a Policy class.

    --policy rings                      a built-in (builtin.py), default parameters
    --policy my-rings.toml              policy = "rings" (or "student.py") plus parameters
    --policy student.py                 a module that defines one subclass of simpleos.fleet.Policy
                                        (or names it: POLICY = MyPolicy)

Parameters given as flags override the file's. A factory is returned, not
a policy: every simulation gets a fresh instance, because policies keep
state (the alarm's timer). Loading a Python file runs it, as pytest runs a
test file: only load files you trust. This module loads; it must NOT
simulate.
"""
from __future__ import annotations

import importlib.util
import inspect
import sys
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path
from typing import Callable

from ...errors import BadInput
from .base import Policy
from .builtin import BUILTIN_POLICIES

try:
    import tomllib
except ModuleNotFoundError:          # Python 3.10
    import tomli as tomllib


def load_policy(spec: str, options: dict | None = None) -> Callable[[], Policy]:
    """A factory of fresh Policy objects for a name or a file, with parameter overrides."""
    options = dict(options or {})
    if spec in BUILTIN_POLICIES:
        return _factory(BUILTIN_POLICIES[spec], options, spec)
    path = Path(spec)
    if path.suffix == ".toml":
        return _from_toml(path, options)
    if path.suffix == ".py":
        return _factory(_class_from_file(path), options, path.name)
    raise BadInput(f"unknown policy {spec!r} (choose from {', '.join(BUILTIN_POLICIES)}, or give a .toml or .py file)")


def _from_toml(path: Path, options: dict) -> Callable[[], Policy]:
    """policy = NAME-or-FILE.py, the rest are parameters; relative .py paths are next to the TOML file."""
    try:
        table = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{path}: not valid TOML: {error}") from None
    base = table.pop("policy", None)
    if not isinstance(base, str):
        raise BadInput(f"{path}: needs policy = \"{'|'.join(BUILTIN_POLICIES)}\" or a .py file")
    if base.endswith(".py"):
        target = Path(base) if Path(base).is_absolute() else path.parent / base
        return _factory(_class_from_file(target), {**table, **options}, path.name)
    if base not in BUILTIN_POLICIES:
        raise BadInput(f"{path}: unknown policy {base!r} (choose from {', '.join(BUILTIN_POLICIES)}, or a .py file)")
    return _factory(BUILTIN_POLICIES[base], {**table, **options}, path.name)


def _class_from_file(path: Path) -> type:
    """The Policy subclass a Python file defines (POLICY = ..., or the only one)."""
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    name = f"simpleos_policy_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module          # dataclasses look their module up while the file runs
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - a student's file may raise anything; report it in one line
        raise BadInput(f"{path}: {type(error).__name__}: {error}") from None
    chosen = getattr(module, "POLICY", None)
    if chosen is None:
        found = [obj for obj in vars(module).values()
                 if inspect.isclass(obj) and issubclass(obj, Policy) and obj.__module__ == name]
        if len(found) != 1:
            raise BadInput(f"{path}: define exactly one subclass of simpleos.fleet.Policy, "
                           f"or name it with POLICY = ... (found {len(found)})")
        chosen = found[0]
    if not (inspect.isclass(chosen) and issubclass(chosen, Policy)):
        raise BadInput(f"{path}: POLICY must be a subclass of simpleos.fleet.Policy")
    return chosen


def _factory(cls: type, options: dict, origin: str) -> Callable[[], Policy]:
    """Check the options against the class's parameters once; return a maker of fresh instances."""
    options = {key.replace("-", "_"): value for key, value in options.items()}
    if is_dataclass(cls):
        known = {f.name: f for f in fields(cls) if not f.name.startswith("_")}
        for key, value in options.items():
            if key not in known:
                raise BadInput(f"{origin}: {cls.name} has no parameter {key!r} "
                               f"(it has: {', '.join(known) or 'none'})")
            default = known[key].default
            if default is not MISSING:
                options[key] = _coerce(origin, key, value, default)
    elif options:
        raise BadInput(f"{origin}: {cls.name} takes no parameters")

    def make() -> Policy:
        """A fresh policy with the checked options."""
        try:
            return cls(**options)
        except Exception as error:  # noqa: BLE001 - a student's constructor
            raise BadInput(f"{origin}: cannot create the policy: {type(error).__name__}: {error}") from None
    make()                               # fail now, not in the middle of a comparison
    make.origin = origin
    return make


def _coerce(origin: str, key: str, value, default):
    """A parameter value of the default's type (a list for a tuple default; ints accepted for floats)."""
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not value or not all(_is_number(v) and v > 0 for v in value):
            raise BadInput(f"{origin}: {key} must be a list of positive numbers, not {value!r}")
        return tuple(float(v) for v in value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise BadInput(f"{origin}: {key} must be true or false, not {value!r}")
        return value
    if isinstance(default, (int, float)):
        if not _is_number(value) or value < 0 or (isinstance(default, int) and value != int(value)):
            kind = "a whole number" if isinstance(default, int) else "a number"
            raise BadInput(f"{origin}: {key} must be {kind} >= 0, not {value!r}")
        return type(default)(value)
    return value


def _is_number(value) -> bool:
    """An int or a float, but not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
