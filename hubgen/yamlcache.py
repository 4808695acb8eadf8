"""Remembered YAML: what loading a text gave, kept between builds in the build cache.

Parsing 10,000 front matters with their positions is most of reading a large hub; a rebuild finds
nearly all of them unchanged. An entry is keyed by the text itself (its digest), so a file that
changes misses, and holds the data, where each key and value stands, and the warnings, in plain
lists with tags for what they lack (dates, sets, bytes), marshalled: an entry is a few hundred
bytes until it is used (its lists would be ten times that). A value it cannot encode is simply
not kept.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import marshal
import math
from collections.abc import Iterator, Mapping
from typing import Any

Warning_ = tuple[int, int, str, str, str]  # line, column, message, hint, severity
Positions = Mapping[tuple[str | int, ...], tuple[int, int]]
Loaded = tuple[Any, Positions, Positions, tuple[int, int], list[Warning_]]


def pack(positions: Positions) -> bytes:
    """Positions as a few hundred bytes (see ``Packed``)."""
    if isinstance(positions, Packed):
        return positions.packed
    return marshal.dumps([[list(path), *position] for path, position in positions.items()])


class Packed(Mapping[tuple[str | int, ...], tuple[int, int]]):
    """Positions kept marshalled until one is looked up, which is seldom: they say where a
    problem is. Unpacked, a post's take kilobytes; 10,000 posts' tens of megabytes."""

    __slots__ = ("_positions", "packed")

    def __init__(self, packed: bytes) -> None:
        self.packed = packed
        self._positions: dict[tuple[str | int, ...], tuple[int, int]] | None = None

    def __reduce__(self) -> tuple[type[Packed], tuple[bytes]]:
        # as its bytes alone: the default of a class with slots sets them one by one in Python,
        # 12 µs where this takes 1 (a worker's posts come back to the build's process so)
        return (Packed, (self.packed,))

    def _unpacked(self) -> dict[tuple[str | int, ...], tuple[int, int]]:
        if self._positions is None:
            # packed by this process, or read from a cache file whose checksum matched
            found = marshal.loads(self.packed)  # noqa: S302  # nosec
            self._positions = {tuple(path): (line, column) for path, line, column in found}
        return self._positions

    def __getitem__(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        return self._unpacked()[path]

    def __iter__(self) -> Iterator[tuple[str | int, ...]]:
        return iter(self._unpacked())

    def __len__(self) -> int:
        return len(self._unpacked())


def key(text: str, line_offset: int) -> str:
    return hashlib.blake2b(f"{line_offset}\0{text}".encode(), digest_size=16).hexdigest()


def _encode(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in (str, bool, int):
        return value
    if kind is float:
        return value if math.isfinite(value) else ["f", repr(value)]
    if kind is list:
        return ["l", [_encode(item) for item in value]]
    if kind is dict:
        return ["d", [[_encode(k), _encode(v)] for k, v in value.items()]]
    if kind is dt.datetime:
        return ["T", value.isoformat()]
    if kind is dt.date:
        return ["D", value.isoformat()]
    if kind is bytes:
        return ["b", base64.b64encode(value).decode("ascii")]
    if kind is set:
        return ["s", [_encode(item) for item in value]]
    raise TypeError(f"no JSON for {kind.__name__}")


def _decode(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    tag, body = value
    if tag == "l":
        return [_decode(item) for item in body]
    if tag == "d":
        return {_decode(k): _decode(v) for k, v in body}
    if tag == "T":
        return dt.datetime.fromisoformat(body)
    if tag == "D":
        return dt.date.fromisoformat(body)
    if tag == "f":
        return float(body)
    if tag == "b":
        return base64.b64decode(body)
    if tag == "s":
        return {_decode(item) for item in body}
    raise ValueError(f"unknown tag {tag!r}")


class YamlMemo:
    """Entries known from the last build, and those this build looked up or added."""

    def __init__(
        self, known: dict[str, Any] | None = None, loaded: frozenset[str] | None = None
    ) -> None:
        self.known: dict[str, Any] = known if known is not None else {}
        # what the cache file held: rewritten only if it differs
        self.loaded = loaded if loaded is not None else frozenset(self.known)
        self.used: dict[str, Any] = {}
        self.log: list[tuple[str, Any]] = []  # ``used`` in the order it grew

    def use(self, name: str, entry: Any) -> None:
        """Count an entry as used by this build, and know it (one a worker process found)."""
        self.known[name] = entry
        if name not in self.used:
            self.used[name] = entry
            self.log.append((name, entry))

    def get(self, text: str, line_offset: int) -> Loaded | None:
        """(data, key positions, value positions, start, warnings) as loading gave them."""
        name = key(text, line_offset)
        entry = self.known.get(name)
        if entry is None:
            return None
        try:
            # from this process, or from a cache file whose checksum matched
            data, keys, values, start, warnings = marshal.loads(entry)  # noqa: S302  # nosec
            result = (
                _decode(data),
                Packed(bytes(keys)),
                Packed(bytes(values)),
                (int(start[0]), int(start[1])),
                [(int(a), int(b), str(c), str(d), str(e)) for a, b, c, d, e in warnings],
            )
        except (ValueError, TypeError, KeyError, IndexError, EOFError):
            return None
        self.use(name, entry)
        return result

    def put(
        self,
        text: str,
        line_offset: int,
        data: Any,
        keys: Positions,
        values: Positions,
        start: tuple[int, int],
        warnings: list[Warning_],
    ) -> tuple[str, Any] | None:
        """Remember one load; the (key, entry) kept, or None when it cannot be kept."""
        try:
            entry = marshal.dumps(
                [_encode(data), pack(keys), pack(values), list(start), [list(w) for w in warnings]]
            )
        except (TypeError, ValueError, RecursionError):
            return None
        name = key(text, line_offset)
        self.use(name, entry)
        return name, entry
