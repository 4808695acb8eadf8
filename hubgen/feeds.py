"""Feeds: RSS 2.0 and Atom 1.0 through feedgen, JSON Feed 1.1 written directly.

Every feed is a ``Channel`` (made by the plan) turned into entries, then written by one producer
per format. Nothing here reads the clock: a feed's ``updated`` is its newest entry's date, so two
builds of the same input give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import os
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin

import lxml.html
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from hubgen.config import SiteConfig
from hubgen.markdown_common import MORE
from hubgen.models import Group, Post
from hubgen.routes import absolute, host, url
from hubgen.site import Site

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # the date of an empty feed on an empty site
STYLESHEET = "/feed.xsl"
RASTER = (".png", ".gif", ".jpg", ".jpeg")
# What feed readers refuse and feed validators warn about: dropped, or (embeds) made into links.
DROPPED = frozenset({"script", "style", "meta", "link", "base", "basefont", "noframes", "title"})
EMBEDS = frozenset({"iframe", "object", "embed", "frame", "applet"})
# Characters XML 1.0 forbids, and C1 controls it discourages: no reader wants them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_NOT_XML_ASCII = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# The tags and attributes Markdown writes (with hubgen's extensions and Pygments), which
# _plain_absolute rewrites without parsing: a '<' that starts anything else is foreign.
_MARKDOWN_TAGS = (
    "a blockquote br code dd del div dl dt em h1 h2 h3 h4 h5 h6 hr img li ol p pre s section span"
    " strong sup table tbody td th thead tr ul"
)
_MARKDOWN_ATTRIBUTES = "href src alt title id class start style role"
_FOREIGN = re.compile(
    rf"""<(?!/?(?:{_MARKDOWN_TAGS.replace(" ", "|")})"""
    rf"""(?: (?:{_MARKDOWN_ATTRIBUTES.replace(" ", "|")})="[^"<>]*")*>|{MORE[1:]})"""
)
_OPENING = re.compile(r"<(?!/|br[ >]|hr[ >]|img[ >]|!)")  # tags that must be closed
_LINKING = re.compile(r'<[a-z0-9]+ [^<>]*?(?:href|src|style|role)="[^<>]*>')
_LINK_ATTRIBUTE = re.compile(r' (href|src|style|role)="([^"]*)"')
# An absolute URL that urljoin gives back as it is, whatever the base: a lower-case scheme, a
# plain host, no parameters, and no empty query or fragment (urljoin drops those).
_KEPT = re.compile(
    r"[a-z][a-z0-9+.-]*://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[^\s?#;]*)?(?:\?[^\s#]+)?(?:#\S+)?"
)


@dataclass(frozen=True)
class Channel:
    """What one feed follows. The plan makes it; each format's producer writes it."""

    title: str  # "Posts tagged Mentoring — Peer Mentoring Hub"
    subtitle: str
    page_path: str  # the HTML page the feed follows, as a site path
    posts: tuple[Post, ...] = ()
    groups: tuple[Group, ...] = ()  # the directory's feed: groups, newest first
    icon: str | None = None  # a site path or an absolute URL


def newest_first(groups: Sequence[Group]) -> tuple[Group, ...]:
    """Groups with a ``founded`` date, newest first (then by name): the directory's feed."""
    by_name = sorted((g for g in groups if g.founded is not None), key=lambda g: g.name.lower())
    return tuple(sorted(by_name, key=lambda g: g.founded or EPOCH.date(), reverse=True))


@dataclass(frozen=True)
class Person:
    name: str
    url: str | None = None


@dataclass(frozen=True)
class Entry:
    """One item of a feed, whatever the format: every URL in it is absolute."""

    id: str
    title: str
    link: str
    published: dt.datetime
    updated: dt.datetime
    authors: tuple[Person, ...]
    categories: tuple[str, ...]
    summary: str  # plain text
    content: str  # HTML; "" when the site publishes summaries only
    image: str | None = None


def clean(text: str) -> str:
    """Text without the characters XML cannot carry (of ASCII text, its control characters but
    tab and line ends: deleted by ``str.translate``, four times as fast as the pattern)."""
    return text.translate(_NOT_XML_ASCII) if text.isascii() else _NOT_XML.sub("", text)


def site_link(config: SiteConfig, base: str, href: str) -> str:
    """``href`` as written on the page at ``base``, made absolute; '/x/' gets base_url's path."""
    if href.startswith("/") and not href.startswith("//"):
        return absolute(config, url(config, href))
    return _joined(base, href)


