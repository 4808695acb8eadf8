"""Incremental builds: only what depends on a change is rendered, and the output never differs.

Every incremental build here is compared, file by file, with a clean build of the same input in
a fresh folder with no cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import re
import shutil
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import meta
from markupsafe import Markup

from hubgen import feeds, inputs, memory, output, theme, yamlio
from hubgen.build import Session
from hubgen.cache import BODIES, FOLDER, PAGES, YAML, BuildCache
from hubgen.errors import Problems
from hubgen.fingerprint import Fingerprints, code
from hubgen.markdown import MarkdownRenderer
from hubgen.models import Facet, TocEntry
from hubgen.render import referenced_templates
from tests.conftest import MakeSite, errors, run_build, write_files

SITE = {
    "site.yaml": """\
title: Test Hub
base_url: https://hub.example.org/
timezone: UTC
posts_per_page: 2
""",
    "content/authors.yaml": "ada:\n  name: Ada Lovelace\n",
    "content/groups/circle.yaml": "name: Circle\nsummary: A circle.\n",
    "content/pages/about.md": "---\ntitle: About\n---\nSee [the first post](../posts/p1.md).\n",
    **{
        f"content/posts/p{n}.md": (
            f"---\ntitle: Post {n}\ndate: 2026-01-0{n}\ntags: [Mentoring]\n"
            + ("authors: [ada]\ngroups: [circle]\n" if n == 1 else "")
            + f"---\nBody of post {n}.\n"
        )
        for n in range(1, 6)
    },
}


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _served(root: Path) -> Session:
    """A session that has built ``root`` once, as ``hubgen serve`` starts."""
    session = Session()
    assert not errors(run_build(root, session=session))
    return session


def clean_build(root: Path, scratch: Path) -> dict[str, bytes]:
    """The same site built from nothing: a copy without cache or output."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(FOLDER, "public", ".public.*"))
    result = run_build(scratch)
    assert not errors(result)
    return tree(scratch / "public")


def test_nothing_changed_renders_nothing_but_the_sitemap(make_site: MakeSite) -> None:
    root = make_site(SITE)
    first = run_build(root)
    assert first.pages == sum(path.endswith(".html") for path in first.rendered) == 20
    before = tree(root / "public")
    for record in (root / FOLDER).glob("inputs-*.json"):  # no shortcut: the cache is tested
        record.unlink()
    again = run_build(root)
    assert again.rendered == ("robots.txt", "sitemap.xml")
    assert tree(root / "public") == before


