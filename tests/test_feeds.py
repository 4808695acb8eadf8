"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, tags, authors, groups and directory."""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import json
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import lxml.html
import pytest
from conftest import GROUP, POST, errors, read, run_build
from feedgen.feed import FeedGenerator
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from hubgen import feeds, memory, render
from hubgen.config import SiteConfig

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://hub.example.org/hub/"
SITE_YAML = f"""\
title: Test Hub
description: A hub for tests.
base_url: {BASE}
timezone: UTC
posts_per_page: 2
"""
FEEDS = ("rss.xml", "atom.xml", "feed.json")
# The page each feed follows, by folder under the output.
FOLLOWED = ("", "tags/mentoring/", "authors/ana/", "groups/circle/", "groups/")

HOSTILE = "Pass & fail: <b>bold</b> claims ]]> and \x01 control"
FIRST = """\
---
title: First meeting
date: 2025-03-04
tags: [Mentoring, First meetings]
authors: [ana]
groups: [circle]
---

Read [the next one](../second/), the [circle](/groups/circle/) and [notes](#notes).

![A chart](chart.png)

<img src="photo.png" srcset="photo.png 1x, photo-2x.png 2x" alt="Us">

Text with ]]> inside, & an ampersand.[^1]

## Notes

[^1]: A footnote.
"""


def _site(make_site, **extra: str) -> Path:
    files: dict[str, str | bytes] = {
        "site.yaml": SITE_YAML,
        "content/posts/2025-03-04-first/index.md": FIRST,
        "content/posts/2025-03-04-first/chart.png": b"\x89PNG",
        "content/posts/2025-03-04-first/photo.png": b"\x89PNG",
        "content/posts/2025-03-04-first/photo-2x.png": b"\x89PNG",
        "content/posts/second.md": POST.format(
            title="Second", date="2025-04-01", body="Second body."
        ),
        "content/authors.yaml": "ana:\n  name: Ana Lima\n  bio: Writes.\n",
        "content/groups/circle.yaml": GROUP.format(name="The Circle") + "founded: 2024-01-09\n",
        "content/groups/newer.yaml": GROUP.format(name="Newer Group") + "founded: 2025-02-01\n",
        "content/groups/undated.yaml": GROUP.format(name="Undated Group"),
    }
    files.update(extra)
    root = make_site(files)
    result = run_build(root)
    assert errors(result) == []
    return root


def _xml(root: Path, relative: str) -> etree._Element:
    return etree.fromstring((root / "public" / relative).read_bytes())


def _entry_ids(root: Path) -> tuple[list[str], list[str], list[str]]:
    atom = [e.findtext(f"{ATOM}id") for e in _xml(root, "atom.xml").iter(f"{ATOM}entry")]
    rss = [g.text for g in _xml(root, "rss.xml").iter("guid")]
    items = json.loads(read(root, "feed.json"))["items"]
    return atom, rss, [i["id"] for i in items]  # type: ignore[return-value]


def test_every_feed_is_written_and_parses_cleanly(make_site):
    root = _site(make_site)
    for folder in FOLLOWED:
        for name in FEEDS:
            path = root / "public" / folder / name
            assert path.is_file(), path
            if name.endswith(".xml"):
                parsed = feedparser.parse(path.read_bytes())
                assert not parsed.bozo, (path, parsed.get("bozo_exception"))
                assert parsed.version in ("rss20", "atom10")
    assert (root / "public/feed.xsl").is_file()
    for path in (root / "public").rglob("*.xml"):
        if path.name != "sitemap.xml":
            assert not feedparser.parse(path.read_bytes()).bozo, path