@functools.lru_cache(maxsize=1024)  # a post is in several feeds, each in several formats
def absolute_html(fragment: str, base: str) -> str:
    """An HTML fragment with every link and image made absolute against ``base``.

    Feed readers show entries away from the site, where '../x/' and 'chart.png' mean nothing.
    """
    fragment = clean(fragment)
    if not fragment.strip():
        return ""
    plain = _plain_absolute(fragment, base)
    return plain if plain is not None else _parsed_absolute(fragment, base)


def _plain_absolute(fragment: str, base: str) -> str | None:
    """:func:`absolute_html` of HTML as Markdown writes it, by rewriting its links in place; None
    for anything else (raw HTML: any tag or attribute Markdown does not write, or tags left open),
    which is parsed instead.

    Parsing a post's body into a tree and writing it out again cost more than all the rest of its
    feed entries; HTML made by Markdown alone needs none of it.
    """
    if _FOREIGN.search(fragment) or len(_OPENING.findall(fragment)) != fragment.count("</"):
        return None
    return _LINKING.sub(functools.partial(_absolute_tag, base), fragment)


def _absolute_tag(base: str, tag: re.Match[str]) -> str:
    def attribute(found: re.Match[str]) -> str:
        name, value = found.groups()
        if name in ("style", "role"):  # as _parsed_absolute: a column's alignment, footnotes' role
            return ""
        link = html.unescape(value).strip()
        joined = _joined(base, link)
        return f' {name}="{html.escape(joined) if joined != link else value}"'

    return _LINK_ATTRIBUTE.sub(attribute, tag.group())


def _joined(base: str, link: str) -> str:
    """``link`` made absolute against ``base``; as it is when it is no URL (``http://[x``)."""
    if _KEPT.fullmatch(link):
        return link
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def _parsed_absolute(fragment: str, base: str) -> str:
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    root.make_links_absolute(base, resolve_base_href=False, handle_failures="ignore")
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        if element.tag in DROPPED:
            element.drop_tree()
            continue
        if element.tag in EMBEDS:
            _embed_to_link(element)
            continue
        for name in list(element.attrib):
            # Accessibility roles and inline styles mean nothing in a reader; handlers are unsafe.
            if name in ("role", "style") or name.startswith(("aria-", "on")):
                del element.attrib[name]
        srcset = element.get("srcset")
        if srcset:
            candidates = (c.strip().split(maxsplit=1) for c in srcset.split(",") if c.strip())
            element.set(
                "srcset", ", ".join(" ".join([_joined(base, c[0]), *c[1:]]) for c in candidates)
            )
    inner = html.escape(root.text or "", quote=False)
    inner += "".join(str(lxml.html.tostring(child, encoding="unicode")) for child in root)
    return inner


def _embed_to_link(element: Any) -> None:
    """An iframe or object, which readers do not show, as a link to what it shows."""
    target = element.get("src") or element.get("data") or ""
    if not target:
        element.drop_tree()
        return
    link = lxml.html.Element("a", href=target)
    link.text = element.get("title") or target
    link.tail = element.tail
    element.getparent().replace(element, link)


def tag_uri(config: SiteConfig, day: dt.date, specific: str) -> str:
    """A permanent id (RFC 4151): 'tag:hub.example.org,2025-03-04:posts/first-meeting'."""
    return f"tag:{host(config)},{day.isoformat()}:{quote(specific, safe='/:@!$&()*+,;=~.-_')}"


def post_id(post: Post, config: SiteConfig) -> str:
    """The post's own ``id`` if it is a URI, else one minted from the host, date and slug.

    The slug comes from the file name (or front matter ``slug``), never the title, so editing a
    title, re-theming or rebuilding keeps the id.
    """
    if post.id is not None and post.id.strip():
        given = clean(post.id).strip()
        return given if _SCHEME.match(given) else tag_uri(config, post.date.date(), given)
    return tag_uri(config, post.date.date(), f"posts/{post.slug}")


# The entries made last, by post: a post is in its feed in every format, and in the feeds of its
# tags and its author; its links made absolute once, not in each. Kept by identity, with the post
# and config themselves, so a later build's objects of the same address never match.
_ENTRIES: dict[int, tuple[Post, SiteConfig, bool, Entry]] = {}
_ENTRIES_KEPT = 256


