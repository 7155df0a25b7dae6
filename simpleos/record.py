"""Plain record classes, declared like dataclasses, made without dataclasses: for start-up speed.

`@dataclass` writes each class's __init__, __repr__ and __eq__ as source text
and exec()s it while the module is imported -- about half a millisecond a
class -- and importing `dataclasses` pulls in `inspect`, some 10 ms more.
Every `simpleos` command pays that on every start, for the 30-odd record
classes a boot imports. This module keeps their declarations exactly as
they were (`@dataclass`, annotations, `field(default_factory=...)`,
`frozen=True`, `eq=False`) and builds the same three methods from ordinary
functions instead, with no code generation:

  __init__   positional or keyword arguments in field order, defaults and
             default factories (a factory runs per instance, as in dataclasses)
  __repr__   ClassName(field=value, ...)
  __eq__     same class and equal fields (unless eq=False: identity);
             frozen classes also hash by their fields
  frozen     instances are read-only: assigning or deleting an attribute
             raises FrozenInstanceError (an AttributeError, as in dataclasses)

and `replace(record, **changes)`, a copy with some fields changed. It does
not support the rest of the dataclasses API (InitVar, __post_init__, asdict,
...): nothing here uses them; code that needs them imports `dataclasses`
(simpleos/compare.py does).
"""
from __future__ import annotations

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """An attempt to change a field of a frozen record (dataclasses' error of the same name)."""


class _Field:
    """What field() returns: a default or a default factory for one field."""

    def __init__(self, default=_MISSING, default_factory=_MISSING) -> None:
        self.default = default
        self.default_factory = default_factory


def field(*, default=_MISSING, default_factory=_MISSING):
    """A field with a default (`default`) or a default made per instance (`default_factory`)."""
    return _Field(default, default_factory)


def replace(record, **changes):
    """A copy of `record` with some fields changed (as dataclasses.replace)."""
    values = {name: getattr(record, name) for name in record._record_fields}
    values.update(changes)
    return type(record)(**values)


def dataclass(cls=None, *, frozen: bool = False, eq: bool = True):
    """Make `cls` a record class (see the module docstring); usable as @dataclass or @dataclass(...)."""
    def make(klass):
        _build(klass, frozen=frozen, eq=eq)
        return klass
    return make(cls) if cls is not None else make


def _build(klass, *, frozen: bool, eq: bool) -> None:
    """Give `klass` __init__, __repr__ and (unless eq=False) __eq__ from its annotated fields."""
    names: list[str] = []
    defaults: dict[str, object] = {}
    for base in reversed(klass.__mro__[1:]):             # fields of record base classes come first
        for name in getattr(base, "_record_fields", ()):
            if name not in names:
                names.append(name)
            if name in base._record_defaults:
                defaults[name] = base._record_defaults[name]
    for name in klass.__dict__.get("__annotations__", {}):
        if name not in names:
            names.append(name)
        value = klass.__dict__.get(name, _MISSING)
        if isinstance(value, _Field):
            defaults[name] = value
            if value.default is not _MISSING:
                setattr(klass, name, value.default)
            else:
                delattr(klass, name)
        elif value is not _MISSING:
            defaults[name] = _Field(default=value)
    klass._record_fields = tuple(names)
    klass._record_defaults = defaults
    klass.__init__ = _initializer(tuple(names), defaults)
    klass.__repr__ = _repr
    if eq:
        klass.__eq__ = _eq
        klass.__hash__ = _hash if frozen else None
    if frozen:
        klass.__setattr__ = _refuse_assignment
        klass.__delattr__ = _refuse_deletion


def _initializer(names: tuple[str, ...], defaults: dict[str, _Field]):
    """An __init__ that takes `names` positionally or by keyword. (Records are made on hot
    paths -- a time slice, a syscall's event -- so the defaults are looked up once, here:
    `plain_rest[n]` holds the defaults of the fields after the first n when none of them is
    required or made by a factory, for a call with n positional arguments and no keywords.)"""
    count = len(names)
    specs = tuple((name, defaults.get(name)) for name in names)
    plain_rest = []
    for given in range(count + 1):
        rest = specs[given:]
        plain = all(spec is not None and spec.default_factory is _MISSING for _, spec in rest)
        plain_rest.append({name: spec.default for name, spec in rest} if plain else None)
    plain_rest = tuple(plain_rest)

    def __init__(self, *args, **kwargs):
        given = len(args)
        values = self.__dict__
        if not kwargs and given <= count:
            rest = plain_rest[given]
            if rest is not None:                       # positional arguments, plain defaults
                values.update(zip(names, args))
                values.update(rest)
                return
        if given > count:
            raise TypeError(f"{type(self).__name__}() takes {count} arguments, {given} given")
        if given:
            values.update(zip(names, args))
        for name, spec in specs[given:]:
            if kwargs and name in kwargs:
                values[name] = kwargs.pop(name)
                continue
            if spec is None:
                raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
            values[name] = spec.default if spec.default_factory is _MISSING else spec.default_factory()
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got an unexpected argument {next(iter(kwargs))!r}")
    return __init__


def _repr(self) -> str:
    fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_fields)
    return f"{type(self).__qualname__}({fields})"


def _eq(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    return all(getattr(self, name) == getattr(other, name) for name in self._record_fields)


def _hash(self) -> int:
    return hash(tuple(getattr(self, name) for name in self._record_fields))


def _refuse_assignment(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_deletion(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r}")