def test_atom_has_every_required_element_and_only_absolute_urls(make_site):
    root = _site(make_site)
    feed = _xml(root, "tags/mentoring/atom.xml")
    assert feed.findtext(f"{ATOM}id") == BASE + "tags/mentoring/atom.xml"
    assert feed.findtext(f"{ATOM}title") == "Posts tagged Mentoring — Test Hub"
    assert feed.findtext(f"{ATOM}subtitle")
    assert feed.findtext(f"{ATOM}updated") == "2025-04-01T00:00:00+00:00"  # the newest entry
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "Test Hub"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": BASE + "tags/mentoring/atom.xml",
        "alternate": BASE + "tags/mentoring/",
    }
    assert feed.findtext(f"{ATOM}icon") == BASE + "favicon.svg"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Second", "First meeting"]
    for entry in entries:
        for name in ("id", "title", "updated", "published", "summary", "content"):
            assert entry.findtext(f"{ATOM}{name}"), name
    first = entries[1]
    assert first.findtext(f"{ATOM}id") == "tag:hub.example.org,2025-03-04:posts/first"
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "Ana Lima"
    assert first.findtext(f"{ATOM}author/{ATOM}uri") == BASE + "authors/ana/"
    assert [c.get("term") for c in first.findall(f"{ATOM}category")] == [
        "Mentoring",
        "First meetings",
    ]
    for element in feed.iter():
        for value in (element.get("href"), element.findtext(f"{ATOM}uri")):
            assert value is None or value.startswith(BASE), value


def test_rss_channel_links_the_page_not_the_atom_feed(make_site):
    root = _site(make_site)
    for folder in FOLLOWED:
        channel = _xml(root, f"{folder}rss.xml").find("channel")
        assert channel is not None
        # feedgen takes the RSS <link> from the last link() call: it must be the HTML page.
        assert channel.findtext("link") == BASE + folder
        assert channel.findtext("title") and channel.findtext("description")
        self_link = channel.find(f"{ATOM}link")
        assert self_link is not None and self_link.get("href") == BASE + folder + "rss.xml"
    channel = _xml(root, "rss.xml").find("channel")
    assert channel is not None
    assert channel.findtext("generator") == "hubgen"
    assert channel.findtext("lastBuildDate") == "Tue, 01 Apr 2025 00:00:00 +0000"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Second", "First meeting"]
    for item in items:
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        assert guid.text and guid.text.startswith("tag:hub.example.org,")
        assert item.findtext("link", "").startswith(BASE)
        published = email.utils.parsedate_to_datetime(item.findtext("pubDate", ""))
        assert published.tzinfo is not None
        assert item.findtext("description")
    first = items[1]
    assert first.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Ana Lima"
    assert first.find("author") is None  # RSS <author> is for email addresses
    assert [c.text for c in first.findall("category")] == ["Mentoring", "First meetings"]
    content = first.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert content and "footnote" in content


def test_json_feed_1_1(make_site):
    root = _site(make_site)
    text = read(root, "authors/ana/feed.json")
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] == "Posts by Ana Lima — Test Hub"
    assert data["home_page_url"] == BASE + "authors/ana/"
    assert data["feed_url"] == BASE + "authors/ana/feed.json"
    assert data["language"] == "en"
    (item,) = data["items"]
    assert item["id"] == "tag:hub.example.org,2025-03-04:posts/first"
    assert item["url"] == BASE + "2025/03/first/"
    assert item["title"] == "First meeting"
    assert item["content_html"].startswith("<p>")
    assert item["date_published"] == "2025-03-04T00:00:00+00:00"
    assert item["authors"] == [{"name": "Ana Lima", "url": BASE + "authors/ana/"}]
    assert item["tags"] == ["Mentoring", "First meetings"]


def test_relative_links_and_images_become_absolute(make_site):
    root = _site(make_site)
    post = BASE + "2025/03/first/"
    for name in ("atom.xml", "rss.xml", "feed.json"):
        if name.endswith(".json"):
            content = json.loads(read(root, name))["items"][1]["content_html"]
        else:
            parsed = feedparser.parse((root / "public" / name).read_bytes(), sanitize_html=False)
            content = parsed.entries[1].content[0].value
        assert f'href="{BASE}2025/03/second/"' in content, name  # "../second/" from the post
        assert f'href="{BASE}groups/circle/"' in content
        assert f'href="{post}#notes"' in content
        assert f'src="{post}chart.png"' in content
        assert f'srcset="{post}photo.png 1x, {post}photo-2x.png 2x"' in content
        assert not re.search(r'(href|src)="(?!https://)', content), content
        assert "role=" not in content  # the footnotes' ARIA role, which feed validators flag
        assert "]]&gt; inside" in content


