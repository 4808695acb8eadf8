"""Output formats as data: which page kinds are written in which formats, and where each goes.

A page is always written as HTML through its template. The table ``PAGE_FORMATS`` says which
page kinds are also written as feeds or calendars; each format names the producer that writes it,
so the plan emits one job per (page, format) and the renderer dispatches on the format alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hubgen import calendars, feeds
from hubgen.calendars import Agenda
from hubgen.config import FeedOptions, SiteConfig
from hubgen.feeds import Channel
from hubgen.routes import beside, url
from hubgen.site import Site


@dataclass(frozen=True)
class RenderJob:
    """One output file: where it goes, which template renders it, and with what."""

    path: str  # site path without base_url's path, e.g. '/2025/03/first-meeting/'
    template: str
    kind: str
    source: str  # the file (or collection) this page comes from, for messages
    title: str
    description: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    lastmod: dt.datetime | None = None
    in_sitemap: bool = True
    format: str = "html"  # a name in outputs.FORMATS: HTML goes through ``template``


Producer = Callable[[str, Mapping[str, Any], Site], bytes]


@dataclass(frozen=True)
class OutputFormat:
    name: str
    label: str  # what readers see: "Atom"
    file_name: str  # beside the page: '/tags/x/' + 'atom.xml'; "" for the page itself
    media_type: str
    role: Literal["page", "feed", "calendar"]
    produce: Producer | None  # None: the page's Jinja template


HTML = OutputFormat("html", "HTML", "", "text/html", "page", None)
RSS = OutputFormat("rss", "RSS", "rss.xml", "application/rss+xml", "feed", feeds.rss)
ATOM = OutputFormat("atom", "Atom", "atom.xml", "application/atom+xml", "feed", feeds.atom)
JSON_FEED = OutputFormat(
    "json", "JSON Feed", "feed.json", "application/feed+json", "feed", feeds.json_feed
)
ICALENDAR = OutputFormat(
    "ics", "iCalendar", "meetings.ics", "text/calendar", "calendar", calendars.meetings_calendar
)
FORMATS: Mapping[str, OutputFormat] = {f.name: f for f in (HTML, RSS, ATOM, JSON_FEED, ICALENDAR)}

# Page kinds written in more than HTML. Every other kind is HTML only.
PAGE_FORMATS: Mapping[str, tuple[str, ...]] = {
    "home": ("html", "rss", "atom", "json"),
    "tag": ("html", "rss", "atom", "json"),
    "author": ("html", "rss", "atom", "json"),
    "group": ("html", "rss", "atom", "json", "ics"),
    "groups": ("html", "rss", "atom", "json", "ics"),
}
# The name site.yaml's ``feeds.include`` uses for each page kind's feed.
FEED_NAMES: Mapping[str, str] = {
    "home": "site",
    "tag": "tags",
    "author": "authors",
    "group": "groups",
    "groups": "directory",
}
ICON_NAMES = ("favicon.png", "apple-touch-icon.png", "icon.png", "favicon.svg", "favicon.ico")


@dataclass(frozen=True)
class Alternate:
    """A page's feed or calendar, as templates link it: <link rel="alternate">, "Subscribe"."""

    title: str
    url: str
    media_type: str
    label: str  # "Atom"
    role: str  # "feed" or "calendar"


def formats_for(kind: str, options: FeedOptions) -> tuple[OutputFormat, ...]:
    """The formats a page kind is written in besides HTML, as site.yaml's ``feeds`` allows."""
    found = []
    for name in PAGE_FORMATS.get(kind, ()):
        output = FORMATS[name]
        if output.role == "feed" and (
            FEED_NAMES[kind] not in options.include or name not in options.formats
        ):
            continue
        if output.role != "page":
            found.append(output)
    return tuple(found)


def find_icon(static_dirs: Iterable[Path]) -> str | None:
    """The site path of the icon the theme or site ships (its favicon), if any."""
    folders = [d for d in static_dirs if d.is_dir()]
    for name in ICON_NAMES:
        if any((folder / name).is_file() for folder in folders):
            return "/" + name
    return None


def alternates(
    kind: str,
    first: str,
    config: SiteConfig,
    feed: Channel | None = None,
    agenda: Agenda | None = None,
) -> tuple[list[RenderJob], tuple[Alternate, ...]]:
    """A page's feed and calendar jobs, one per format ``PAGE_FORMATS`` gives its kind; its links."""
    jobs: list[RenderJob] = []
    links: list[Alternate] = []
    for output in formats_for(kind, config.feeds):
        subject = feed if output.role == "feed" else agenda
        if subject is None:
            continue
        path = beside(first, output.file_name)
        jobs.append(
            RenderJob(
                path,
                "",
                kind,
                f"the {output.label} file of {first}",
                subject.title,
                context={output.role: subject},
                in_sitemap=False,
                format=output.name,
            )
        )
        # A calendar with no upcoming meetings is still written, for subscribers, but not offered.
        if isinstance(subject, Channel) or any(g.meets for g in subject.groups):
            links.append(
                Alternate(
                    f"{subject.title} ({output.label})",
                    url(config, path),
                    output.media_type,
                    output.label,
                    output.role,
                )
            )
    return jobs, tuple(links)


def with_links(
    job: RenderJob, own: Sequence[Alternate], site_feeds: Sequence[Alternate]
) -> RenderJob:
    """An HTML job with what its templates link: ``feeds`` (its own, then the site's) for <head>,
    ``page_feeds`` for its "Subscribe" link, ``calendar`` for "Add to calendar"."""
    if job.format != "html" or job.kind == "data":
        return job
    page_feeds = tuple(a for a in own if a.role == "feed")
    links = {
        # most pages have no feeds of their own: theirs are the site's, one tuple for them all
        "feeds": page_feeds + tuple(a for a in site_feeds if a not in page_feeds)
        if page_feeds
        else tuple(site_feeds),
        "page_feeds": page_feeds,
        "calendar": next((a for a in own if a.role == "calendar"), None),
    }
    # ``replace(job, context=…)`` without its checks and keyword call: 15,000 jobs at 10,000
    # posts, a third of planning. (RenderJob is a plain frozen dataclass: its fields are its
    # instance's __dict__, and its __init__ does nothing else.)
    linked = object.__new__(RenderJob)
    linked.__dict__.update(job.__dict__, context={**links, **job.context})
    return linked