def test_a_session_reads_again_what_it_is_told_changed_however_alike_it_looks(
    make_site: MakeSite,
) -> None:
    """An edit of the same size within one tick of the clock leaves size and mtime alike."""
    root = make_site(SITE)
    session = _served(root)
    post = root / "content/posts/p3.md"
    status = post.stat()
    post.write_text(post.read_text().replace("Body of post 3.", "Body of post X."))
    os.utime(post, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert post.stat().st_size == status.st_size
    session.changed([post])
    assert run_build(root, session=session).published
    assert "Body of post X." in (root / "public/2026/01/p3/index.html").read_text()


def test_a_session_edits_quickly_through_an_editor_s_backup_and_swap_files(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """vim saves by writing '4913', renaming the post to 'p3.md~' and writing it anew."""
    root = make_site(SITE)
    session = _served(root)
    post = root / "content/posts/p3.md"
    text = post.read_text()
    probe, backup = post.with_name("4913"), post.with_name("p3.md~")
    probe.write_text("")
    probe.unlink()
    post.rename(backup)
    post.write_text(text + "Saved by vim.\n")
    session.changed([probe, backup, post, post.with_name(".p3.md.swp")])
    result = run_build(root, session=session)
    assert "sitemap.xml" not in result.rendered  # the quick way
    assert "Saved by vim." in (root / "public/2026/01/p3/index.html").read_text()
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_session_builds_the_whole_way_when_a_folder_of_posts_goes_with_an_edit(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """A folder moved away is one event, its posts none: it is never taken for a backup file."""
    nine = SITE["content/posts/p5.md"].replace("5", "9")
    root = make_site({**SITE, "content/posts/more/p9.md": nine})
    session = _served(root)
    assert (root / "public/2026/01/p9/index.html").exists()
    post = root / "content/posts/p3.md"
    post.write_text(post.read_text() + "Edited.\n")
    folder = root / "content/posts/more"
    folder.rename(tmp_path / "elsewhere")
    session.changed([post, folder])
    result = run_build(root, session=session)
    assert "sitemap.xml" in result.rendered  # the whole way
    assert not (root / "public/2026/01/p9/index.html").exists()
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_session_retitles_a_post_quickly_everywhere_it_is_shown(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site(SITE)
    session = _served(root)
    post = root / "content/posts/p3.md"
    post.write_text(post.read_text().replace("title: Post 3", "title: Post Three"))
    session.changed([post])
    result = run_build(root, session=session)
    assert "sitemap.xml" not in result.rendered  # the quick way
    assert "Post Three" in (root / "public/page/2/index.html").read_text()
    assert "Post Three" in (root / "public/2026/01/p4/index.html").read_text()  # "older" link
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


@pytest.mark.parametrize("serving", [False, True])
def test_an_update_publishes_the_files_its_workers_rendered(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serving: bool
) -> None:
    """An update that renders hundreds of files does so in worker processes, which stage them:
    every one is published, by a new process as by a session."""
    monkeypatch.setenv("HUBGEN_WORKERS", "2")
    posts = {
        f"content/posts/q{n:03d}.md": f"---\ntitle: Q {n}\ndate: 2025-03-01\ntags: [T{n % 9}]\n---\nQ.\n"
        for n in range(160)
    }
    root = make_site({**SITE, **posts})
    session = _served(root) if serving else None
    if session is None:
        assert not errors(run_build(root))
    (root / "site.yaml").write_text(SITE["site.yaml"].replace("Test Hub", "Renamed Hub"))
    if session is not None:
        session.changed([root / "site.yaml"])
    result = run_build(root, session=session)
    assert result.published and not errors(result) and len(result.rendered) > 300
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")
    assert not list(root.glob(".public.*"))


def test_a_session_writes_over_its_published_files_in_place(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """Serve's private folder is updated by writing over each changed file (the same inode),
    but a file with another name somewhere, which is replaced; nothing is left staged."""
    root = make_site(SITE)
    session = _served(root)
    out = root / "public"
    page, home = out / "2026/01/p3/index.html", out / "page/2/index.html"
    other = tmp_path / "other-name.html"
    os.link(home, other)  # a second name: writing over the file would change it too
    inode = page.stat().st_ino
    post = root / "content/posts/p3.md"
    post.write_text(post.read_text().replace("title: Post 3", "title: Post Three"))
    session.changed([post])
    result = run_build(root, session=session)
    assert result.published and not errors(result)
    assert "robots.txt" not in result.rendered  # the quick way
    assert page.stat().st_ino == inode and "Post Three" in page.read_text()
    assert "Post Three" in home.read_text() and "Post Three" not in other.read_text()
    assert tree(out) == clean_build(root, tmp_path / "clean")
    assert not list(root.glob(".public.*"))
    (root / "site.yaml").write_text(SITE["site.yaml"].replace("Test Hub", "Hub"))
    session.changed([root / "site.yaml"])  # a whole build: the same way
    result = run_build(root, session=session)
    assert result.published and "robots.txt" in result.rendered
    assert page.stat().st_ino == inode and "— Hub" in page.read_text()
    assert tree(out) == clean_build(root, tmp_path / "clean")
    assert not list(root.glob(".public.*"))


def test_a_session_that_fails_to_publish_builds_the_whole_way_next(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build cut short while it writes over the published files leaves the folder half
    written: the next build of the session trusts it no more and makes it whole again, even
    when the edits are undone (their pages would match the records of the last good build)."""
    root = make_site(SITE)
    session = _served(root)
    real, placed = output._place, []

    def failing(out: Path, target: Path, data: bytes, mtime_ns: int) -> None:
        if len(placed) == 3:
            raise OSError(28, "No space left on device")
        placed.append(target)
        real(out, target, data, mtime_ns)

    monkeypatch.setattr(output, "_place", failing)
    posts = [root / f"content/posts/p{n}.md" for n in (2, 3)]
    before = [post.read_text() for post in posts]
    for post in posts:  # two posts: a whole build
        post.write_text(post.read_text().replace("title: Post", "title: Retitled post"))
    session.changed(posts)
    with pytest.raises(OSError, match="No space"):
        run_build(root, session=session)
    assert any("Retitled" in target.read_text() for target in placed)  # half written
    monkeypatch.setattr(output, "_place", real)
    for post, text in zip(posts, before, strict=True):
        post.write_text(text)
    session.changed(posts)
    result = run_build(root, session=session)
    assert result.published and not errors(result)
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_session_retags_a_post_quickly(make_site: MakeSite, tmp_path: Path) -> None:
    """A retagged post is built quickly: its page, the pages that show it, the pages and feeds
    of the tags it joined or left, the tag index, and the sitemap when the tags' pages moved.
    A page no longer there goes; a tag whose name (its most used spelling) changes is renamed
    on every post's page."""
    root = make_site(SITE)  # five posts tagged Mentoring, two a page
    session = _served(root)
    tags = re.compile(r"tags: \[.*\]")

    def retag(name: str, to: str) -> set[str]:
        post = root / f"content/posts/{name}.md"
        post.write_text(tags.sub(f"tags: [{to}]", post.read_text()))
        session.changed([post])
        result = run_build(root, session=session)
        assert result.published and not errors(result)
        assert "robots.txt" not in result.rendered  # the quick way
        assert tree(root / "public") == clean_build(root, tmp_path / "clean")
        assert (result.pages, result.files) == (run_build(root).pages, run_build(root).files)
        return set(result.rendered)

    joined = retag("p3", "Mentoring, Peer support")
    assert {
        "tags/peer-support/index.html",
        "tags/peer-support/rss.xml",
        "tags/index.html",
        "tags/mentoring/page/2/index.html",  # shows p3, with its tags
        "sitemap.xml",
    } <= joined
    assert not {"tags/mentoring/index.html", "tags/mentoring/page/3/index.html"} & joined
    left = retag("p3", "Peer support")  # Mentoring has four posts: two pages, not three
    assert {"tags/mentoring/index.html", "sitemap.xml"} <= left
    assert not (root / "public/tags/mentoring/page/3").exists()
    unchanged = retag("p3", "Peer support, Peer support")  # the same tags: no tag page moves
    assert not {"sitemap.xml", "tags/index.html"} & unchanged
    retag("p4", "Mentoring, peer support")  # a tie: the name stays 'Peer support'
    renamed = retag("p4", "Mentoring, PEER SUPPORT, PEER SUPPORT, PEER SUPPORT")  # 3 uses to 2
    assert "2026/01/p3/index.html" in renamed  # another post, whose tag is named anew
    assert "PEER SUPPORT" in (root / "public/2026/01/p3/index.html").read_text()
    retag("p3", "Mentoring")  # p4 keeps the tag alone


def test_a_session_renders_only_the_pages_that_read_what_changed(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """A quick build renders a page again only if its template read something of the post
    that changed: a new second paragraph leaves the listings (which show the first) be."""
    root = make_site(SITE)
    session = _served(root)
    post = root / "content/posts/p3.md"
    post.write_text(post.read_text() + "\nA second paragraph.\n")
    session.changed([post])
    result = run_build(root, session=session)
    assert {r for r in result.rendered if r.endswith(".html")} == {
        "2026/01/p3/index.html",
        "2026/01/p2/index.html",  # its own body is read there, and the body changed
        "2026/01/p4/index.html",
    }
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")
    post.write_text(post.read_text().replace("title: Post 3", "title: Post Three"))
    session.changed([post])
    result = run_build(root, session=session)
    assert {"archive/index.html", "page/2/index.html"} <= set(result.rendered)
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")
    # and after a build that goes the whole way, what pages kept from before read is known
    other = root / "content/posts/p5.md"
    other.write_text(other.read_text().replace("tags: [Mentoring]", "authors: [ada]\ntags: [M]"))
    session.changed([other])
    assert "robots.txt" in run_build(root, session=session).rendered  # the whole way
    post.write_text(post.read_text() + "\nA third paragraph.\n")
    session.changed([post])
    assert "archive/index.html" not in run_build(root, session=session).rendered
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


@pytest.mark.parametrize(
    "shown",
    [
        "{{ years[0][1]|map(attribute='word_count')|sum }}",  # read by item
        "{{ years[0][1][2]|attr('reading_time') }} {{ (years[0][1][2]).word_count }}",
        "{{ years[0][1]|map('string')|join|length }}",  # a post turned into text, whole
    ],
)
def test_a_session_notes_every_way_a_template_reads_a_post(
    make_site: MakeSite, tmp_path: Path, shown: str
) -> None:
    """However the archive reads the edited post's body, the quick build renders it again."""
    template = (
        '{% extends "!theme/archive.html" %}\n'
        f'{{% block content %}}{{{{ super() }}}}<p id="shown">{shown}</p>{{% endblock %}}\n'
    )
    root = make_site({**SITE, "templates/archive.html": template})
    session = _served(root)
    post = root / "content/posts/p3.md"
    post.write_text(post.read_text() + "\nMany more words in a second paragraph here.\n")
    session.changed([post])
    result = run_build(root, session=session)
    assert "sitemap.xml" not in result.rendered  # the quick way
    assert "archive/index.html" in result.rendered
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_session_goes_on_after_a_quick_build_with_all_it_knew(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a body's quick build, a build that goes the whole way still has every other body
    and front matter remembered: it renders and parses nothing again."""
    root = make_site(SITE)
    session = _served(root)
    post = root / "content/posts/p3.md"
    post.write_text(post.read_text() + "More.\n")
    session.changed([post])
    assert "sitemap.xml" not in run_build(root, session=session).rendered  # the quick way
    calls: list[str] = []
    original = yamlio._load

    def parse(*args: object, **kwargs: object) -> object:
        calls.append(str(args[1]))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(yamlio, "_load", parse)
    monkeypatch.setattr(MarkdownRenderer, "render", lambda *a, **k: calls.append("markdown"))
    other = root / "content/posts/p4.md"
    other.write_text(other.read_text().replace("date: 2026-01-04", "date: 2026-01-08"))
    session.changed([other])
    result = run_build(root, session=session)
    assert result.published and "robots.txt" in result.rendered  # the whole way
    # the edited post's front matter alone (site.yaml and theme.yaml are read every build)
    assert [c for c in calls if "content" in c or c == "markdown"] == ["content/posts/p4.md"]


def test_a_session_reports_what_a_post_s_new_body_breaks(make_site: MakeSite) -> None:
    """A body edited alone is built quickly, but never past the problems it makes: a broken
    link in it, or a link from another post into a heading it no longer has."""
    root = make_site(
        {
            **SITE,
            "content/posts/p3.md": "---\ntitle: Post 3\ndate: 2026-01-03\ntags: [M]\n---\n"
            "## Old heading\n\nBody.\n",
            "content/posts/p4.md": "---\ntitle: Post 4\ndate: 2026-01-04\ntags: [M]\n---\n"
            "See [the heading](p3.md#old-heading).\n",
        }
    )
    session = Session()
    assert not run_build(root, session=session).problems
    post = root / "content/posts/p3.md"
    good = post.read_text()
    post.write_text(good + "\nSee [nothing](missing.md).\n")
    session.changed([post])
    broken = run_build(root, session=session)
    assert not broken.published
    assert [p.format() for p in broken.problems] == [
        "content/posts/p3.md:10:1: error: link to a missing file: missing.md"
        " (links to other posts name their source file, e.g. ../other-post.md)"
    ]
    post.write_text(good.replace("Old heading", "New heading"))
    session.changed([post])
    moved = run_build(root, session=session)
    assert moved.published
    assert [p.message for p in moved.problems] == [
        "link to a missing anchor: /2026/01/p3/#old-heading"
    ]
    assert "New heading" in (root / "public/2026/01/p3/index.html").read_text()


@pytest.mark.parametrize("serving", [False, True], ids=["new process", "session"])
def test_one_edited_post_renders_its_page_neighbours_listings_and_feeds(
    make_site: MakeSite, tmp_path: Path, serving: bool
) -> None:
    root = make_site(SITE)
    session = Session() if serving else None
    run_build(root, session=session)
    post = root / "content/posts/p3.md"
    post.write_text(post.read_text() + "One more sentence.\n")
    if session is not None:
        session.changed([post])
    result = run_build(root, session=session)
    feeds = ("atom.xml", "feed.json", "rss.xml")
    assert set(result.rendered) == {
        "2026/01/p3/index.html",  # the post
        "2026/01/p2/index.html",  # its older neighbour's "newer" link
        "2026/01/p4/index.html",  # its newer neighbour's "older" link
        "page/2/index.html",  # the page of the home listing that shows it
        *feeds,  # the site's feeds
        "tags/mentoring/page/2/index.html",
        *(f"tags/mentoring/{f}" for f in feeds),
        # the sitemap and robots.txt are the same; a session's quick build leaves them be, and
        # the archives, whose templates read nothing of the post but its title, URL and date
        *(() if serving else ("archive/index.html", "archive/2026/index.html")),
        *(() if serving else ("sitemap.xml", "robots.txt")),
    }
    assert "One more sentence." in (root / "public/2026/01/p3/index.html").read_text()
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_template_change_renders_the_pages_that_use_it(make_site: MakeSite) -> None:
    root = make_site(SITE)
    theme = Path(__file__).parent.parent / "themes/default/templates/page.html"
    write_files(root, {"templates/page.html": theme.read_text().replace("<h1", "<h1 data-x")})
    run_build(root)
    page = root / "templates/page.html"
    page.write_text(page.read_text().replace("data-x", "data-y"))
    result = run_build(root)
    assert set(result.rendered) == {"about/index.html", "sitemap.xml", "robots.txt"}
    assert "data-y" in (root / "public/about/index.html").read_text()


def test_compiled_templates_are_kept_for_the_code_that_compiled_them(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jinja checks a compiled template against its source alone: templates compiled by another
    hubgen (another Jinja, other options or filters) are in another folder, removed, not taken."""
    root = make_site(SITE)
    earlier = write_files(root, {".hubgen-cache/jinja/old.cache": b"compiled by earlier hubgen"})
    run_build(root, write=False)
    now = root / FOLDER / f"jinja-{code()[:16]}"
    assert any(now.iterdir())  # the templates compiled for this code
    assert not (earlier / ".hubgen-cache/jinja").exists()
    page = root / "public/about/index.html"
    run_build(root)
    before = page.read_bytes()
    monkeypatch.setattr(theme, "code", lambda: "f" * 32)
    (root / "public").rename(root / "before")
    run_build(root)
    assert {p.name for p in (root / FOLDER).glob("jinja*")} == {"jinja-" + "f" * 16}
    assert page.read_bytes() == before


def test_a_renamed_link_target_renders_the_page_linking_to_it(make_site: MakeSite) -> None:
    root = make_site(SITE)
    run_build(root)
    (root / "content/posts/p1.md").rename(root / "content/posts/first.md")
    about = root / "content/pages/about.md"
    about.write_text(about.read_text().replace("p1.md", "first.md"))
    result = run_build(root)
    assert "about/index.html" in result.rendered
    assert 'href="/2026/01/first/"' in (root / "public/about/index.html").read_text()
    assert not (root / "public/2026/01/p1").exists()


def test_deleting_the_cache_or_the_output_changes_nothing(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site(SITE)
    run_build(root)
    expected = clean_build(root, tmp_path / "clean")
    shutil.rmtree(root / FOLDER)
    assert len(run_build(root).rendered) > 20
    assert tree(root / "public") == expected
    shutil.rmtree(root / "public")
    assert len(run_build(root).rendered) > 20
    assert tree(root / "public") == expected


def test_each_output_folder_keeps_its_own_records(make_site: MakeSite, tmp_path: Path) -> None:
    root = make_site(SITE)
    age(root)
    run_build(root)
    elsewhere = tmp_path / "served"  # as hubgen serve does, with another base_url
    assert len(run_build(root, out=elsewhere, base_url="http://127.0.0.1:8000/").rendered) > 20
    assert run_build(root).rendered == ()  # public/ is still known
    shutil.rmtree(elsewhere)
    run_build(root, drafts=True)  # a build that writes the records forgets the folder gone
    assert len(list((root / FOLDER).glob(f"{PAGES}-*.bin"))) == 1
    assert len(list((root / FOLDER).glob("resume-*.bin"))) == 1  # what resume stored for it too


def test_a_touched_published_file_is_rendered_again(make_site: MakeSite) -> None:
    root = make_site(SITE)
    run_build(root)
    page = root / "public/about/index.html"
    original = page.read_bytes()
    page.write_bytes(b"vandalised")
    result = run_build(root)
    assert "about/index.html" in result.rendered
    assert page.read_bytes() == original


def test_a_corrupted_or_truncated_cache_is_ignored(make_site: MakeSite, tmp_path: Path) -> None:
    root = make_site(SITE)
    run_build(root)
    expected = clean_build(root, tmp_path / "clean")
    [file] = (root / FOLDER).glob(f"{PAGES}-*.bin")
    whole = file.read_bytes()
    header, _, rest = whole.partition(b"\n")
    payload, _, checksum = rest.rpartition(b"\n")
    assert checksum == hashlib.sha256(payload).hexdigest().encode()
    # a cache that lies, checksum and all: its pages claim another output folder
    lie = marshal.dumps({**marshal.loads(payload), "output": "/x"})
    for bad in (
        whole[: len(whole) // 2],  # truncated
        whole.replace(b"index.html", b"index.htm"),  # bit rot: the checksum fails
        b"\x00\xff not a cache",
        b"",
        b"\n".join([header, lie, hashlib.sha256(lie).hexdigest().encode()]),
        b"\n".join([header.replace(b'"python"', b'"pithon"'), payload, checksum]),
    ):
        cache = root / FOLDER
        damaged_files = (file, cache / YAML, *cache.glob(f"{BODIES}-*.bin"))
        for damaged in (*damaged_files, *cache.glob("inputs-*.json")):
            damaged.write_bytes(bad)
        result = run_build(root)
        assert not errors(result)
        assert len(result.rendered) > 20
        assert tree(root / "public") == expected


def test_a_rebuild_rewrites_only_the_cached_bodies_it_changed(make_site: MakeSite) -> None:
    root = make_site(SITE)
    run_build(root)
    shards = {p.name: p.stat().st_mtime_ns for p in (root / FOLDER).glob(f"{BODIES}-*.bin")}
    assert len(shards) > 1
    post = root / "content/posts/p4.md"
    post.write_text(post.read_text() + "More.\n")
    run_build(root)
    after = {p.name: p.stat().st_mtime_ns for p in (root / FOLDER).glob(f"{BODIES}-*.bin")}
    changed = {name for name in after if after[name] != shards.get(name)}
    assert 1 <= len(changed) <= 2  # the new body's shard, and the old one's if it is another
    assert len(after) in (len(shards), len(shards) + 1, len(shards) - 1)


def test_a_failed_build_keeps_the_cache_of_the_published_site(make_site: MakeSite) -> None:
    root = make_site(SITE)
    run_build(root)
    post = root / "content/posts/p2.md"
    good = post.read_text()
    post.write_text(good.replace("title: Post 2\n", ""))
    assert errors(run_build(root))
    post.write_text(good)
    assert run_build(root).rendered == ("robots.txt", "sitemap.xml")


# --- random sequences of edits ---------------------------------------------------------------

EDITS = st.sampled_from(
    [
        "add post",
        "edit post",
        "retitle post",
        "retag post",
        "untag post",
        "respell tag",
        "rename post",
        "delete post",
        "add group",
        "edit group",
        "delete group",
        "edit template",
        "edit config",
        "link post",
    ]
)


def apply(root: Path, edit: str, number: int) -> None:
    posts = sorted((root / "content/posts").glob("*.md"))
    groups = sorted((root / "content/groups").glob("*.yaml"))
    post = posts[number % len(posts)] if posts else None
    if edit == "add post" or post is None:
        day = 1 + number % 28
        (root / f"content/posts/new-{number}.md").write_text(
            f"---\ntitle: New {number}\ndate: 2026-02-{day:02d}\ntags: [T{number % 3}]\n---\n"
            f"Fresh post {number}.\n"
        )
    elif edit == "edit post":
        post.write_text(post.read_text() + f"\nEdit {number}.\n")
    elif edit == "retitle post":
        text = post.read_text()
        head, _, rest = text.partition("title: ")
        post.write_text(head + f"title: Retitled {number}\n" + rest.split("\n", 1)[1])
    elif edit == "retag post":
        text = post.read_text().replace("tags: [", f"tags: [Extra{number % 2}, ", 1)
        post.write_text(text)
    elif edit == "untag post":
        post.write_text(re.sub(r"tags: \[[^\]]*\]", f"tags: [Solo{number % 2}]", post.read_text()))
    elif edit == "respell tag":  # two spellings in one post: the most used one can change
        post.write_text(post.read_text().replace("tags: [", "tags: [mentoring, MENTORING, ", 1))
    elif edit == "rename post":
        post.rename(post.with_name(f"renamed-{number}-{post.name}"))
    elif edit == "delete post" and len(posts) > 1:
        post.unlink()
    elif edit == "add group":
        (root / f"content/groups/g{number}.yaml").write_text(
            f"name: Group {number}\nsummary: Number {number}.\n"
        )
    elif edit == "edit group" and groups:
        group = groups[number % len(groups)]
        group.write_text(group.read_text() + f"description: Edited {number}.\n")
    elif edit == "delete group" and groups:
        group = groups[number % len(groups)]
        if group.stem != "circle":  # p1 names it: deleting it is an error, tested elsewhere
            group.unlink()
    elif edit == "edit template":
        base = Path(__file__).parent.parent / "themes/default/templates/post.html"
        template = root / "templates/post.html"
        text = template.read_text() if template.exists() else base.read_text()
        template.parent.mkdir(exist_ok=True)
        template.write_text(text.replace("<article", f"<article data-edit='{number}'", 1))
    elif edit == "edit config":
        config = root / "site.yaml"
        config.write_text(
            config.read_text().replace(
                "posts_per_page: ", f"posts_per_page: {1 + number % 3}\n# was ", 1
            )
        )
    elif edit == "link post" and len(posts) > 1:
        other = posts[(number + 1) % len(posts)]
        if other != post:
            post.write_text(post.read_text() + f"\nSee [that one]({other.name}).\n")


@settings(
    max_examples=int(os.environ.get("HUBGEN_INCREMENTAL_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(st.tuples(EDITS, st.integers(0, 50)), min_size=1, max_size=4),
    serving=st.booleans(),
)
def test_every_incremental_build_equals_a_clean_build(
    make_site: MakeSite, tmp_path: Path, edits: list[tuple[str, int]], serving: bool
) -> None:
    """Each build a new process's, or all of them one session's, as in ``hubgen serve``."""
    root = tmp_path / "hub"
    shutil.rmtree(root, ignore_errors=True)
    root = make_site(SITE)
    session = Session() if serving else None
    age(root)  # settled: a new process may take up the last build again (see ``resume``)
    assert not errors(run_build(root, session=session))
    for step, (edit, number) in enumerate(edits):
        before = tree(root)
        apply(root, edit, number)
        after = tree(root)
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        changed = {k for k in changed if not k.startswith(("public/", FOLDER))}
        if session is not None:  # what the watcher would tell it
            session.changed(root / k for k in changed)
        for name in changed & after.keys():  # settled too, each at a time of its own
            stamp = time.time() - 1000 + step
            os.utime(root / name, (stamp, stamp))
        result = run_build(root, session=session)
        if errors(result):  # e.g. a link to a post deleted since: nothing is published
            continue
        assert tree(root / "public") == clean_build(root, tmp_path / "clean"), (edit, number)


# --- nothing to do ---------------------------------------------------------------------------


def age(root: Path, seconds: int = 3600) -> None:
    """Make every source look written an hour ago, as files are when nobody is typing."""
    for folder, names, files in os.walk(root):  # skips what old sites' removal takes away
        names[:] = [n for n in names if n != "public" and not n.startswith(".public.")]
        for path in [Path(folder), *(Path(folder) / f for f in files)]:
            stamp = path.stat().st_mtime - seconds
            os.utime(path, (stamp, stamp))


def test_an_unchanged_hub_is_not_built_again(make_site: MakeSite) -> None:
    root = make_site(SITE)
    age(root)
    first = run_build(root)
    before = tree(root / "public")
    again = run_build(root)
    assert again.published and again.rendered == ()
    assert (again.pages, again.files) == (first.pages, first.files)
    assert tree(root / "public") == before


def test_a_change_anywhere_is_built(make_site: MakeSite) -> None:
    root = make_site(SITE)
    age(root)
    run_build(root)
    (root / "content/posts/p2.md").write_text(
        (root / "content/posts/p2.md").read_text() + "Later.\n"
    )
    assert "2026/01/p2/index.html" in run_build(root).rendered
    age(root)
    run_build(root)
    (root / "public/about/index.html").write_bytes(b"vandalised")  # the output, changed by hand
    assert "about/index.html" in run_build(root).rendered
    age(root)
    run_build(root)
    assert run_build(root, drafts=True).rendered  # other options: another build


def test_a_full_build_records_what_it_published_without_walking_it(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The state of the published folder, saved for the next build's check, is made from the
    files a full build wrote, kept and copied (each one's size, mtime and inode); it must be
    what walking the folder gives, or the next build would not trust it and build again."""
    root = make_site(SITE)
    age(root)
    walked: list[str] = []
    take = inputs.take

    def noting(paths: Any, settings: str, *args: Any, **kwargs: Any) -> inputs.State:
        walked.append(settings)
        return take(paths, settings, *args, **kwargs)

    monkeypatch.setattr(inputs, "take", noting)
    run_build(root)  # cold
    assert "output" not in walked
    saved = next((root / FOLDER).glob("inputs-*.json")).read_text()
    assert f'"mark": "{take([root / "public"], "output", each=False).digest}"' in saved
    assert run_build(root).rendered == ()  # the next build trusts it


def test_a_post_is_published_when_its_date_comes(make_site: MakeSite) -> None:
    root = make_site(
        {**SITE, "content/posts/later.md": "---\ntitle: Later\ndate: 2026-12-01\n---\nSoon.\n"}
    )
    age(root)
    run_build(root)
    assert not (root / "public/2026/12/later").exists()
    assert run_build(root).rendered == ()
    result = run_build(root, now=dt.datetime(2026, 12, 2, tzinfo=dt.UTC))
    assert "2026/12/later/index.html" in result.rendered


def _typed(value: object) -> object:
    """``value`` with the type of every part spelled out: equal only if a fingerprint may be."""
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(_typed(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((_typed(k), _typed(v)) for k, v in value.items()))
    if isinstance(value, TocEntry | Facet):
        return (type(value).__name__, _typed(tuple(vars(value).values())))
    return (type(value).__name__, value)


_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.5, 1.0])
    | st.sampled_from(["", "1", "a", "#", "s", "\x00", "é"])
    | st.sampled_from([b"", b"1", b"#"])
    | st.sampled_from(["", "1", "a"]).map(Markup)
    | st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 3))
)
_VALUE = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.sampled_from(["a", "b", 1, True]), inner, max_size=2)
        | st.builds(
            TocEntry, st.integers(1, 2), st.sampled_from(["a", "b"]), st.sampled_from(["", "a"])
        )
        | st.builds(Facet, inner, st.sampled_from(["a", "ab"]), st.just(""), st.integers(0, 1))
    ),
    max_leaves=8,
)


@settings(max_examples=int(os.environ.get("HUBGEN_FUZZ_EXAMPLES", "300")), deadline=None)
@given(_VALUE, _VALUE)
def test_fingerprints_tell_apart_any_two_different_values(a: object, b: object) -> None:
    """Two values get one fingerprint only if they are equal, part for part and type for type."""
    prints = Fingerprints()
    same = prints.combine([a]) == Fingerprints().combine([b])
    assert same == (_typed(a) == _typed(b)), (a, b)
    assert prints.combine([a]) == prints.combine([a])  # remembered parts give the same digest


def test_posts_fingerprints_are_taken_where_their_bodies_render(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that forks learns each post's fingerprint from the worker that rendered its body,
    which gives each page the fingerprint it has when taken where the page renders."""
    monkeypatch.setenv("HUBGEN_WORKERS", "2")  # enough bodies to render over workers
    posts = {
        f"content/posts/p{n:03d}.md": f"---\ntitle: Post {n}\ndate: 2025-{1 + n % 12:02d}-"
        f"{1 + n % 28:02d}\ntags: [t{n % 5}, T{n % 3}]\n"
        + ("authors: [ada]\ngroups: [circle]\n" if n % 4 == 0 else "")
        + f"---\n## Part\n\nBody of post {n}, [more](p{(n + 1) % 220:03d}.md).\n"
        for n in range(220)
    }
    root = make_site({**SITE, **posts})
    learned: list[str] = []
    learn = Fingerprints.learn

    def noting(self: Fingerprints, value: Any, encoded: bytes) -> None:
        learned.append(value.source)
        learn(self, value, encoded)

    def fingerprints() -> dict[str, str]:
        pages = BuildCache.load(root, code(), (root / "public").resolve()).pages
        return {relative: page.fingerprint for relative, page in pages.items()}

    monkeypatch.setattr(Fingerprints, "learn", noting)
    assert not errors(run_build(root))
    assert sorted(learned) == sorted([*posts, *(f"content/posts/p{n}.md" for n in range(1, 6))])
    learnt = fingerprints()
    shutil.rmtree(root / "public")
    shutil.rmtree(root / FOLDER)
    monkeypatch.setattr(Fingerprints, "learn", lambda *_: None)  # each taken by the pages' workers
    assert not errors(run_build(root))
    assert fingerprints() == learnt
    assert sum(map(bool, learnt.values())) > 500  # the pages; static files have none


def test_template_dependencies_are_never_too_few() -> None:
    """The tags' text gives every template Jinja would load; a computed name means 'any'."""
    env = jinja2.Environment()
    sources = [
        p.read_text() for p in (Path(__file__).parent.parent / "themes/default/templates").glob("*")
    ]
    sources += [
        '{%- extends "base.html" -%}{% block a %}{% include "p.html" ignore missing %}{% endblock %}',
        '{% from "m.html" import x as y, z with context %}{% import "n.html" as n %}',
        '{% include "a" ~ x %}',
        '{% include ["a", "b"] %}',
        "{% extends layout %}",
        '{# {% include "commented.html" %} #}',
    ]
    for source in sources:
        found = referenced_templates(source)
        wanted = set(meta.find_referenced_templates(env.parse(source)))
        assert found is None or (None not in wanted and wanted <= set(found)), source
    assert referenced_templates('{% include "a" ~ x %}') is None
    assert referenced_templates('{% import "n.html" as n %}{% extends "b" %}') == ["n.html", "b"]


def test_an_update_moves_in_only_changed_files_and_removes_what_is_gone(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site({**SITE, "static/css/extra.css": "a { color: red; }\n"})
    run_build(root)
    out = root / "public"
    untouched = out / "about/index.html"
    inode, folder = untouched.stat().st_ino, out.stat().st_ino
    (root / "content/posts/p5.md").unlink()  # a deleted post: its page and folder go
    (root / "static/css/extra.css").write_text("a { color: blue; }\n")
    result = run_build(root)
    assert result.published and not errors(result)
    assert out.stat().st_ino == folder  # updated in place, not swapped
    assert untouched.stat().st_ino == inode  # left in place, not rewritten
    assert not (out / "2026/01/p5").exists()
    assert (out / "css/extra.css").read_text() == "a { color: blue; }\n"
    assert tree(out) == clean_build(root, tmp_path / "clean")
    assert not list(root.glob(".public.*"))


def test_a_link_planted_in_the_output_is_never_followed(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site(SITE)
    run_build(root)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(root / "public/2026/01/p2")
    (root / "public/2026/01/p2").symlink_to(outside, target_is_directory=True)
    post = root / "content/posts/p2.md"
    post.write_text(post.read_text() + "Edited.\n")
    folder = (root / "public").stat().st_ino
    result = run_build(root)
    assert result.published and not errors(result)
    assert (root / "public").stat().st_ino != folder  # a full build, swapped in
    assert list(outside.iterdir()) == []  # nothing written through the link
    assert not (root / "public/2026/01/p2").is_symlink()  # a full build replaced the folder
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_remembered_yaml_gives_the_same_data_and_warnings(
    make_site: MakeSite, tmp_path: Path, monkeypatch
) -> None:
    duplicate = "---\ntitle: Twice\ntitle: Twice again\ndate: 2026-02-01\n---\nText.\n"
    root = make_site({**SITE, "content/posts/twice.md": duplicate})
    first = run_build(root)
    warnings = [p.format() for p in first.problems]
    assert any("duplicate key 'title'" in w for w in warnings)
    parsed: list[str] = []
    real_load = yamlio._load

    def counting(text: str, path: str, line_offset: int):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real_load(text, path, line_offset)

    monkeypatch.setattr(yamlio, "_load", counting)
    post = root / "content/posts/p2.md"
    post.write_text(post.read_text().replace("title: Post 2", "title: Post two"))
    again = run_build(root)
    # every other content file's YAML was remembered (site.yaml and the theme's are read first)
    assert [p for p in parsed if p.startswith("content/")] == ["content/posts/p2.md"]
    assert [p.format() for p in again.problems] == warnings
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_bodies_rendered_by_workers_are_cached_by_their_sources(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enough posts for the Markdown to go to worker processes, after which the build lets go
    of the sources: what it cached is still found by them, and the site is a clean build's."""
    monkeypatch.setenv("HUBGEN_WORKERS", "2")
    posts = {
        f"content/posts/w{n:03}.md": f"---\ntitle: W {n}\ndate: 2025-01-01\ntags: [M]\n---\n"
        f"## Part {n}\n\nBody {n} with *emphasis* and [a link](w{(n + 1) % 210:03}.md).\n"
        for n in range(210)
    }
    root = make_site({**SITE, **posts})
    assert not errors(run_build(root))
    post = root / "content/posts/w007.md"
    post.write_text(post.read_text() + "\nOne more line.\n")
    calls: list[str] = []
    original = MarkdownRenderer.render

    def counted(self: MarkdownRenderer, body: str, **kwargs: Any) -> Any:
        calls.append(kwargs["source"])
        return original(self, body, **kwargs)

    monkeypatch.setattr(MarkdownRenderer, "render", counted)
    result = run_build(root)
    assert not errors(result) and calls == ["content/posts/w007.md"]
    assert "One more line." in (root / "public/2025/01/w007/index.html").read_text()
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def _counting() -> tuple[jinja2.Environment, list[object], theme.Cached]:
    """An environment with ``cached()`` and ``count(x)``, which notes each ``x`` it renders."""
    calls: list[object] = []
    env = jinja2.Environment(autoescape=True)
    env.globals["count"] = lambda value: calls.append(value) or ""
    env.globals["cached"] = cached = theme.Cached()
    return env, calls, cached


def test_cached_macros_render_once_when_kept_and_note_what_they_read() -> None:
    env, calls, cached = _counting()
    template = env.from_string(
        "{% macro card(post, n) %}{{ count(post) }}<b>{{ post.title }} {{ n }}</b>{% endmacro %}"
        "{{ cached(card, post, 1) }}{{ cached(card, post, 1) }}{{ cached(card, post, n=2) }}"
        "{{ cached(card, [post], 1) }}{{ cached(card, [post], 1) }}"
    )
    post = types.SimpleNamespace(title="A <title>")
    first = template.render(post=post)
    assert first.count("<b>A &lt;title&gt; 1</b>") == 2
    assert len(calls) == 5  # not kept: the macro each time
    cached.keeping = True
    calls.clear()
    assert template.render(post=post) == first
    # once for (post, 1), once for (post, n=2), and each time for a list, which may change
    assert len(calls) == 4
    calls.clear()
    assert template.render(post=post) == first
    assert len(calls) == 2  # the lists alone
    other = types.SimpleNamespace(title="B")
    assert "<b>B 1</b>" in template.render(post=other)  # another object: its own output
    shown = env.from_string(
        "{% macro m(x) %}{{ x }}{% endmacro %}{{ cached(m, a) }}{{ cached(m, b) }}"
    )
    assert shown.render(a="<i>", b=Markup("<i>")) == "&lt;i&gt;<i>"  # equal, not the same
    with pytest.raises(TypeError):
        env.from_string("{{ cached('card', 1) }}").render()


def test_cached_macros_kept_within_bounds_for_a_full_build() -> None:
    """A full build's workers keep outputs until their room is used up, then render each time;
    the outputs are let go after, and a session that keeps them all is left as it is."""
    env, calls, cached = _counting()
    template = env.from_string(
        "{% macro card(n) %}{{ count(n) }}<b>{{ n }}</b>{% endmacro %}"
        "{% for n in numbers %}{{ cached(card, n) }}{% endfor %}"
    )
    with cached.bounded(len("<b>1</b>") * 2):
        assert template.render(numbers=[1, 2, 3, 1, 2, 3]) == "<b>1</b><b>2</b><b>3</b>" * 2
        assert calls == [1, 2, 3, 3]  # room for two outputs: the third rendered each time
    calls.clear()
    assert not cached.keeping
    template.render(numbers=[1, 1])
    assert calls == [1, 1]  # let go, and not kept after
    cached.keeping = True  # a session's
    template.render(numbers=[1, 2])
    calls.clear()
    with cached.bounded(0):
        template.render(numbers=[1, 2, 3, 3])
    assert calls == [3] and cached.keeping  # kept as before, with no limit


def test_cached_outputs_bring_what_they_read_of_posts_to_every_page(make_site: MakeSite) -> None:
    """A page showing a kept card notes what the card read, as if it had rendered it."""
    root = make_site(SITE)
    session = _served(root)
    snapshot = session.snapshot
    assert snapshot is not None
    renderer = snapshot.renderer
    cached = renderer.env.globals["cached"]
    assert cached.keeping
    job = next(j for j in snapshot.jobs if j.path == "/archive/")
    problems = Problems()
    first = renderer.render(job, snapshot.site, problems)
    read = renderer.reads
    assert not problems.items and read is not None and "title" in read
    assert renderer.render(job, snapshot.site, problems) == first  # from the kept lines
    assert renderer.reads == read


def test_a_session_retitles_from_the_kept_lines_of_every_other_post(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """After a full build, the session renders the long listings in the background, keeping each
    post's line and card; a retitle renders the new post's alone, and the site is as a clean
    build's, retitle after retitle."""
    site = {
        **SITE,
        **{
            f"content/posts/q{n:02}.md": (
                f"---\ntitle: Q {n}\ndate: 2025-02-{n:02}\ntags: [Q]\n---\nQ.\n"
            )
            for n in range(1, 21)
        },
    }
    root = make_site(site)
    session = Session()
    assert not errors(run_build(root, session=session))
    assert session._warming is not None
    session._warming.join()  # the warming done, not stopped
    assert session.snapshot is not None
    cached = session.snapshot.renderer.env.globals["cached"]
    kept = len(cached._outputs)
    assert kept >= 25  # a line for each post of the archive, at least
    post = root / "content/posts/q07.md"
    for title in ("Seventh", "Seventh again"):
        post.write_text(post.read_text().replace("title: Q 7", f"title: {title}", 1))
        post.write_text(post.read_text().replace("title: Seventh\n", f"title: {title}\n", 1))
        session.changed([post])
        result = run_build(root, session=session)
        assert "sitemap.xml" not in result.rendered  # the quick way
        assert "archive/index.html" in result.rendered
        assert (
            f'<a href="/2025/02/q07/">{title}</a>'
            in (root / "public/archive/index.html").read_text()
        )
        assert tree(root / "public") == clean_build(root, tmp_path / "clean")
        # the new post's line, its cards, and the lists that hold it were made (not 25 posts')
        assert len(cached._outputs) - kept <= 8
        kept = len(cached._outputs)


def test_a_warming_stopped_in_a_listing_leaves_it_for_the_next(make_site: MakeSite) -> None:
    """A build waiting stops the warming inside the listing it renders; that listing is not
    taken as done, and the next warming renders it whole."""
    root = make_site(SITE)
    session = _served(root)
    assert session._warming is not None
    session._warming.join()  # the warming done, not stopped
    snapshot = session.snapshot
    assert snapshot is not None
    cached = snapshot.renderer.env.globals["cached"]
    snapshot._listed.clear()
    cached._outputs.clear()
    stop = threading.Event()
    original = cached.__call__

    def stopping(*args: Any, **kwargs: Any) -> Any:
        stop.set()  # a build began while the first line was made
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(theme.Cached, "__call__", lambda self, *a, **k: stopping(*a, **k))
        snapshot._warm_listings(stop)
    assert snapshot._listed == set() and cached.stop is None
    with pytest.raises(theme.Stopped):
        cached.stop = stop
        cached(jinja2.Environment().from_string("{% macro m() %}{% endmacro %}").module.m)
    cached.stop = None
    snapshot._warm_listings(threading.Event())
    archive = next(i for i, j in enumerate(snapshot.jobs) if j.path == "/archive/")
    assert archive in snapshot._listed and cached._outputs


def test_a_session_reports_the_anchors_an_edited_post_links_to_that_are_missing(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """Its links to headings of another post and of its own page are checked as a full build
    checks them, and a link that works again clears the warning."""
    root = make_site(
        {
            **SITE,
            "content/posts/p3.md": "---\ntitle: Post 3\ndate: 2026-01-03\ntags: [M]\n---\n"
            "## Own heading\n\nBody.\n",
            "content/posts/p4.md": "---\ntitle: Post 4\ndate: 2026-01-04\ntags: [M]\n---\n"
            "## Far heading\n\nBody.\n",
        }
    )
    session = _served(root)
    post = root / "content/posts/p3.md"
    good = post.read_text()
    post.write_text(good + "\nSee [far](p4.md#nowhere) and [here](#nor-here).\n")
    session.changed([post])
    warned = run_build(root, session=session)
    assert warned.published
    assert sorted(p.message for p in warned.problems) == [
        "link to a missing anchor: #nor-here",
        "link to a missing anchor: /2026/01/p4/#nowhere",
    ]
    post.write_text(good + "\nSee [far](p4.md#far-heading) and [here](#own-heading).\n")
    session.changed([post])
    fixed = run_build(root, session=session)
    assert fixed.published and not fixed.problems
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_session_knows_the_links_to_headings_its_quick_builds_added(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """A link to another post's heading added by a quick build is known to the next one: when
    that heading goes, the warning comes, as in a full build."""
    root = make_site(
        {
            **SITE,
            "content/posts/p3.md": "---\ntitle: Post 3\ndate: 2026-01-03\ntags: [M]\n---\nBody.\n",
            "content/posts/p4.md": "---\ntitle: Post 4\ndate: 2026-01-04\ntags: [M]\n---\n"
            "## Far heading\n\nBody.\n",
        }
    )
    session = _served(root)
    linking = root / "content/posts/p3.md"
    linking.write_text(linking.read_text() + "\nSee [far](p4.md#far-heading).\n")
    session.changed([linking])
    added = run_build(root, session=session)
    assert added.published and not added.problems
    assert added.rendered and len(added.rendered) < 10  # a quick build
    linked = root / "content/posts/p4.md"
    linked.write_text(linked.read_text().replace("Far heading", "Near heading"))
    session.changed([linked])
    moved = run_build(root, session=session)
    assert moved.published
    assert [p.format() for p in moved.problems] == [
        "content/posts/p3.md:8:1: warning: link to a missing anchor: /2026/01/p4/#far-heading"
        " (anchors are headings' ids)"
    ]
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_session_writes_the_feeds_of_an_edited_post_from_the_entries_it_kept(
    make_site: MakeSite, tmp_path: Path
) -> None:
    """The warming renders the feeds of the newest posts, keeping each entry as written; an edit
    of the newest post then writes its feeds from the others' entries and its own new one, and
    they are the bytes a clean build writes."""
    root = make_site(SITE)
    session = _served(root)
    warming = session._warming
    assert warming is not None
    warming.join(timeout=30)
    assert feeds._WRITTEN  # the warming wrote the feeds of the newest posts
    written: list[tuple[str, str]] = []  # the entries written, by format

    def counting(kind: str, write: Callable[[feeds.Entry], str]) -> Callable[[feeds.Entry], str]:
        def counted(entry: feeds.Entry) -> str:
            written.append((kind, entry.id))
            return write(entry)

        return counted

    post = root / "content/posts/p5.md"
    for sentence in ("One more sentence.", "And another one."):
        written.clear()
        post.write_text(post.read_text() + f"\n{sentence}\n")
        session.changed([post])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(feeds, "_WRITERS", {k: counting(k, w) for k, w in feeds._WRITERS.items()})
            result = run_build(root, session=session)
        assert result.published and "atom.xml" in result.rendered and "feed.json" in result.rendered
        # the edited post's entry was written once in each format, for all the feeds that show
        # it: every other entry came as kept
        assert sorted(kind for kind, _ in written) == ["atom", "json", "rss"]
        assert {entry for _, entry in written} == {"tag:hub.example.org,2026-01-05:posts/p5"}
        assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_feeds_are_whole_when_the_kept_entries_let_go_of_one(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for six entries as written, keeping the edited post's lets go of others a feed
    needs: those are written again, and the feed has the same bytes. A serving process keeps
    six however much memory it has room for (its edits make new entries, for ever)."""
    monkeypatch.setattr(feeds, "_WRITTEN_KEPT", 6)
    monkeypatch.setattr(memory, "room", lambda: True)
    root = make_site(SITE)
    session = _served(root)
    post = root / "content/posts/p5.md"
    for sentence in ("One more sentence.", "And another one."):
        post.write_text(post.read_text() + f"\n{sentence}\n")
        session.changed([post])
        assert run_build(root, session=session).published
        assert len(feeds._WRITTEN) <= 6
        assert tree(root / "public") == clean_build(root, tmp_path / "clean")