def test_ids_stay_when_a_title_is_edited_and_the_site_rebuilt(make_site):
    root = _site(make_site)
    before = _entry_ids(root)
    assert all(before) and len(before[0]) == 2
    source = root / "content/posts/2025-03-04-first/index.md"
    source.write_text(FIRST.replace("title: First meeting", "title: Our first meeting"), "utf-8")
    assert errors(run_build(root)) == []
    assert "Our first meeting" in read(root, "atom.xml")
    assert _entry_ids(root) == before
    assert before[0] == before[1] == before[2]


def test_an_explicit_id_is_kept(make_site):
    root = _site(
        make_site,
        **{
            "content/posts/third.md": "---\ntitle: Third\ndate: 2025-05-01\ntags: [x]\nid: urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427\n---\nBody.\n",
            "content/posts/fourth.md": "---\ntitle: Fourth\ndate: 2025-05-02\ntags: [x]\nid: old-blog-post-17\n---\nBody.\n",
        },
    )
    atom, _, _ = _entry_ids(root)
    assert atom[:2] == [
        "tag:hub.example.org,2025-05-02:old-blog-post-17",
        "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    ]


def test_feeds_are_byte_identical_across_builds_at_different_times(make_site, tmp_path):
    root = _site(make_site)
    first, second = tmp_path / "one", tmp_path / "two"
    run_build(root, out=first)
    run_build(root, out=second, now=dt.datetime(2031, 6, 1, tzinfo=dt.UTC))
    written = [
        p.relative_to(first)
        for p in first.rglob("*")
        if p.suffix in (".xml", ".json", ".ics", ".xsl")
    ]
    assert len(written) > 15
    for relative in written:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_hostile_text_stays_well_formed(make_site):
    quoted = HOSTILE.replace("\x01", "\\x01")  # YAML takes control characters only escaped
    hostile = f'---\ntitle: "{quoted}"\ndate: 2025-06-01\ntags: ["A & <B>"]\nsummary: "{quoted}"\n---\n\n{HOSTILE}\n\n<p>raw ]]> <!-- c --> &amp; </p>\n'
    root = _site(make_site, **{"content/posts/hostile.md": hostile})
    expected = HOSTILE.replace("\x01", "")
    for name in ("rss.xml", "atom.xml", "tags/a-b/atom.xml"):
        parsed = feedparser.parse((root / "public" / name).read_bytes())
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        assert parsed.entries[0].title == expected
    data = json.loads(read(root, "feed.json"))
    assert data["items"][0]["title"] == expected
    assert "\x01" not in read(root, "atom.xml")


def test_the_directory_feed_lists_groups_newest_first(make_site):
    root = _site(make_site)
    parsed = feedparser.parse((root / "public/groups/atom.xml").read_bytes())
    assert parsed.feed.title == "New groups — Test Hub"
    assert [e.title for e in parsed.entries] == ["Newer Group", "The Circle"]  # no 'founded': out
    assert parsed.entries[0].id == "tag:hub.example.org,2025-02-01:groups/newer"
    assert parsed.entries[0].link == BASE + "groups/newer/"


def test_a_feed_without_entries_is_still_valid_and_dated(make_site):
    root = _site(make_site)
    parsed = feedparser.parse((root / "public/groups/newer/atom.xml").read_bytes())
    assert not parsed.bozo and parsed.entries == []
    assert parsed.feed.updated == "2025-04-01T00:00:00+00:00"  # the site's newest post


def test_every_page_links_the_site_feed_and_its_own(make_site):
    root = _site(make_site)
    site_link = '<link rel="alternate" type="application/atom+xml" href="/hub/atom.xml"'
    for page in ("index.html", "2025/03/first/index.html", "404.html", "groups/index.html"):
        assert site_link in read(root, page), page
    for folder in FOLLOWED[1:]:
        html = read(root, f"{folder}index.html")
        for name, media_type in zip(
            FEEDS,
            ("application/rss+xml", "application/atom+xml", "application/feed+json"),
            strict=True,
        ):
            assert f'rel="alternate" type="{media_type}" href="/hub/{folder}{name}"' in html
        assert 'class="subscribe"' in html and f'href="/hub/{folder}atom.xml"' in html
    assert 'class="subscribe"' in read(root, "index.html")
    assert 'class="subscribe"' not in read(root, "2025/03/first/index.html")


def test_xml_feeds_carry_a_stylesheet_that_makes_them_readable(make_site):
    root = _site(make_site)
    for name in ("rss.xml", "atom.xml"):
        lines = read(root, name).splitlines()
        assert lines[1] == '<?xml-stylesheet type="text/xsl" href="/hub/feed.xsl"?>'
        transform = etree.XSLT(etree.parse(str(root / "public/feed.xsl")))
        page = str(transform(etree.parse(str(root / "public" / name))))
        assert "This is a web feed" in page and "Test Hub" in page
        assert "First meeting" in page and BASE + name in page


def test_feeds_section_of_site_yaml(make_site):
    options = "feeds:\n  formats: [atom]\n  include: [site, tags]\n  items: 1\n  content: summary\n"
    root = _site(make_site, **{"site.yaml": SITE_YAML + options})
    out = root / "public"
    assert (out / "atom.xml").is_file() and (out / "tags/mentoring/atom.xml").is_file()
    assert not (out / "rss.xml").exists() and not (out / "feed.json").exists()
    assert not (out / "authors/ana/atom.xml").exists()
    assert not (out / "groups/atom.xml").exists()
    feed = _xml(root, "atom.xml")
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}content") is None and entry.findtext(f"{ATOM}summary")
    home = read(root, "index.html")
    assert "application/rss+xml" not in home and 'href="/hub/atom.xml"' in home
    assert read(root, "authors/ana/index.html").count('rel="alternate"') == 1  # the site's