def post_entry(post: Post, config: SiteConfig, full: bool) -> Entry:
    known = _ENTRIES.get(id(post))
    if known is not None and known[0] is post and known[1] is config and known[2] == full:
        return known[3]
    entry = _post_entry(post, config, full)
    # a serving process keeps more: its entries as written are kept by the entry (_WRITTEN)
    if len(_ENTRIES) >= (_WRITTEN_KEPT if _keeping() else _ENTRIES_KEPT):
        del _ENTRIES[next(iter(_ENTRIES))]  # the oldest
    _ENTRIES[id(post)] = (post, config, full, entry)
    return entry


def _post_entry(post: Post, config: SiteConfig, full: bool) -> Entry:
    link = absolute(config, post.url)
    updated = max(post.updated or post.date, post.date)
    return Entry(
        id=post_id(post, config),
        title=clean(post.title).strip() or "Untitled",
        link=link,
        published=post.date,
        updated=updated,
        authors=tuple(Person(clean(a.name), absolute(config, a.url)) for a in post.authors),
        categories=tuple(clean(t.name) for t in post.tags),
        summary=clean(post.summary).strip() or clean(post.title).strip(),
        content=absolute_html(str(post.content), link) if full else "",
        image=site_link(config, link, post.image) if post.image else None,
    )


def group_entry(group: Group, config: SiteConfig, full: bool) -> Entry:
    """A group as the directory's feed shows it: dated by ``founded`` and its milestones."""
    founded = group.founded or EPOCH.date()  # the directory's feed lists founded groups only
    zone = zoneinfo.ZoneInfo(group.zone)
    newest = max([founded, *(m.date for m in group.milestones)])
    link = absolute(config, group.url)
    parts = [f"<p>{html.escape(group.summary)}</p>", str(group.description)]
    if group.schedule is not None:
        parts.append(f"<p>Meets: {html.escape(group.schedule)}</p>")
    return Entry(
        id=tag_uri(config, founded, f"groups/{group.slug}"),
        title=clean(group.name).strip() or group.slug,
        link=link,
        published=dt.datetime.combine(founded, dt.time(), zone),
        updated=dt.datetime.combine(newest, dt.time(), zone),
        authors=tuple(Person(clean(o.name), o.url) for o in group.organizers),
        categories=tuple(clean(t.name) for t in group.topics),
        summary=clean(group.summary).strip(),
        content=absolute_html("\n".join(parts), link) if full else "",
    )


@dataclass(frozen=True)
class _Feed:
    """A channel resolved against the site: what every format writes at its top."""

    title: str
    subtitle: str
    self_url: str
    page_url: str
    home_url: str
    icon_url: str | None
    updated: dt.datetime
    entries: tuple[Entry, ...]


def _resolve(path: str, context: Mapping[str, Any], site: Site) -> _Feed:
    channel: Channel = context["feed"]
    config = site.config
    full = config.feeds.content == "full"
    limit = config.feeds.items
    entries = tuple(
        [group_entry(g, config, full) for g in channel.groups[:limit]]
        + [post_entry(p, config, full) for p in channel.posts[:limit]]
    )
    home = absolute(config, url(config, "/"))
    return _Feed(
        title=clean(channel.title),
        subtitle=clean(channel.subtitle).strip() or clean(channel.title),
        self_url=absolute(config, url(config, path)),
        page_url=absolute(config, url(config, channel.page_path)),
        home_url=home,
        icon_url=site_link(config, home, channel.icon) if channel.icon else None,
        # An empty feed still needs a date that does not move: the site's newest post.
        updated=max((e.updated for e in entries), default=None) or site.newest or EPOCH,
        entries=entries,
    )


def _styled(xml: bytes, config: SiteConfig) -> bytes:
    """The feed with the stylesheet that makes it readable in a browser (readers ignore it)."""
    declaration, newline, rest = xml.partition(b"\n")
    href = html.escape(url(config, STYLESHEET))
    instruction = f'<?xml-stylesheet type="text/xsl" href="{href}"?>'.encode()
    return declaration + newline + instruction + b"\n" + rest


def _generator(feed: _Feed, config: SiteConfig) -> FeedGenerator:
    generator = FeedGenerator()
    generator.title(feed.title)
    generator.subtitle(feed.subtitle)
    generator.language(config.language)
    generator.generator("hubgen")  # feedgen's default names itself with its version
    generator.updated(feed.updated)  # also RSS lastBuildDate, which defaults to the clock
    return generator


