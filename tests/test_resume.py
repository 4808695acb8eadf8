"""A new process takes up where the last clean build left off when one post was edited.

Each build here is compared, file by file, with a clean build of the same input. Sources are
aged first: a file changed within the last two seconds is not trusted by its state alone.
"""

from __future__ import annotations

import datetime as dt
import marshal
import os
import time
import zoneinfo
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from markupsafe import Markup

from hubgen import resume
from hubgen.cache import FOLDER
from hubgen.models import Facet, Post, TagRef, TocEntry
from hubgen.outputs import RenderJob
from hubgen.plan import Paginator
from hubgen.stored import Decoder, Encoder, Unstorable
from tests.conftest import MakeSite, errors, run_build
from tests.test_incremental import SITE, age, clean_build, tree

FEEDS = ("atom.xml", "feed.json", "rss.xml")


def edit(root: Path, relative: str, old: str, new: str, seconds_ago: int = 0) -> Path:
    """Replace ``old`` with ``new`` in a source; its mtime ``seconds_ago`` (0: now, racily)."""
    path = root / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    if seconds_ago:
        stamp = time.time() - seconds_ago
        os.utime(path, (stamp, stamp))
    return path


def stored(root: Path) -> Path:
    [file] = (root / FOLDER).glob("resume-*.bin")
    return file


@pytest.fixture
def hub(make_site: MakeSite) -> Path:
    root = make_site(SITE)
    age(root)
    assert not errors(run_build(root))
    return root


def test_an_edited_body_renders_only_the_pages_that_show_it(hub: Path, tmp_path: Path) -> None:
    edit(hub, "content/posts/p3.md", "Body of post 3.", "Body of post 3, and more.", 600)
    result = run_build(hub)
    assert not errors(result)
    assert set(result.rendered) == {
        "2026/01/p3/index.html",  # the post
        "2026/01/p2/index.html",  # its neighbours, whose templates read posts' bodies
        "2026/01/p4/index.html",
        "page/2/index.html",  # the page of the home listing that shows it
        *FEEDS,
        "tags/mentoring/page/2/index.html",
        *(f"tags/mentoring/{f}" for f in FEEDS),
        # not the archives, which read titles, URLs and dates; not the sitemap
    }
    assert "and more." in (hub / "public/2026/01/p3/index.html").read_text()
    expected = clean_build(hub, tmp_path / "clean")
    assert tree(hub / "public") == expected
    assert result.pages == 20
    assert result.files == len(expected) - 1  # all but the folder's mark
    # and the next build has nothing to do
    assert run_build(hub).rendered == ()


def test_a_new_title_renders_the_archives_too(hub: Path, tmp_path: Path) -> None:
    edit(hub, "content/posts/p2.md", "title: Post 2", "title: Second thoughts", 600)
    result = run_build(hub)
    assert {"archive/index.html", "archive/2026/index.html", "2026/01/p2/index.html"} <= set(
        result.rendered
    )
    assert "sitemap.xml" not in result.rendered
    assert "Second thoughts" in (hub / "public/archive/index.html").read_text()
    assert tree(hub / "public") == clean_build(hub, tmp_path / "clean")


def test_edits_saved_just_now_are_taken_up_again_and_again(hub: Path, tmp_path: Path) -> None:
    """A file changed within two seconds may change again unseen: its text is compared."""
    for n in range(3):
        edit(
            hub,
            "content/posts/p4.md",
            f"Body of post 4{'.' * (n + 1)}",
            f"Body of post 4{'.' * (n + 2)}",
        )
        result = run_build(hub)
        assert "sitemap.xml" not in result.rendered  # not a full build
        assert "2026/01/p4/index.html" in result.rendered
        assert tree(hub / "public") == clean_build(hub, tmp_path / "clean")
    # the same text saved again, just now: nothing to render
    path = hub / "content/posts/p4.md"
    path.write_text(path.read_text())
    assert run_build(hub).rendered == ()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (("content/posts/p3.md", "tags: [Mentoring]", "tags: [Mentoring, Writing]"), "moved"),
        (("content/posts/p3.md", "date: 2026-01-03", "date: 2026-01-06"), "moved"),
        (("content/pages/about.md", "See", "Read"), "a page"),
        (("content/groups/circle.yaml", "A circle.", "A round."), "a group"),
    ],
)
def test_anything_but_a_post_edited_in_place_goes_the_whole_way(
    hub: Path, tmp_path: Path, change: tuple[str, str, str], why: str
) -> None:
    edit(hub, *change, 600)
    result = run_build(hub)
    assert not errors(result)
    assert "sitemap.xml" in result.rendered, why  # a full build renders it
    assert tree(hub / "public") == clean_build(hub, tmp_path / "clean")