def test_a_raster_icon_is_also_the_rss_image(make_site):
    root = _site(make_site, **{"site.yaml": SITE_YAML + "feeds: {icon: /logo.png}\n"})
    channel = _xml(root, "tags/mentoring/rss.xml").find("channel")
    assert channel is not None
    assert channel.findtext("image/url") == BASE + "logo.png"
    assert channel.findtext("image/title") == channel.findtext("title")
    assert channel.findtext("image/link") == channel.findtext("link") == BASE + "tags/mentoring/"
    assert _xml(root, "atom.xml").findtext(f"{ATOM}icon") == BASE + "logo.png"
    assert json.loads(read(root, "feed.json"))["favicon"] == BASE + "logo.png"
    assert _xml(root, "rss.xml").find("channel/image") is not None
    default = _site(make_site, **{"site.yaml": SITE_YAML})  # the theme's favicon.svg: not for RSS
    assert _xml(default, "rss.xml").find("channel/image") is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("feeds: {formats: [atomm]}", "invalid feeds.formats[0] 'atomm'"),
        ("feeds: {include: [everything]}", "invalid feeds.include[0] 'everything'"),
        ("feeds: {items: 0}", "invalid feeds.items 0"),
        ("feeds: {content: all}", "invalid feeds.content 'all'"),
        ("feeds: {format: [rss]}", "unknown field 'feeds.format'"),
        ("feeds: {icon: logo.png}", "invalid feeds.icon 'logo.png'"),
    ],
)
def test_feeds_options_are_validated(make_site, options, message):
    root = make_site({"site.yaml": SITE_YAML + options + "\n"})
    problems = errors(run_build(root))
    assert len(problems) == 1 and message in problems[0], problems
    assert problems[0].startswith("site.yaml:6:")


