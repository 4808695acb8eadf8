"""The domain: frozen records of everything a hub is made of. Relations are slugs or small refs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from markupsafe import Markup

from hubgen.groupspec import Join, Location, Meetings, Milestone, Organizer


@dataclass(frozen=True)
class TocEntry:
    level: int
    id: str
    title: str


@dataclass(frozen=True)
class Facet:
    """A value things are filed under (a tag, a topic, a country) with its page and count."""

    name: str
    slug: str
    url: str
    count: int = 0


@dataclass(frozen=True)
class TagRef:
    """A post's tag: its name (the most used spelling) and page. Its count is the tag's in
    ``Site.tags``: a post holds none, so that tagging one post changes no other post."""

    name: str
    slug: str
    url: str


@dataclass(frozen=True)
class Author:
    slug: str
    name: str
    url: str
    bio: str = ""
    avatar: str | None = None
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GroupRef:
    slug: str
    name: str
    url: str


@dataclass(frozen=True)
class Rendered:
    """A Markdown or HTML body turned into HTML, with what listings need from it."""

    html: Markup
    summary: str
    toc: tuple[TocEntry, ...]
    word_count: int
    fragments: tuple[tuple[int, str], ...] = ()  # (line, href) of links to '#anchors' in the site


class Noted:
    """What the templates read from posts while one job renders, in a session that notes it
    (``hubgen serve``, for its quick builds: see ``quick``): attribute names, and '*' when a post
    was turned into text whole. None when nothing is noted."""

    reads: set[str] | None = None


@dataclass(frozen=True, repr=False)
class Post:
    source: str
    slug: str
    url: str
    title: str
    date: dt.datetime
    updated: dt.datetime | None
    summary: str
    content: Markup
    toc: tuple[TocEntry, ...]
    word_count: int
    tags: tuple[TagRef, ...]
    authors: tuple[Author, ...]
    groups: tuple[GroupRef, ...]
    draft: bool = False
    future: bool = False  # dated after the build's 'now': only in a build with --future
    image: str | None = None
    id: str | None = None  # front matter 'id': the permanent id of its feed entries
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def reading_time(self) -> int:
        """Minutes to read, at 220 words a minute, never less than one."""
        return max(1, round(self.word_count / 220))

    def __repr__(self) -> str:  # as a dataclass's, noting that all of it was read
        if Noted.reads is not None:
            Noted.reads.add("*")
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"{type(self).__qualname__}({shown})"


@dataclass(frozen=True)
class Page:
    source: str
    slug: str
    url: str
    title: str
    summary: str
    content: Markup
    toc: tuple[TocEntry, ...]
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Group:
    source: str
    slug: str
    url: str
    name: str
    summary: str
    description: Markup
    kind: str | None
    topics: tuple[Facet, ...]
    audience: tuple[str, ...]
    format: str | None
    format_facet: Facet | None
    location: Location | None
    country_facet: Facet | None
    timezone: str | None
    meetings: Meetings | None
    size: int | None
    capacity: int | None
    status: str | None
    join: Join | None
    organizers: tuple[Organizer, ...]
    founded: dt.date | None
    ground_rules: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    milestones: tuple[Milestone, ...]
    zone: str = "UTC"  # the time zone its meetings are in: its own, else the site's

    @property
    def ref(self) -> GroupRef:
        return GroupRef(self.slug, self.name, self.url)

    @property
    def schedule(self) -> str | None:
        """The meetings in words with their time zone: 'Every Tuesday, 17:30–19:00 Europe/Oslo'."""
        return f"{self.meetings.text} {self.zone}" if self.meetings is not None else None

    @property
    def meets(self) -> bool:
        """Whether the group has upcoming meetings: it has a schedule and is not paused or retired."""
        return self.meetings is not None and self.status not in ("paused", "retired")
