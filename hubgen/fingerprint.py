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
import zoneinfo
from collections.abc import Iterable, Mapping
from enum import Enum
from functools import cache
from pathlib import Path

import hubgen

# Libraries whose version changes what a build writes.
LIBRARIES = ("jinja2", "markdown-it-py", "mdit-py-plugins", "pygments", "feedgen", "icalendar")


class Unknown(TypeError):
    """A value of a type fingerprints do not know: its job is always rendered."""


def _hash(*parts: bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(len(part).to_bytes(4, "little"))
        digest.update(part)
    return digest.digest()


@cache
def code() -> str:
    """hubgen's source files and the versions of the libraries that shape its output."""
    package = Path(hubgen.__file__).parent
    parts = [hubgen.__version__.encode()]
    for file in sorted(package.rglob("*")):
        if file.is_file() and file.suffix != ".pyc":
            parts += [file.relative_to(package).as_posix().encode(), file.read_bytes()]
    for name in LIBRARIES:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            parts.append(name.encode())
    return _hash(*parts).hex()


@cache
def _fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


class Fingerprints:
    """Digests of values, each dataclass instance walked once however many jobs show it."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, bytes]] = {}

    def of(self, value: object) -> bytes:
        if isinstance(value, str):  # Markup and str render differently: the type is part of it
            return _hash(type(value).__name__.encode(), value.encode("utf-8", "surrogatepass"))
        if isinstance(value, bytes):
            return _hash(b"bytes", value)
        if value is None or isinstance(value, bool | int | float):
            return _hash(repr(value).encode())
        if isinstance(value, dt.date):  # datetime too; its zone is in the ISO offset and tzinfo
            return _hash(
                b"date", value.isoformat().encode(), repr(getattr(value, "tzinfo", None)).encode()
            )
        if isinstance(value, tuple | list):
            return _hash(b"seq", *(self.of(item) for item in value))
        if isinstance(value, Mapping):
            return _hash(b"map", *(self.of(k) + self.of(v) for k, v in value.items()))
        if isinstance(value, Path | Enum | zoneinfo.ZoneInfo):
            return _hash(type(value).__name__.encode(), str(value).encode())
        if isinstance(value, set | frozenset):
            return _hash(b"set", *sorted(self.of(item) for item in value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            remembered = self._memo.get(id(value))
            if remembered is not None and remembered[0] is value:
                return remembered[1]
            kind = type(value)
            digest = _hash(
                kind.__qualname__.encode(),
                *(self.of(getattr(value, name)) for name in _fields(kind)),
            )
            self._memo[id(value)] = (value, digest)  # the value is kept, so its id stays its own
            return digest
        raise Unknown(f"no fingerprint for {type(value).__name__}")

    def combine(self, parts: Iterable[object]) -> str:
        return _hash(*(self.of(part) for part in parts)).hex()