MARKDOWN_ONLY = """\
Read [the next one](../second/ "Next"), [the circle](/groups/circle/), [notes](#notes),
[a search](https://example.org/find?q=a&b=c#top), <https://example.org/a;b> and
[odd](HTTPS://Example.org/?), [spaces](a%20b.html) and [broken](http://[oops).

![A chart](chart.png "Chart") and ![elsewhere](//cdn.example.org/x.png)

<!--more-->

| Left | Right |
|:-----|------:|
| [cell](cell/) | `code` |

3. three
4. four

```python
print("a < b" & 'c > d')
```

> A *quote* with ~~strike~~ and a [note](note/).
"""
FOOTNOTE = "\nA footnote.[^1]\n\n[^1]: The [note](note/).\n"


@pytest.mark.parametrize("engine", ["python", "fast"])
def test_links_in_markdown_are_made_absolute_as_a_parser_would(engine):
    """Markdown's own HTML is rewritten in place; the result is the same tree as lxml's, tag
    for tag and attribute for attribute (less the tables' inline alignment)."""
    from hubgen.feeds import _parsed_absolute, _plain_absolute
    from hubgen.markdown import PythonMarkdown
    from hubgen.markdown_fast import FastMarkdown

    if engine == "python":
        done = PythonMarkdown(raw_html=True).render(
            MARKDOWN_ONLY + FOOTNOTE, source="p.md", resolve=lambda href: ""
        )
    else:  # footnotes are markdown-it-py's alone
        done = FastMarkdown(raw_html=True).render(
            MARKDOWN_ONLY, source="p.md", resolve=lambda href: ""
        )
    assert done is not None
    rendered, _ = done
    base = BASE + "2025/03/first/"
    plain = _plain_absolute(str(rendered.html), base)
    assert plain is not None
    assert f'href="{BASE}2025/03/second/"' in plain
    assert 'href="https://hub.example.org/groups/circle/"' in plain
    assert f'href="{base}#notes"' in plain and f'src="{base}chart.png"' in plain
    assert 'href="https://example.org/find?q=a&amp;b=c#top"' in plain
    assert 'href="https://example.org/a;b"' in plain and "style=" not in plain
    assert 'src="https://cdn.example.org/x.png"' in plain
    assert f'href="{base}cell/"' in plain and f'href="{base}note/"' in plain

    def tree(fragment: str) -> str:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
        for element in root.iter("th", "td"):
            element.attrib.pop("style", None)
        return str(lxml.html.tostring(root, encoding="unicode"))

    assert tree(plain) == tree(_parsed_absolute(str(rendered.html), base))


@pytest.mark.parametrize(
    "fragment",
    [
        '<p onclick="x()">Hi</p>',
        "<script>alert(1)</script>",
        '<iframe src="v/"></iframe>',
        '<img src="a.png" srcset="a.png 1x">',
        "<div><p>unclosed</p>",
        "<P>upper case</P>",
        "<p>a < b</p>",
        "<!-- a comment -->",
    ],
)
def test_anything_but_markdown_goes_through_the_parser(fragment):
    from hubgen.feeds import _plain_absolute

    assert _plain_absolute(fragment, BASE) is None


@settings(max_examples=int(os.environ.get("HUBGEN_FUZZ_EXAMPLES", "300")), deadline=None)
@given(
    st.text(alphabet="hts:/.?#;[]@%&=+ \t\nA-Za_é1", max_size=40),
    st.sampled_from([BASE, "http://h.example/a/b", "https://x/"]),
)
def test_urls_taken_as_they_are_are_what_urljoin_gives(link, base):
    from urllib.parse import urljoin

    from hubgen.feeds import _KEPT, _joined

    for candidate in (link, "https://" + link, "http://h" + link):
        try:
            expected = urljoin(base, candidate)
        except ValueError:
            expected = candidate
        assert _joined(base, candidate) == expected
        if _KEPT.fullmatch(candidate):
            assert expected == candidate


@given(st.text(alphabet=st.characters(max_codepoint=0x10FFFF), max_size=30))
@settings(max_examples=400, deadline=None)
def test_clean_takes_out_what_xml_cannot_carry(text: str) -> None:
    """Of ASCII text by a table, of any other by the pattern: the same characters go."""
    from hubgen.feeds import _NOT_XML, clean

    for sample in (text, text.encode("ascii", "ignore").decode("ascii")):
        assert clean(sample) == _NOT_XML.sub("", sample)


