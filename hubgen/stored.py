"""Values of a build kept as plain data, for a later process to take up again (see ``resume``).

A build's jobs hold the site's records (posts, groups, tags, paginators, feed channels) in
contexts of dicts, lists and tuples. ``Encoder`` turns them into data marshal can write: plain
values as they are, everything else as a list whose first item says what it is. Only the types
named here are written, and only they are made again, from their fields, so reading a stored
value never runs code it names. Posts are written once each, and referred to by their number;
their bodies by their key in the build cache. Other records are written once and
referred to by their index, so a value shared by many jobs is one value again once read.

A ``Decoder`` makes values again as they are asked for: a quick build reads the few jobs it
renders, not the site.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import marshal
import operator
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PosixPath, PurePosixPath
from typing import Any

from markupsafe import Markup

from hubgen.calendars import Agenda
from hubgen.feeds import Channel
from hubgen.groupspec import Join, Location, Meetings, Milestone, Organizer
from hubgen.models import (
    Author,
    Facet,
    Group,
    GroupRef,
    Page,
    Post,
    Rendered,
    TagRef,
    TocEntry,
)
from hubgen.outputs import Alternate, RenderJob
from hubgen.plan import Paginator

# the records a stored value may hold, by name
KNOWN: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Agenda,
        Alternate,
        Author,
        Channel,
        Facet,
        Group,
        GroupRef,
        Join,
        Location,
        Meetings,
        Milestone,
        Organizer,
        Page,
        Paginator,
        RenderJob,
        TagRef,
        TocEntry,
    )
}
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in KNOWN.items()}
_POST_FIELDS = tuple(f.name for f in dataclasses.fields(Post))
_CONTENT = _POST_FIELDS.index("content")
_PLAIN = frozenset((str, int, float, bool, type(None)))


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields of a record, in order, as a tuple (attrgetter gives one value for one name)."""
    get = operator.attrgetter(*names)
    return get if len(names) > 1 else lambda value: (get(value),)


_GET = {name: _getter(names) for name, names in _FIELDS.items()}
_GET_POST = _getter(_POST_FIELDS)

# what a stored list is: its first item
(
    MARKUP,
    TUPLE,
    LIST,
    DICT,
    SET,
    FROZENSET,
    DATE,
    DATETIME,
    TIME,
    PATH,
    POST,
    RECORD,
    BODY,
    INLINE,
) = range(14)


_SHARED = 8  # tuples, lists and dicts this long are written once, however often they are met


class Unstorable(Exception):
    """A value of a kind this module does not store."""


def _zone(value: dt.tzinfo | None) -> object:
    if value is None:
        return None
    if isinstance(value, zoneinfo.ZoneInfo) and type(value) is zoneinfo.ZoneInfo:
        return value.key
    if type(value) is dt.timezone:
        offset = value.utcoffset(None)
        name = value.tzname(None)
        default = dt.timezone(offset).tzname(None)
        return [offset.days * 86400 + offset.seconds, None if name == default else name]
    raise Unstorable(type(value).__name__)


def _unzone(value: str | list[Any] | None) -> dt.tzinfo | None:
    if value is None:
        return None
    if isinstance(value, str):
        return zoneinfo.ZoneInfo(value)
    seconds, name = value  # [seconds east of UTC, the name or None]
    offset = dt.timedelta(seconds=seconds)
    return dt.timezone(offset, name) if name is not None else dt.timezone(offset)