def atom(path: str, context: Mapping[str, Any], site: Site) -> bytes:
    config = site.config
    feed = _resolve(path, context, site)
    generator = _generator(feed, config)
    generator.id(feed.self_url)
    generator.author(name=clean(config.title), uri=feed.home_url)
    generator.link(href=feed.page_url, rel="alternate", type="text/html")
    generator.link(href=feed.self_url, rel="self", type="application/atom+xml")
    if feed.icon_url:
        generator.icon(feed.icon_url)
    return _styled(_written(generator, feed.entries, "atom"), config)


def _atom_entry(entry: Entry, item: FeedEntry) -> None:
    item.id(entry.id)
    item.title(entry.title)
    item.link(href=entry.link, rel="alternate", type="text/html")
    item.published(entry.published)
    item.updated(entry.updated)
    for person in entry.authors:
        item.author({"name": person.name, **({"uri": person.url} if person.url else {})})
    for category in entry.categories:
        item.category(term=category)
    if entry.summary:  # as HTML: a text summary mentioning '</p>' would look like markup
        item.summary(html.escape(entry.summary, quote=False), type="html")
    if entry.content:
        item.content(entry.content, type="html")


def rss(path: str, context: Mapping[str, Any], site: Site) -> bytes:
    config = site.config
    feed = _resolve(path, context, site)
    # A generator of its own: feedgen's RSS <link> is the last link() given, so one generator
    # shared with Atom would put the Atom feed's URL where the page's belongs.
    generator = _rss_generator(feed, config)
    return _styled(_written(generator, feed.entries, "rss"), config)


def _rss_generator(feed: _Feed, config: SiteConfig) -> FeedGenerator:
    generator = _generator(feed, config)
    generator.load_extension("dc", atom=False, rss=True)
    generator.link(href=feed.self_url, rel="self", type="application/rss+xml")
    generator.link(href=feed.page_url, rel="alternate")  # last: the channel's <link>
    if feed.icon_url and feed.icon_url.lower().endswith(RASTER):  # RSS images are GIF/JPEG/PNG
        generator.image(url=feed.icon_url, title=feed.title, link=feed.page_url)
    return generator


def _rss_item(entry: Entry, item: FeedEntry) -> None:
    item.title(entry.title)
    item.link(href=entry.link)
    item.guid(entry.id, permalink=False)
    item.pubDate(entry.published)
    if entry.content:
        item.content(entry.content)  # escaped, not CDATA: content may hold ']]>'
    if entry.summary:  # RSS descriptions are HTML
        item.description(html.escape(entry.summary, quote=False))
    for category in entry.categories:
        item.category(term=category)
    if entry.authors:  # RSS <author> must be an email address: names go in dc:creator
        item.dc.dc_creator([p.name for p in entry.authors])


# Each format: how an entry is filled in, how its element starts and ends in the pretty-printed
# feed (entries come last in it, escaped text cannot hold a tag), and what ends the feed.
_KINDS: dict[str, tuple[Callable[[Entry, FeedEntry], None], bytes, bytes, bytes]] = {
    "rss": (_rss_item, b"    <item>", b"    </item>\n", b"  </channel>\n</rss>\n"),
    "atom": (_atom_entry, b"  <entry>", b"  </entry>\n", b"</feed>\n"),
}

# ``hubgen serve`` keeps each entry's element (or JSON Feed item) as written, by the entry (see
# ``keep_entries``): the feeds a quick build renders again hold one changed entry among twenty
# known ones. Kept in the serving process alone, not in the workers it forks for a whole build.
_WRITTEN: dict[tuple[int, str], tuple[Entry, bytes]] = {}
_WRITTEN_KEPT = 4096
_KEEPER: int | None = None  # the process that keeps them
_FEW = 3  # up to this many missing entries are written apart; with more, the whole feed is


def keep_entries() -> None:
    """From now on, keep what each feed entry's element is as written (for ``hubgen serve``)."""
    global _KEEPER
    _KEEPER = os.getpid()


def _keeping() -> bool:
    return os.getpid() == _KEEPER


def _kept(entry: Entry, kind: str) -> bytes | None:
    """The element of ``entry`` in a feed of ``kind``, as kept; None if it is not."""
    known = _WRITTEN.get((id(entry), kind))
    return known[1] if known is not None and known[0] is entry else None


def _remember(entry: Entry, kind: str, element: bytes) -> None:
    _WRITTEN[(id(entry), kind)] = (entry, element)  # the entry too, so no other takes its id
    while len(_WRITTEN) > _WRITTEN_KEPT:
        del _WRITTEN[next(iter(_WRITTEN))]  # the oldest


