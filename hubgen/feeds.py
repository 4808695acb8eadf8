"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, each written directly.

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
from json.encoder import encode_basestring  # in C, where json has its speedups
from typing import Any
from urllib.parse import quote, urljoin

import lxml.html

from hubgen import memory
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

    @functools.cached_property
    def content_text(self) -> str:
        """``content`` as the text of an XML element: RSS and Atom both hold it so."""
        return _text(self.content)


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
# and config themselves, so a later build's objects of the same address never match. The newest
# _ENTRIES_KEPT at least, and all while a build's process has room (``memory``): a post's
# channels are thousands of entries apart in the order of the feeds. The 10,000-post hub's 2,256
# feeds hold 3,557 posts' entries, made 6,696 times with 256 kept (2.35 CPU-s in one process),
# 5,140 with 1,024 (2.1 CPU-s): the worker that writes them peaks at 273-276 MB either way (their
# content is absolute_html's, which keeps as many), 303 MB with 2,048.
_ENTRIES: dict[int, tuple[Post, SiteConfig, bool, Entry]] = {}
_ENTRIES_KEPT = 1024


def post_entry(post: Post, config: SiteConfig, full: bool) -> Entry:
    known = _ENTRIES.get(id(post))
    if known is not None and known[0] is post and known[1] is config and known[2] == full:
        return known[3]
    entry = _post_entry(post, config, full)
    _ENTRIES[id(post)] = (post, config, full, entry)
    # a serving process keeps more: its entries as written are kept by the entry (_WRITTEN)
    keeper = _keeping()
    memory.trim(_ENTRIES, _WRITTEN_KEPT if keeper else _ENTRIES_KEPT, grow=not keeper)
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
class Feed:
    """A channel resolved against the site: what every format writes at its top."""

    title: str
    subtitle: str
    self_url: str
    page_url: str
    home_url: str
    icon_url: str | None
    updated: dt.datetime
    entries: tuple[Entry, ...]


