"""The kernel's Python state as bytes, and back: the half of a checkpoint that is not RAM.

A checkpoint (checkpoints.py) must hold everything a running kernel knows --
processes, the scheduler's queue, pipes, timers, the sensor's queue, the
RAM disk, the console -- so that the machine can go on from there exactly
as it did the first time. That state is a graph of ordinary Python
objects, with a few closures (a blocked system call waits on a function
over its arguments) and a few objects that must not be copied: the CPU and
its RAM (their state is copied by machine/ramstate.py, and a restore puts
it back into the CPU running now), the debugger, the disk snapshot,
assembled images (never changed once made).

freeze() pickles the graph with those objects replaced by names, and
closures by their code and cells; thaw() builds a fresh, independent copy
in which the names are resolved to the objects given then -- so thawing
the same bytes twice gives two copies that share nothing mutable. A state
that cannot be pickled raises StateNotCopyable (the caller replays from
power-on instead). Copying only: it never runs the machine.
"""
from __future__ import annotations

import io
import pickle
import sys
import types

from ..assembler import Image


class StateNotCopyable(Exception):
    """Something in the kernel's state cannot be copied (then time travel replays instead)."""


def freeze(root, shared: dict[str, object], kept: dict[int, object]) -> bytes:
    """Bytes for `root`; the objects in `shared` (name -> object) are stored by name, code
    objects and images by identity: they go into `kept`, which thaw() needs too."""
    buffer = io.BytesIO()
    try:
        _Freezer(buffer, {id(value): name for name, value in shared.items()}, kept).dump(root)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError) as error:
        raise StateNotCopyable(str(error)) from error
    return buffer.getvalue()


def thaw(data: bytes, shared: dict[str, object], kept: dict[int, object]):
    """A new copy of what freeze() stored, with the names of `shared` resolved."""
    return _Thawer(io.BytesIO(data), shared, kept).load()


class _Freezer(pickle.Pickler):
    def __init__(self, file, shared_names: dict[int, str], kept: dict[int, object]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared_names = shared_names
        self._kept = kept

    def reducer_override(self, obj):
        """Shared objects by name, images by identity, closures by code and cells."""
        name = self._shared_names.get(id(obj))
        if name is not None:
            return _shared, (name,)
        kind = type(obj)
        if isinstance(obj, Image):             # an assembled image or a loaded ELF: never changed
            self._kept[id(obj)] = obj
            return _kept, (id(obj),)
        if kind is types.FunctionType and (obj.__closure__ is not None or "<locals>" in obj.__qualname__):
            self._kept[id(obj.__code__)] = obj.__code__
            return _function_reduction(obj)
        if kind is types.CellType:
            return _new_cell, (), _cell_contents(obj), None, None, _fill_cell
        return NotImplemented


class _Thawer(pickle.Unpickler):
    def __init__(self, file, shared: dict[str, object], kept: dict[int, object]) -> None:
        super().__init__(file)
        self._shared = shared
        self._kept = kept

    def find_class(self, module: str, name: str):
        if module == __name__ and name == "_shared":
            return self._shared.__getitem__
        if module == __name__ and name == "_kept":
            return self._kept.__getitem__
        if module == __name__ and name == "_new_function":
            return lambda code_key, module_name, cells: _new_function(self._kept[code_key], module_name, cells)
        return super().find_class(module, name)


def _shared(name: str):
    """Stands for a shared object in the bytes (_Thawer resolves it)."""
    raise StateNotCopyable(f"{name} is only known while thawing")


def _kept(key: int):
    """Stands for a kept object in the bytes (_Thawer resolves it)."""
    raise StateNotCopyable(f"object {key} is only known while thawing")


def _function_reduction(function: types.FunctionType):
    """How to pickle a function that is not a plain module-level one: its code (kept here,
    by identity), its module's globals (by module name) and its cells."""
    module = function.__module__
    if sys.modules.get(module) is None or sys.modules[module].__dict__ is not function.__globals__:
        raise pickle.PicklingError(f"{function.__qualname__}: its globals are not a module's")
    cells = function.__closure__ or ()
    state = (function.__defaults__, function.__kwdefaults__, dict(function.__dict__), function.__qualname__,
             [_cell_contents(cell) for cell in cells])
    return _new_function, (id(function.__code__), module, len(cells)), state, None, None, _fill_function


def _new_function(code: types.CodeType, module: str, cell_count: int) -> types.FunctionType:
    """A function of `code` in `module` with empty cells (_fill_function fills them)."""
    closure = tuple(types.CellType() for _ in range(cell_count)) if cell_count else None
    return types.FunctionType(code, sys.modules[module].__dict__, code.co_name, None, closure)


def _fill_function(function: types.FunctionType, state) -> None:
    defaults, keyword_defaults, attributes, qualname, contents = state
    function.__defaults__, function.__kwdefaults__, function.__qualname__ = defaults, keyword_defaults, qualname
    function.__dict__.update(attributes)
    for cell, content in zip(function.__closure__ or (), contents):
        _fill_cell(cell, content)


def _new_cell() -> types.CellType:
    return types.CellType()


def _cell_contents(cell: types.CellType) -> tuple[bool, object]:
    try:
        return True, cell.cell_contents
    except ValueError:                       # a cell not yet assigned
        return False, None


def _fill_cell(cell: types.CellType, content: tuple[bool, object]) -> None:
    full, value = content
    if full:
        cell.cell_contents = value
