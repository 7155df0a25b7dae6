"""simpleos/record.py: record classes declared like dataclasses, built without them."""
from __future__ import annotations

import dataclasses
import pickle

import pytest

from simpleos.record import FrozenInstanceError, dataclass, field, replace


@dataclass
class Point:
    """A record with a default and a default factory."""
    x: int
    y: int = 0
    tags: list = field(default_factory=list)
    LIMIT = 10                                 # not annotated: a class attribute, not a field

    def norm(self) -> int:
        return abs(self.x) + abs(self.y)


@dataclass(frozen=True)
class Key:
    name: str
    number: int = 1


@dataclass(eq=False)
class Node:
    value: int


class Failure(Exception):
    pass


@dataclass
class Stop(Failure):
    code: int
    reason: str = ""


@dataclasses.dataclass
class StandardPoint:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list)


def test_init_repr_eq_as_dataclasses_make_them():
    assert Point(1) == Point(1, 0, []) == Point(x=1, tags=[])
    assert Point(1, 2).norm() == 3 and Point.LIMIT == 10
    assert repr(Point(1, 2, ["a"])) == repr(StandardPoint(1, 2, ["a"])).replace("StandardPoint", "Point")
    first, second = Point(1), Point(1)
    first.tags.append("x")
    assert second.tags == [], "a factory runs per instance"
    assert Point(1) != Point(2) and Point(1) != (1, 0, [])
    with pytest.raises(TypeError):
        hash(Point(1))


def test_frozen_records_hash_and_eq_false_records_compare_by_identity():
    assert {Key("a"): 1}[Key("a", 1)] == 1 and Key("a") != Key("a", 2)
    node = Node(1)
    assert node != Node(1) and node == node and {node: 1}[node] == 1


def test_missing_extra_and_unknown_arguments_are_type_errors():
    with pytest.raises(TypeError):
        Point()
    with pytest.raises(TypeError):
        Point(1, 2, [], 4)
    with pytest.raises(TypeError):
        Point(1, z=3)


def test_exceptions_and_pickling():
    stop = Stop(3, "why")
    assert isinstance(stop, Exception) and (stop.code, stop.reason) == (3, "why")
    assert pickle.loads(pickle.dumps(Point(1, 2, ["t"]))) == Point(1, 2, ["t"])
    assert pickle.loads(pickle.dumps(Key("k"))) == Key("k")


def test_frozen_records_are_read_only_and_replace_makes_changed_copies():
    key = Key("k")
    with pytest.raises(FrozenInstanceError):
        key.number = 2
    with pytest.raises(AttributeError):
        del key.name
    assert replace(key, number=2) == Key("k", 2) and key == Key("k", 1)
    point = Point(1, 2)
    point.x = 5                                # not frozen: assignable
    assert replace(point, y=7) == Point(5, 7)