# hubgen writes its feeds itself, for speed; feedgen, which wrote them before, and json.dumps are
# the oracles: the same feeds, written by them, are the same bytes.
_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs",), exclude_characters=[chr(0xFFFE), chr(0xFFFF)]
    ).filter(lambda c: feeds.clean(c) == c),
    max_size=12,
) | st.sampled_from(["", "a & b", "<p>x</p>", 'say "hi"', "tab\there", "line\r\nend", "]]>", "é—ü"])
_WORD = _TEXT.filter(bool)
_MOMENT = st.datetimes(
    min_value=dt.datetime(1000, 1, 1), timezones=st.sampled_from([dt.UTC, ZoneInfo("Asia/Kolkata")])
)
_URL = st.sampled_from(["https://hub.example.org/a/", "https://x.org/?q=1&r=<2>", 'http://h/"q"'])


@st.composite
def _entries(draw: st.DrawFn) -> feeds.Entry:
    return feeds.Entry(
        id=draw(_WORD),
        title=draw(_WORD),
        link=draw(_URL | _TEXT),
        published=draw(_MOMENT),
        updated=draw(_MOMENT),
        authors=tuple(
            feeds.Person(draw(_TEXT), draw(st.none() | _URL))
            for _ in range(draw(st.integers(0, 2)))
        ),
        categories=tuple(draw(st.lists(_WORD, max_size=3))),
        summary=draw(_TEXT),
        content=draw(_TEXT | st.just('<p>A <a href="https://x.org/">link</a> &amp; more</p>\n')),
        image=draw(st.none() | _URL),
    )


@st.composite
def _feeds(draw: st.DrawFn) -> tuple[feeds.Feed, SiteConfig]:
    config = SiteConfig(title=draw(_WORD), language=draw(st.sampled_from(["en", "pt-BR", ""])))
    feed = feeds.Feed(
        title=draw(_WORD),
        subtitle=draw(_WORD),
        self_url=draw(_URL),
        page_url=draw(_URL),
        home_url=draw(_URL),
        icon_url=draw(st.none() | st.sampled_from(["https://h/i.svg", "https://h/logo.PNG"])),
        updated=draw(_MOMENT),
        entries=tuple(draw(st.lists(_entries(), max_size=3))),
    )
    return feed, config


def _feedgen(feed: feeds.Feed, config: SiteConfig, kind: str) -> bytes:
    """The feed as hubgen had feedgen write it, pretty-printed, with the stylesheet put in."""
    generator = FeedGenerator()
    generator.title(feed.title)
    generator.subtitle(feed.subtitle)
    generator.language(config.language)
    generator.generator("hubgen")
    generator.updated(feed.updated)
    if kind == "atom":
        generator.id(feed.self_url)
        generator.author(name=feeds.clean(config.title), uri=feed.home_url)
        generator.link(href=feed.page_url, rel="alternate", type="text/html")
        generator.link(href=feed.self_url, rel="self", type="application/atom+xml")
        if feed.icon_url:
            generator.icon(feed.icon_url)
    else:
        generator.load_extension("dc", atom=False, rss=True)
        generator.link(href=feed.self_url, rel="self", type="application/rss+xml")
        generator.link(href=feed.page_url, rel="alternate")
        if feed.icon_url and feed.icon_url.lower().endswith(feeds.RASTER):
            generator.image(url=feed.icon_url, title=feed.title, link=feed.page_url)
    for entry in feed.entries:
        item = generator.add_entry(order="append")
        if kind == "atom":
            item.id(entry.id)
            item.title(entry.title)
            item.link(href=entry.link, rel="alternate", type="text/html")
            item.published(entry.published)
            item.updated(entry.updated)
            for person in entry.authors:
                item.author({"name": person.name, **({"uri": person.url} if person.url else {})})
            for category in entry.categories:
                item.category(term=category)
            if entry.summary:
                item.summary(html.escape(entry.summary, quote=False), type="html")
            if entry.content:
                item.content(entry.content, type="html")
        else:
            item.title(entry.title)
            item.link(href=entry.link)
            item.guid(entry.id, permalink=False)
            item.pubDate(entry.published)
            if entry.content:
                item.content(entry.content)
            if entry.summary:
                item.description(html.escape(entry.summary, quote=False))
            for category in entry.categories:
                item.category(term=category)
            if entry.authors:
                item.dc.dc_creator([p.name for p in entry.authors])
    xml = bytes(
        generator.atom_str(pretty=True) if kind == "atom" else generator.rss_str(pretty=True)
    )
    declaration, _, rest = xml.partition(b"\n")
    return declaration + b'\n<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>\n' + rest