def _resolve(path: str, context: Mapping[str, Any], site: Site) -> Feed:
    channel: Channel = context["feed"]
    config = site.config
    full = config.feeds.content == "full"
    limit = config.feeds.items
    entries = tuple(
        [group_entry(g, config, full) for g in channel.groups[:limit]]
        + [post_entry(p, config, full) for p in channel.posts[:limit]]
    )
    home = absolute(config, url(config, "/"))
    return Feed(
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


# XML as lxml writes it (and feedgen wrote it, pretty-printed, before hubgen wrote its feeds
# itself): '&', '<', '>' escaped in text, and also '"', tab and line ends in attribute values.
# By ``str.replace``, one pass a character: ``str.translate`` to longer strings is far slower.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _text(value: str) -> str:
    """``value`` as the text of an element."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;") if "\r" in value else value


def _attribute(value: str) -> str:
    """``value`` as an attribute's, between double quotes."""
    value = _text(value).replace('"', "&quot;")
    if "\n" in value or "\t" in value:
        return value.replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def _rfc822(moment: dt.datetime) -> str:
    """An RSS date, 'Sun, 28 Nov 2021 00:00:00 +0000', in English whatever the locale."""
    day, month = _DAYS[moment.weekday()], _MONTHS[moment.month - 1]
    return f"{day}, {moment:%d} {month} {moment:%Y %H:%M:%S %z}"


def _declaration(config: SiteConfig) -> str:
    """The XML declaration, and the stylesheet that makes a feed readable in a browser (readers
    ignore it)."""
    href = html.escape(url(config, STYLESHEET))
    return f"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet type=\"text/xsl\" href=\"{href}\"?>\n"


def atom(path: str, context: Mapping[str, Any], site: Site) -> bytes:
    """Atom 1.0 (RFC 4287)."""
    return atom_xml(_resolve(path, context, site), site.config)


def atom_xml(feed: Feed, config: SiteConfig) -> bytes:
    language = f' xml:lang="{_attribute(config.language)}"' if config.language else ""
    parts = [
        _declaration(config),
        f'<feed xmlns="http://www.w3.org/2005/Atom"{language}>\n',
        f"  <id>{_text(feed.self_url)}</id>\n",
        f"  <title>{_text(feed.title)}</title>\n",
        f"  <updated>{feed.updated.isoformat()}</updated>\n",
        _person("  ", "author", Person(clean(config.title), feed.home_url)),
        f'  <link href="{_attribute(feed.page_url)}" rel="alternate" type="text/html"/>\n',
        f'  <link href="{_attribute(feed.self_url)}" rel="self" type="application/atom+xml"/>\n',
        "  <generator>hubgen</generator>\n",
    ]
    if feed.icon_url:
        parts.append(f"  <icon>{_text(feed.icon_url)}</icon>\n")
    if feed.subtitle:
        parts.append(f"  <subtitle>{_text(feed.subtitle)}</subtitle>\n")
    return b"".join(["".join(parts).encode(), *_elements(feed.entries, "atom"), b"</feed>\n"])


def _person(indent: str, name: str, person: Person) -> str:
    if not person.name:
        return ""
    uri = f"{indent}  <uri>{_text(person.url)}</uri>\n" if person.url else ""
    return (
        f"{indent}<{name}>\n{indent}  <name>{_text(person.name)}</name>\n{uri}{indent}</{name}>\n"
    )


def _atom_entry(entry: Entry) -> str:
    parts = [
        "  <entry>\n",
        f"    <id>{_text(entry.id)}</id>\n",
        f"    <title>{_text(entry.title)}</title>\n",
        f"    <updated>{entry.updated.isoformat()}</updated>\n",
        *(_person("    ", "author", person) for person in entry.authors),
    ]
    if entry.content:
        parts.append(f'    <content type="html">{entry.content_text}</content>\n')
    # the link as feedgen wrote it: an entry's link is its alternate whatever it says
    parts.append(f'    <link href="{_attribute(entry.link)}"/>\n')
    if entry.summary:  # as HTML: a text summary mentioning '</p>' would look like markup
        summary = html.escape(entry.summary, quote=False)
        parts.append(f'    <summary type="html">{_text(summary)}</summary>\n')
    parts += [f'    <category term="{_attribute(c)}"/>\n' for c in entry.categories]
    parts.append(f"    <published>{entry.published.isoformat()}</published>\n  </entry>\n")
    return "".join(parts)


def rss(path: str, context: Mapping[str, Any], site: Site) -> bytes:
    """RSS 2.0, with its entries' content in content:encoded and authors in dc:creator."""
    return rss_xml(_resolve(path, context, site), site.config)


def rss_xml(feed: Feed, config: SiteConfig) -> bytes:
    parts = [
        _declaration(config),
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n',
        "  <channel>\n",
        f"    <title>{_text(feed.title)}</title>\n",
        f"    <link>{_text(feed.page_url)}</link>\n",
        f"    <description>{_text(feed.subtitle)}</description>\n",
        f'    <atom:link href="{_attribute(feed.self_url)}" rel="self"'
        ' type="application/rss+xml"/>\n',
        "    <docs>http://www.rssboard.org/rss-specification</docs>\n",
        "    <generator>hubgen</generator>\n",
    ]
    if feed.icon_url and feed.icon_url.lower().endswith(RASTER):  # RSS images are GIF/JPEG/PNG
        parts.append(
            f"    <image>\n      <url>{_text(feed.icon_url)}</url>\n"
            f"      <title>{_text(feed.title)}</title>\n"
            f"      <link>{_text(feed.page_url)}</link>\n    </image>\n"
        )
    if config.language:
        parts.append(f"    <language>{_text(config.language)}</language>\n")
    parts.append(f"    <lastBuildDate>{_rfc822(feed.updated)}</lastBuildDate>\n")
    elements = _elements(feed.entries, "rss")
    return b"".join(["".join(parts).encode(), *elements, b"  </channel>\n</rss>\n"])


def _rss_item(entry: Entry) -> str:
    parts = ["    <item>\n"]
    if entry.title:
        parts.append(f"      <title>{_text(entry.title)}</title>\n")
    if entry.link:
        parts.append(f"      <link>{_text(entry.link)}</link>\n")
    # RSS descriptions are HTML; content is escaped, not CDATA: it may hold ']]>'
    if entry.summary:
        summary = _text(html.escape(entry.summary, quote=False))
        parts.append(f"      <description>{summary}</description>\n")
    elif entry.content:
        parts.append(f"      <description>{entry.content_text}</description>\n")
    if entry.summary and entry.content:
        parts.append(f"      <content:encoded>{entry.content_text}</content:encoded>\n")
    parts.append(f'      <guid isPermaLink="false">{_text(entry.id)}</guid>\n')
    parts += [f"      <category>{_text(c)}</category>\n" for c in entry.categories]
    parts.append(f"      <pubDate>{_rfc822(entry.published)}</pubDate>\n")
    # RSS <author> must be an email address: names go in dc:creator
    parts += [f"      <dc:creator>{_text(p.name)}</dc:creator>\n" for p in entry.authors]
    parts.append("    </item>\n")
    return "".join(parts)


# Each entry's element (or JSON Feed item) as written, by the entry: a build's process with room
# keeps them all (``memory``), as it keeps the entries. ``hubgen serve`` keeps _WRITTEN_KEPT of
# each (see ``keep_entries``), the newest, room or not: the feeds a quick build renders again
# hold one changed entry among twenty known ones, and a long session's edits make new entries
# for the posts they change. The workers it forks for a whole build are a build's processes.
_WRITTEN: dict[tuple[int, str], tuple[Entry, bytes]] = {}
_WRITTEN_KEPT = 4096
_KEEPER: int | None = None  # the process that keeps them


def keep_entries() -> None:
    """From now on, keep what each feed entry's element is as written (for ``hubgen serve``)."""
    global _KEEPER
    _KEEPER = os.getpid()


def _keeping() -> bool:
    return os.getpid() == _KEEPER


def _elements(entries: Sequence[Entry], kind: str) -> list[bytes]:
    """The element of each entry in a feed of ``kind``, as written or as kept: encoded, so that
    a feed is joined of bytes (a feed's text with one character beyond Latin-1, a title's dash,
    is two or four bytes a character, all of it encoded again)."""
    write = _WRITERS[kind]
    keeper = _keeping()
    floor = _WRITTEN_KEPT if keeper else 0
    if not keeper and not _WRITTEN and not memory.room():
        return [write(e).encode() for e in entries]
    elements = []
    for entry in entries:
        known = _WRITTEN.get((id(entry), kind))
        if known is not None and known[0] is entry:
            elements.append(known[1])
            continue
        element = write(entry).encode()
        _WRITTEN[(id(entry), kind)] = (entry, element)  # the entry too: no other takes its id
        elements.append(element)
    memory.trim(_WRITTEN, floor, grow=not keeper)
    return elements


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
    # the text json.dumps writes of the whole, with each item written alone (and kept: see
    # ``_elements``), indented to its place; a JSON string holds no line break to indent
    channel = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if not feed.entries:
        return channel.encode()
    before, after = channel.split(_NO_ITEMS, 1)
    items = b",\n    ".join(_elements(feed.entries, "json"))
    return b"".join([(before + '"items": [\n    ').encode(), items, ("\n  ]" + after).encode()])


_NO_ITEMS = '"items": []'  # unique: in a JSON string, quotes are escaped


def _json_entry(entry: Entry) -> str:
    """The JSON of an entry's item, indented to its place in a feed: what ``json.dumps`` writes
    of it with sorted keys, an indent of two and ``ensure_ascii=False``. By hand, as fast again
    as all the rest of a feed: ``json.dumps`` indents in Python, not C."""
    string = encode_basestring
    fields = []
    if entry.authors:
        people = ",\n".join(
            '        {\n          "name": '
            + string(p.name)
            + (',\n          "url": ' + string(p.url) if p.url else "")
            + "\n        }"
            for p in entry.authors
        )
        fields.append('"authors": [\n' + people + "\n      ]")
    content = entry.content or f"<p>{html.escape(entry.summary)}</p>"
    fields += [
        '"content_html": ' + string(content),
        '"date_modified": ' + string(entry.updated.isoformat()),
        '"date_published": ' + string(entry.published.isoformat()),
        '"id": ' + string(entry.id),
    ]
    if entry.image:
        fields.append('"image": ' + string(entry.image))
    if entry.summary:
        fields.append('"summary": ' + string(entry.summary))
    if entry.categories:
        tags = ",\n".join("        " + string(c) for c in entry.categories)
        fields.append('"tags": [\n' + tags + "\n      ]")
    fields += ['"title": ' + string(entry.title), '"url": ' + string(entry.link)]
    return "{\n      " + ",\n      ".join(fields) + "\n    }"


_WRITERS: dict[str, Callable[[Entry], str]] = {
    "rss": _rss_item,
    "atom": _atom_entry,
    "json": _json_entry,
}