class Encoder:
    """Turns values into data, putting the records and posts they hold, each marshalled apart,
    with ``put`` (which gives where each went: see ``cache.Chunks``). Posts are numbered as they
    are met: ``add`` the site's posts first, and their numbers are their places in it."""

    def __init__(
        self,
        bodies: Mapping[int, str],
        put: Callable[[bytes], int],
        start: int = 0,
        numbers: Mapping[str, int] | None = None,
    ) -> None:
        self.bodies = bodies  # id of a body's HTML -> its key in the build cache
        self.put = put
        self.start = start  # the number of the first record, after those stored already
        self.records: list[int] = []  # where each record went
        self.posts: list[int] = []  # where each post went
        self.numbers: dict[str, int] = dict(numbers or {})  # each post's, by source
        self._index: dict[int, int] = {}
        self._reach: list[frozenset[int]] = []  # the posts each record holds, however deep
        self._held: list[object] = []  # values known by id: alive until the encoder is done

    def add(self, post: Post) -> int:
        """The number of ``post``, written the first time it is met."""
        number = self.numbers.get(post.source)
        if number is None:
            number = self.numbers[post.source] = len(self.numbers)
            self.posts.append(self.put(marshal.dumps(self.post(post))))
        return number

    def value(self, value: Any, found: set[int]) -> Any:
        """``value`` as data; the numbers of the posts it holds are added to ``found``."""
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is Post:
            number = self.add(value)
            found.add(number)
            return [POST, number]
        if kind is tuple or kind is list:
            if len(value) < _SHARED:
                return [TUPLE if kind is tuple else LIST, *self._each(value, found)]
            return self._record(value, found)
        if kind is dict:
            if len(value) < _SHARED:
                return [DICT, *self._each([x for item in value.items() for x in item], found)]
            return self._record(value, found)
        if kind is Markup:
            return [MARKUP, str(value)]
        if kind is dt.datetime:
            v = value
            zone = _zone(v.tzinfo)
            return [
                DATETIME,
                v.year,
                v.month,
                v.day,
                v.hour,
                v.minute,
                v.second,
                v.microsecond,
                zone,
                v.fold,
            ]
        if kind is dt.date:
            return [DATE, value.toordinal()]
        if kind is set or kind is frozenset:
            return [SET if kind is set else FROZENSET, *self._each(value, found)]
        if kind is dt.time:
            return [TIME, value.hour, value.minute, value.second, value.microsecond]
        if kind is PosixPath or kind is PurePosixPath:
            return [PATH, kind is PosixPath, str(value)]
        if kind is TocEntry:  # one post's own: not shared, so not worth a record
            return [INLINE, value.level, value.id, value.title]
        if KNOWN.get(kind.__name__) is not kind:
            raise Unstorable(kind.__name__)
        return self._record(value, found)

    def _each(self, values: Iterable[Any], found: set[int]) -> list[Any]:
        # plain values are most values: taken as they are, without a call
        plain, encode = _PLAIN, self.value
        return [v if type(v) in plain else encode(v, found) for v in values]

    def _record(self, value: Any, found: set[int]) -> list[Any]:
        """A record, or a long tuple, list or dict: written once, then referred to (pages of a
        listing share the tuple of all its pages' URLs)."""
        index = self._index.get(id(value))
        if index is None:
            inner: set[int] = set()
            kind = type(value)
            if kind is dict:
                entry = ["", [DICT, *self._each([x for i in value.items() for x in i], inner)]]
            elif kind is tuple or kind is list:
                entry = ["", [TUPLE if kind is tuple else LIST, *self._each(value, inner)]]
            else:
                name = kind.__name__
                entry = [name, *self._each(_GET[name](value), inner)]
            index = self.start + len(self.records)
            self.records.append(self.put(marshal.dumps(entry)))
            self._reach.append(frozenset(inner))
            self._index[id(value)] = index
            self._held.append(value)
        reach = self._reach[index - self.start]
        if reach:
            found |= reach
        return [RECORD, index]

    def post(self, post: Post) -> list[Any]:
        """A post's fields; its body by its key in the build cache when it has one."""
        fields = list(_GET_POST(post))
        key = self.bodies.get(id(fields[_CONTENT]))
        if key is not None:
            fields[_CONTENT] = None
        fields = self._each(fields, set())
        if key is not None:
            fields[_CONTENT] = [BODY, key]
        return fields


class Missing(Exception):
    """A body the build cache no longer has."""


class Decoder:
    """Makes values again from data written by an ``Encoder``, each record once, loading only
    the records and posts asked for (``load`` loads the piece at an offset)."""

    def __init__(
        self,
        load: Callable[[int], Any],
        records: Sequence[int],
        posts: Sequence[int],
        body: Callable[[str], Rendered | None],
        given: Mapping[int, Post] | None = None,
    ) -> None:
        self.load = load
        self.records = records
        self.stored_posts = posts
        self.body = body
        self._made: dict[int, object] = {}
        self._posts: dict[int, Post] = dict(given or {})  # posts made (or given) by number

    def post(self, number: int) -> Post:
        known = self._posts.get(number)
        if known is None:
            stored = self.load(self.stored_posts[number])
            values = [self._field(v) for v in stored]
            known = _make(Post, _POST_FIELDS, values)
            self._posts[number] = known
        return known

    def _field(self, value: Any) -> Any:
        if type(value) is list and value and value[0] == BODY:
            rendered = self.body(value[1])
            if rendered is None:
                raise Missing(value[1])
            return rendered.html
        return self.value(value)

    def value(self, value: Any) -> Any:
        if type(value) is not list:
            return value
        kind, items = value[0], value[1:]
        if kind == RECORD:
            index = items[0]
            made: Any = self._made.get(index)
            if made is None:
                name, *fields = self.load(self.records[index])
                if name:
                    made = _make(KNOWN[name], _FIELDS[name], [self.value(v) for v in fields])
                else:
                    made = self.value(fields[0])
                self._made[index] = made
            return made
        if kind == POST:
            return self.post(items[0])
        if kind == TUPLE:
            return tuple(self.value(v) for v in items)
        if kind == LIST:
            return [self.value(v) for v in items]
        if kind == DICT:
            return {
                self.value(k): self.value(v) for k, v in zip(items[::2], items[1::2], strict=True)
            }
        if kind == INLINE:
            return _make(TocEntry, _FIELDS["TocEntry"], items)
        if kind == MARKUP:
            return Markup(items[0])  # noqa: S704  # nosec: escaped when it was made
        if kind == SET:
            return {self.value(v) for v in items}
        if kind == FROZENSET:
            return frozenset(self.value(v) for v in items)
        if kind == DATETIME:
            year, month, day, hour, minute, second, micro, zone, fold = items
            return dt.datetime(
                year, month, day, hour, minute, second, micro, tzinfo=_unzone(zone), fold=fold
            )
        if kind == DATE:
            return dt.date.fromordinal(items[0])
        if kind == TIME:
            return dt.time(*items)
        if kind == PATH:
            return Path(items[1]) if items[0] else PurePosixPath(items[1])
        raise ValueError(f"not a stored value: {kind}")


def job_field(load: Callable[[int], Any], records: Sequence[int], job: Any, name: str) -> Any:
    """A field of a stored job, which is plain data (its path, its source), without making the
    job."""
    return load(records[job[1]])[1 + _FIELDS["RenderJob"].index(name)]


def _make(cls: type, names: tuple[str, ...], values: list[Any]) -> Any:
    """A frozen record of ``cls`` with these fields, as it was: not validated or computed again
    (pydantic's dataclasses would check their fields again on __init__)."""
    made: Any = object.__new__(cls)
    made.__dict__.update(zip(names, values, strict=True))
    return made
