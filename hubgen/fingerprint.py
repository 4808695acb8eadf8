"""Fingerprints: short digests of everything an output is made from, to tell what changed.

A render job's fingerprint covers its own fields and context (the posts, groups and pages it
shows, walked field by field), the site config, the templates it can load and hubgen's own code
and libraries. Two jobs with one fingerprint render the same bytes, so an earlier build's file
can be used instead of rendering it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import marshal
import struct
import sys
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

import hubgen

# Libraries whose version changes what a build writes.
LIBRARIES = (
    "jinja2",
    "markdown-it-py",
    "markdown-it-pyrs",
    "mdit-py-plugins",
    "pygments",
    "lxml",  # feed entries of raw HTML
    "icalendar",
)


class Unknown(TypeError):
    """A value of a type fingerprints do not know: its job is always rendered."""


def _hash(tag: bytes, data: bytes = b"") -> bytes:
    """A digest of ``data`` as a value of kind ``tag``. Composite values pass the concatenated
    16-byte digests of their parts as ``data``, so no two values can run into each other."""
    return hashlib.blake2b(tag + b"\0" + data, digest_size=16).digest()


@cache
def code() -> str:
    """hubgen's source files and the versions of the libraries that shape its output."""
    package = Path(hubgen.__file__).parent
    parts = [_hash(b"version", hubgen.__version__.encode())]
    for file in sorted(package.rglob("*")):
        if file.is_file() and file.suffix != ".pyc":
            parts.append(_hash(file.relative_to(package).as_posix().encode(), file.read_bytes()))
    for name in LIBRARIES:
        try:
            parts.append(_hash(name.encode(), importlib.metadata.version(name).encode()))
        except importlib.metadata.PackageNotFoundError:
            parts.append(_hash(name.encode()))
    return _hash(b"code", b"".join(parts)).hex()


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _fields(kind: type) -> tuple[str, ...] | None:
    """The fields of a dataclass, None for any other type."""
    if kind not in _FIELDS:
        dataclass = dataclasses.is_dataclass(kind)
        _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind)) if dataclass else None
    return _FIELDS[kind]


_LENGTH = struct.Struct(">Q")


def _leaf(tag: bytes, data: bytes) -> bytes:
    return tag + _LENGTH.pack(len(data)) + data


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _date(value: dt.date) -> bytes:
    """A date, or a datetime with its zone."""
    return _leaf(b"date", f"{value.isoformat()} {getattr(value, 'tzinfo', None)!r}".encode())


# Exact types, looked up before anything else: most values are one of these.
_LEAVES: dict[type, Callable[[Any], bytes]] = {
    str: lambda v: _leaf(b"s", _text(v)),
    Markup: lambda v: _leaf(b"m", _text(v)),  # Markup and str render differently
    int: lambda v: _leaf(b"i", repr(v).encode()),
    bool: lambda v: _leaf(b"b", repr(v).encode()),
    float: lambda v: _leaf(b"f", repr(v).encode()),
    type(None): lambda v: b"n",
    bytes: lambda v: _leaf(b"y", v),
    dt.datetime: lambda v: _date(v),
    dt.date: lambda v: _date(v),
}


# The references to a value held in one container alone, seen from ``Fingerprints.of``: its
# container, the caller's loop, the argument, ``getrefcount``'s own. Such a value (a heading of
# one post's contents, the tuple of one post's tags) is met again only through its container,
# which is remembered if it is shared, so it is not remembered itself (a third of the memo).
_HELD_ONCE = 4

# Values marshal writes exactly, each with its type (True is not 1, nor '1').
_PLAIN = frozenset({str, int, bool, float, type(None)})


class Fingerprints:
    """Digests of values, each dataclass instance walked once however many jobs show it.

    ``of`` gives an unambiguous encoding of a value: each plain value as a tag, its length and
    its bytes; each tuple or dataclass instance, which cannot change, as the digest of its parts
    (plain ones written by marshal in one call, the others as their own encodings), remembered
    for the next job that shows it.
    """

    def __init__(self, previous: Fingerprints | None = None) -> None:
        self._memo: dict[int, tuple[object, bytes]] = {}
        # the last build's, in ``hubgen serve``: what this build meets again is carried over
        self._previous = previous._memo if previous is not None else {}

    def of(self, value: object) -> bytes:
        leaf = _LEAVES.get(type(value))
        if leaf is not None:
            return leaf(value)
        remembered = self._memo.get(id(value))
        if remembered is None and self._previous:
            remembered = self._previous.get(id(value))
            if remembered is not None and remembered[0] is value:
                self._memo[id(value)] = remembered
        if remembered is not None and remembered[0] is value:
            return remembered[1]
        # Tuples and dataclass instances are immutable: each is walked once, however many jobs
        # show it (a post in every listing, a paginator's pages on every page).
        names = _fields(type(value))
        if names is not None:
            parts = self._parts([getattr(value, name) for name in names])
            encoded = b"#" + _hash(type(value).__qualname__.encode(), parts)
        elif isinstance(value, tuple):
            encoded = b"#" + _hash(b"tuple", self._parts(value))
        elif type(value) is dict:  # mutable: never remembered
            return _leaf(b"map", self._parts([x for item in value.items() for x in item]))
        else:
            return self._other(value)
        if sys.getrefcount(value) > _HELD_ONCE:  # shared, so likely to be met again
            self._memo[id(value)] = (value, encoded)  # kept, so that its id stays its own
        return encoded

    def learn(self, value: object, encoded: bytes) -> None:
        """Take ``encoded`` as what ``of(value)`` is: what another process's ``of`` gave for an
        equal value (a post made again where its body was rendered)."""
        self._memo[id(value)] = (value, encoded)

    def _parts(self, items: Iterable[object]) -> bytes:
        """Plain parts go to marshal as they are (it keeps their types apart and refuses their
        subclasses); any other part as its encoding, which is bytes, unlike a plain part."""
        return marshal.dumps([i if type(i) in _PLAIN else self.of(i) for i in items], 2)

    def _other(self, value: object) -> bytes:
        if isinstance(value, str):
            return _leaf(type(value).__name__.encode(), _text(value))
        if value is None or isinstance(value, bool | int | float):
            return _leaf(type(value).__name__.encode(), repr(value).encode())
        if isinstance(value, dt.date):
            return _date(value)
        if isinstance(value, Path | Enum | zoneinfo.ZoneInfo):
            return _leaf(type(value).__name__.encode(), str(value).encode())
        if isinstance(value, set | frozenset):
            return _leaf(b"set", b"".join(sorted(self.of(item) for item in value)))
        if isinstance(value, list):  # mutable: never remembered
            return _leaf(b"list", self._parts(value))
        if isinstance(value, Mapping):
            return _leaf(b"map", self._parts([x for item in value.items() for x in item]))
        raise Unknown(f"no fingerprint for {type(value).__name__}")

    def combine(self, parts: Iterable[object]) -> str:
        return _hash(b"all", b"".join([self.of(part) for part in parts])).hex()