@given(_feeds())
@settings(max_examples=int(os.environ.get("HUBGEN_FUZZ_EXAMPLES", "300")), deadline=None)
def test_rss_and_atom_are_the_bytes_feedgen_writes(made: tuple[feeds.Feed, SiteConfig]) -> None:
    feed, config = made
    assert feeds.rss_xml(feed, config) == _feedgen(feed, config, "rss")
    assert feeds.atom_xml(feed, config) == _feedgen(feed, config, "atom")


@given(_entries())
@settings(max_examples=int(os.environ.get("HUBGEN_FUZZ_EXAMPLES", "300")), deadline=None)
def test_a_json_feed_item_is_what_json_dumps_writes(entry: feeds.Entry) -> None:
    item: dict[str, object] = {
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
    written = json.dumps(item, ensure_ascii=False, indent=2, sort_keys=True)
    assert feeds._json_entry(entry) == written.replace("\n", "\n    ")


def _tagged_posts(count: int) -> dict[str, str | bytes]:
    """Posts each in three tags' feeds and its author's, besides the site's."""
    files: dict[str, str | bytes] = {"site.yaml": SITE_YAML}
    for n in range(count):
        files[f"content/posts/p{n}.md"] = (
            f"---\ntitle: Post {n}\ndate: 2025-01-{n + 1:02d}\n"
            f"tags: [T{n % 3}, U{n % 2}, Every]\nauthors: [ana]\n---\n\nBody of [post {n}](/).\n"
        )
    return files


@pytest.mark.parametrize("room", [True, False])
def test_a_process_with_room_makes_and_writes_each_entry_once(make_site, monkeypatch, room):
    """Feed entries are kept past their floor while the process has room in memory, and the
    elements written of them: each post's entry is made once, and written once in each format,
    for all the feeds it is in. Without room, the floor: made and written again. The same bytes
    either way."""
    monkeypatch.setattr(feeds, "_ENTRIES_KEPT", 1)
    monkeypatch.setattr(memory, "room", lambda: room)
    made: list[str] = []
    written: list[tuple[str, str]] = []
    make_entry = feeds._post_entry

    def making(post, config, full):
        made.append(post.source)
        return make_entry(post, config, full)

    def counting(kind, write):
        return lambda entry: written.append((kind, entry.id)) or write(entry)

    monkeypatch.setattr(feeds, "_post_entry", making)
    monkeypatch.setattr(feeds, "_WRITERS", {k: counting(k, w) for k, w in feeds._WRITERS.items()})
    root = make_site(_tagged_posts(6))
    assert not errors(run_build(root))
    posts = 6
    if room:
        assert sorted(made) == sorted(set(made)) and len(made) == posts
        assert len(written) == 3 * posts  # once in each format
    else:
        assert len(made) > posts and len(written) > 3 * posts
    feeds._ENTRIES.clear()
    feeds._WRITTEN.clear()
    monkeypatch.setattr(memory, "room", lambda: not room)
    again = make_site(_tagged_posts(6), name="again")
    assert not errors(run_build(again))
    for folder in ("", "authors/ana/", "tags/t0/", "tags/u1/", "tags/every/"):
        for name in FEEDS:
            assert read(root, folder + name) == read(again, folder + name)


def test_the_feeds_are_written_by_one_worker_which_makes_each_entry_once(
    make_site, monkeypatch, tmp_path
):
    """The feeds go to the workers first, all in one chunk: each post's entry is made by one
    process, once, though the post is in the feeds of three tags, its author and the site. (In
    chunks shared by both workers, two thirds of the entries were made twice at 1,000 posts.)
    The same bytes as a build by one process."""
    monkeypatch.setattr(memory, "room", lambda: True)
    log = tmp_path / "made.log"
    make_entry = feeds._post_entry

    def making(post, config, full):
        with log.open("a", encoding="utf-8") as made:  # one short write: whole lines
            made.write(f"{os.getpid()} {Path(post.source).name}\n")
        return make_entry(post, config, full)

    monkeypatch.setattr(feeds, "_post_entry", making)
    files = _tagged_posts(0)
    for n in range(60):
        files[f"content/posts/p{n}.md"] = (
            f"---\ntitle: Post {n}\ndate: 2025-02-{n % 28 + 1:02d}\n"
            f"tags: [T{n % 20}, U{n % 7}, Every]\nauthors: [ana]\n---\n\nBody {n}.\n"
        )
    monkeypatch.setenv("HUBGEN_WORKERS", "2")
    root = make_site(files)
    result = run_build(root)
    assert not errors(result) and len(result.rendered) > 200  # enough to be shared out
    made = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted(name for _, name in made) == sorted(f"p{n}.md" for n in range(60))
    assert len({pid for pid, _ in made}) == 1 and made[0][0] != str(os.getpid())
    monkeypatch.setenv("HUBGEN_WORKERS", "1")
    alone = make_site(files, name="alone")
    assert not errors(run_build(alone))
    ours, theirs = root / "public", alone / "public"
    for path in ours.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (theirs / path.relative_to(ours)).read_bytes(), path


def test_feeds_that_are_most_of_the_jobs_are_not_all_given_to_one_worker(make_site, monkeypatch):
    """Ten posts in eighty tags: the feeds are three jobs in four. One chunk holds half the jobs
    (all feeds), and the other feeds are shared out with the pages, so the other worker is not
    left idle."""
    chunks: list[tuple[int, int, list[str]]] = []
    original = render.parallel_map

    def parallel_map(function, items, **options):  # type: ignore[no-untyped-def]
        formats = [job.format for job, _, _ in items]
        chunks.append((options.get("together", 0), len(items), formats))
        return original(function, items, **options)

    monkeypatch.setattr(render, "parallel_map", parallel_map)
    files = _tagged_posts(0)
    for n in range(10):
        tags = ", ".join(f"T{n}x{t}" for t in range(8))
        files[f"content/posts/p{n}.md"] = (
            f"---\ntitle: Post {n}\ndate: 2025-03-{n + 1:02d}\ntags: [{tags}]\n---\n\nBody.\n"
        )
    assert not errors(run_build(make_site(files)))
    [(together, total, formats)] = chunks
    feed = [render.FORMATS[f].role == "feed" for f in formats]
    assert sum(feed) > total // 2 and together == total // 2
    assert all(feed[: sum(feed)])  # the feeds first


def test_caches_let_their_oldest_go_down_to_the_floor_when_there_is_no_room(monkeypatch):
    cache = {n: str(n) for n in range(10)}
    monkeypatch.setattr(memory, "room", lambda: True)
    memory.trim(cache, 3)
    assert len(cache) == 10
    monkeypatch.setattr(memory, "room", lambda: False)
    memory.trim(cache, 3)
    assert cache == {7: "7", 8: "8", 9: "9"}


def test_room_is_the_process_under_its_size_limit(monkeypatch):
    size = memory.resident()
    assert size is not None and size > 1 << 20  # this process's, read from /proc
    monkeypatch.setattr(memory, "ROOM", size * 4)
    assert memory.Room()()
    monkeypatch.setattr(memory, "ROOM", size // 4)
    room = memory.Room()
    assert not room()
    monkeypatch.setattr(memory, "ROOM", size * 4)
    assert not room()  # the reading is kept for a while
    room._left = 0
    assert room()