def _written(generator: FeedGenerator, entries: Sequence[Entry], kind: str) -> bytes:
    """The feed of ``generator`` (its channel set) with ``entries``, pretty-printed. With entries
    kept, the same bytes from the channel alone and the entries' kept elements."""
    fill, start, end, tail = _KINDS[kind]
    if _keeping() and entries:
        missing = [e for e in entries if _kept(e, kind) is None]
        if len(missing) <= _FEW:
            if missing:  # written in a feed of their own, of the same kind
                alone = _alone(kind)
                for entry in missing:
                    fill(entry, alone.add_entry(order="append"))
                _keep(_serialized(alone, kind), missing, kind, start, end)
            # all of them, unless keeping those let go of one
            elements = [x for e in entries if (x := _kept(e, kind)) is not None]
            channel = _serialized(generator, kind)
            if channel.endswith(tail) and len(elements) == len(entries):
                return channel[: -len(tail)] + b"".join(elements) + tail
    for entry in entries:
        fill(entry, generator.add_entry(order="append"))
    xml = _serialized(generator, kind)
    if _keeping():
        _keep(xml, entries, kind, start, end)
    return xml


def _alone(kind: str) -> FeedGenerator:
    """A feed of ``kind`` with what it needs to be written, and the namespaces of hubgen's: its
    entries are written as in any other."""
    generator = FeedGenerator()
    generator.id("tag:hubgen,2000:alone")
    generator.title("alone")
    generator.description("alone")
    generator.link(href="https://hubgen.invalid/", rel="alternate")
    generator.updated(EPOCH)
    if kind == "rss":
        generator.load_extension("dc", atom=False, rss=True)
    return generator


def _serialized(generator: FeedGenerator, kind: str) -> bytes:
    if kind == "rss":
        return bytes(generator.rss_str(pretty=True))
    return bytes(generator.atom_str(pretty=True))


def _keep(xml: bytes, entries: Sequence[Entry], kind: str, start: bytes, end: bytes) -> None:
    """Keep each entry's element of ``xml``, in order; none if they cannot be told apart."""
    elements = []
    at = xml.find(start)
    while at >= 0:
        stop = xml.find(end, at)
        if stop < 0:
            return
        elements.append(xml[at : stop + len(end)])
        at = xml.find(start, stop)
    if len(elements) == len(entries):
        for entry, element in zip(entries, elements, strict=True):
            _remember(entry, kind, element)


def json_feed(path: str, context: Mapping[str, Any], site: Site) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1), keys sorted so output is stable."""
    config = site.config
    feed = _resolve(path, context, site)
    data: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "description": feed.subtitle,
        "home_page_url": feed.page_url,
        "feed_url": feed.self_url,
        "language": config.language,
        "authors": [{"name": clean(config.title), "url": feed.home_url}],
        "items": [],
    }
    if feed.icon_url:
        data["favicon"] = feed.icon_url
    # the bytes json.dumps writes of the whole, with each item written alone (and kept: see
    # ``_json_written``), indented to its place; a JSON string holds no line break to indent
    channel = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if not feed.entries:
        return channel.encode()
    before, after = channel.encode().split(_NO_ITEMS, 1)
    items = b",\n    ".join(_json_written(e) for e in feed.entries)
    return before + b'"items": [\n    ' + items + b"\n  ]" + after


_NO_ITEMS = b'"items": []'  # unique: in a JSON string, quotes are escaped


def _json_written(entry: Entry) -> bytes:
    """The JSON of an entry's item, as in a feed (kept by the entry in ``hubgen serve``)."""
    keeping = _keeping()
    known = _kept(entry, "json") if keeping else None
    if known is not None:
        return known
    item = json.dumps(_json_item(entry), ensure_ascii=False, indent=2, sort_keys=True)
    written = item.replace("\n", "\n    ").encode()
    if keeping:
        _remember(entry, "json", written)
    return written


def _json_item(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry.link,
        "title": entry.title,
        "content_html": entry.content or f"<p>{html.escape(entry.summary)}</p>",
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
    }
    if entry.summary:
        item["summary"] = entry.summary
    if entry.authors:
        item["authors"] = [
            {"name": p.name, **({"url": p.url} if p.url else {})} for p in entry.authors
        ]
    if entry.categories:
        item["tags"] = list(entry.categories)
    if entry.image:
        item["image"] = entry.image
    return item