def test_a_post_in_a_bundle_is_taken_up_from_a_relative_root(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site(
        {
            **SITE,
            "content/posts/trip/index.md": "---\ntitle: Trip\ndate: 2026-01-07\n"
            "tags: [Mentoring]\n---\n![The map](map.png)\n",
            "content/posts/trip/map.png": b"\x89PNG\r\n",
        }
    )
    age(root)
    monkeypatch.chdir(root)  # as ``hubgen build`` runs: the hub is "."
    here = Path()
    assert not errors(run_build(here, out=Path("public")))
    edit(root, "content/posts/trip/index.md", "The map", "Our map", 600)
    result = run_build(here, out=Path("public"))
    assert "2026/01/trip/index.html" in result.rendered
    assert "sitemap.xml" not in result.rendered
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_two_edited_posts_go_the_whole_way(hub: Path, tmp_path: Path) -> None:
    edit(hub, "content/posts/p2.md", "Body", "The body", 600)
    edit(hub, "content/posts/p4.md", "Body", "The body", 600)
    assert "sitemap.xml" in run_build(hub).rendered
    assert tree(hub / "public") == clean_build(hub, tmp_path / "clean")


@pytest.mark.parametrize(
    "spoil",
    [
        "truncate the stored build",
        "flip a byte of the stored build",
        "touch a published file",
        "add a published file",
        "forget the cache's pages",
    ],
)
def test_a_stored_build_that_does_not_hold_is_not_used(
    hub: Path, tmp_path: Path, spoil: str
) -> None:
    file = stored(hub)
    if spoil == "truncate the stored build":
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elif spoil == "flip a byte of the stored build":
        data = bytearray(file.read_bytes())
        data[len(data) // 2] ^= 1
        file.write_bytes(bytes(data))
    elif spoil == "touch a published file":
        (hub / "public/2026/01/p1/index.html").write_text("vandalised")
    elif spoil == "add a published file":
        (hub / "public/extra.html").write_text("planted")
    else:
        for record in (hub / FOLDER).glob("pages-*.bin"):
            record.unlink()
    edit(hub, "content/posts/p3.md", "Body of post 3.", "Body of post 3, and more.", 600)
    result = run_build(hub)
    assert not errors(result)
    assert "sitemap.xml" in result.rendered
    expected = clean_build(hub, tmp_path / "clean")
    if spoil == "add a published file":  # an update leaves files it did not write (see README)
        expected["extra.html"] = b"planted"
    assert tree(hub / "public") == expected


def test_warnings_of_other_files_are_reported_again(make_site: MakeSite, tmp_path: Path) -> None:
    untagged = "---\ntitle: U\ndate: 2026-01-09\n---\nU.\n"
    root = make_site({**SITE, "content/posts/untagged.md": untagged})
    age(root)
    first = run_build(root)
    assert [p.message for p in first.problems] == ["this post has no tags"]
    edit(root, "content/posts/p3.md", "Body of post 3.", "Body of post 3, and more.", 600)
    result = run_build(root)
    assert "sitemap.xml" not in result.rendered  # taken up
    assert result.problems == first.problems
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")
    # the post with the warning, edited: the whole way, and the warning as a full build gives it
    edit(root, "content/posts/untagged.md", "U.", "U, edited.", 500)
    result = run_build(root)
    assert "sitemap.xml" in result.rendered
    assert result.problems == first.problems


def test_a_build_that_forks_stores_while_its_pages_render(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBGEN_WORKERS", "2")  # enough pages to render over workers
    started: list[bool] = []
    start = resume.Storing.start
    monkeypatch.setattr(resume.Storing, "start", lambda self: (started.append(True), start(self)))
    posts = {
        f"content/posts/p{n:03d}.md": f"---\ntitle: Post {n}\ndate: 2025-{1 + n % 12:02d}-"
        f"{1 + n % 28:02d}\ntags: [t{n % 5}]\n---\nBody of post {n}.\n"
        for n in range(150)
    }
    root = make_site(posts)
    age(root)
    assert not errors(run_build(root))
    assert started  # in a thread, while the workers rendered
    assert stored(root).is_file()
    edit(root, "content/posts/p042.md", "Body of post 42.", "Body of post 42, edited.", 600)
    rebuilt: list[object] = []
    rebuild = resume.rebuild
    monkeypatch.setattr(resume, "rebuild", lambda *a: rebuilt.append(rebuild(*a)) or rebuilt[-1])
    result = run_build(root)
    assert not errors(result)
    assert "2025/07/p042/index.html" in result.rendered
    assert rebuilt and rebuilt[0] is not None  # taken up from what the first build stored
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_a_build_with_errors_stores_nothing(make_site: MakeSite) -> None:
    broken = "---\ntitle: B\ndate: 2026-01-09\ntags: [x]\ngroups: [nowhere]\n---\nB.\n"
    root = make_site({**SITE, "content/posts/broken.md": broken})
    age(root)
    result = run_build(root, keep_going=True)
    assert result.published and errors(result)
    assert not list((root / FOLDER).glob("resume-*.bin"))


def test_a_heading_linked_from_another_post_is_checked_again(
    make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site(
        {
            **SITE,
            "content/posts/p2.md": "---\ntitle: Post 2\ndate: 2026-01-02\ntags: [Mentoring]\n"
            "---\n## Agenda\n\nBody of post 2.\n",
            "content/posts/p5.md": "---\ntitle: Post 5\ndate: 2026-01-05\ntags: [Mentoring]\n"
            "---\nSee [the agenda](p2.md#agenda).\n",
        }
    )
    age(root)
    assert not run_build(root).problems
    edit(root, "content/posts/p2.md", "## Agenda", "## Minutes", 600)
    result = run_build(root)
    assert [p.message for p in result.problems] == ["link to a missing anchor: /2026/01/p2/#agenda"]
    assert tree(root / "public") == clean_build(root, tmp_path / "clean")


def test_deleting_the_edited_post_s_stored_body_goes_the_whole_way(
    hub: Path, tmp_path: Path
) -> None:
    for shard in (hub / FOLDER).glob("bodies-*.bin"):
        shard.unlink()
    edit(hub, "content/posts/p3.md", "Body of post 3.", "Body of post 3, and more.", 600)
    result = run_build(hub)
    assert "sitemap.xml" in result.rendered
    assert tree(hub / "public") == clean_build(hub, tmp_path / "clean")


# --- values as data ----------------------------------------------------------------------------


def _post(n: int, tags: tuple[Facet, ...]) -> Post:
    zone = zoneinfo.ZoneInfo("Europe/Oslo")
    return Post(
        source=f"content/posts/p{n}.md",
        slug=f"p{n}",
        url=f"/p{n}/",
        title=f"Post <{n}>",
        date=dt.datetime(2026, 3, 29, 2, 30, tzinfo=zone),
        updated=dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5), "EST")),
        summary="S",
        content=Markup(f"<p>Post {n}</p>"),
        toc=(TocEntry(2, "a", "A"),),
        word_count=2,
        tags=tags,
        authors=(),
        groups=(),
        extra={"when": dt.date(2026, 1, 2), "list": [1, 2.5, None, True], "n": {"a": (1,)}},
    )


def test_stored_values_come_back_equal_with_their_types_and_sharing() -> None:
    facet = Facet("Mentoring", "mentoring", "/tags/mentoring/", 3)
    tag = TagRef(facet.name, facet.slug, facet.url)
    posts = [_post(n, (tag,)) for n in range(12)]
    pages = tuple((n, f"/page/{n}/") for n in range(1, 11))  # long: written once, shared
    jobs = [
        RenderJob(
            f"/page/{n}/",
            "list.html",
            "home",
            "the posts",
            "Home",
            context={
                "posts": tuple(posts[n : n + 3]),
                "paginator": Paginator(n, 10, None, None, pages),
                "where": PurePosixPath("a/b"),
                "seen": frozenset({"x"}),
                "tag": facet,
            },
            lastmod=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
        for n in range(1, 4)
    ]
    pieces: list[bytes] = []

    def put(data: bytes) -> int:
        pieces.append(data)
        return len(pieces) - 1

    bodies = {id(p.content): f"key{n}" for n, p in enumerate(posts)}
    encoder = Encoder(bodies, put)
    found: list[set[int]] = []
    encoded: list[Any] = []
    for job in jobs:
        found.append(set())
        encoded.append(encoder.value(job, found[-1]))
    assert found == [{0, 1, 2}, {1, 2, 3}, {2, 3, 4}]  # posts numbered as met

    def load(at: int) -> Any:
        return marshal.loads(pieces[at])

    by_key = {f"key{n}": p for n, p in enumerate(posts)}

    class Body:
        def __init__(self, html: Markup) -> None:
            self.html = html

    decoder = Decoder(
        load,
        encoder.records,
        encoder.posts,
        lambda key: Body(by_key[key].content),  # type: ignore[arg-type, return-value]
    )
    again = [decoder.value(e) for e in encoded]
    assert again == jobs
    first = again[0].context
    assert type(first["posts"][0].content) is Markup
    assert first["posts"][0].date.tzinfo == zoneinfo.ZoneInfo("Europe/Oslo")
    assert first["posts"][0].updated.tzname() == "EST"
    assert first["posts"][0].extra == posts[1].extra
    assert type(first["posts"][0].extra["n"]["a"]) is tuple
    assert first["paginator"].pages is again[1].context["paginator"].pages  # shared again
    assert first["posts"][1] is again[1].context["posts"][0]  # one post, one object


def test_a_value_of_an_unknown_kind_is_not_stored() -> None:
    class Stranger:
        pass

    with pytest.raises(Unstorable):
        Encoder({}, lambda data: 0).value({"x": Stranger()}, set())
