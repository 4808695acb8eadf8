"""Posts and pages: front matter, dates, slugs, tags, authors, links, drafts and output paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import GROUP, errors, read, run_build
from hypothesis import given
from hypothesis import strategies as st

from hubgen.build import BuildResult
from hubgen.content import base_slug
from hubgen.errors import Problem

SITE_10 = "title: Test Hub\nbase_url: https://hub.example.org/\ntimezone: UTC\nposts_per_page: 10\n"


def post(title: str = "A", date: str = "2025-01-01", extra: str = "", body: str = "Body.") -> str:
    """A post whose front matter starts on line 2; ``extra`` lines follow the date (line 4 on)."""
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n\n{body}\n"


def the_error(result: BuildResult) -> Problem:
    found = [p for p in result.problems if p.severity == "error"]
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def warnings(result: BuildResult) -> list[Problem]:
    return [p for p in result.problems if p.severity == "warning"]


def where(problem: Problem) -> tuple[str, int, int]:
    return (problem.path, problem.line, problem.column)


FEED_FILES = ("rss.xml", "atom.xml", "feed.json", "meetings.ics")  # tested in test_feeds.py


def outputs(root: Path, under: str = "") -> list[str]:
    base = root / "public" / under
    return sorted(
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and p.name not in FEED_FILES
    )


def one_post_error(make_site, text: str | bytes, name: str = "a.md") -> Problem:
    root = make_site({f"content/posts/{name}": text})
    result = run_build(root)
    assert not result.published
    return the_error(result)


# --- encodings and line endings ------------------------------------------------------------


def test_bom_and_crlf_file_builds(make_site):
    text = "\ufeff---\r\ntitle: Windows post\r\ndate: 2025-01-02\r\n---\r\n\r\nHello *there*.\r\n"
    root = make_site({"content/posts/a.md": text.encode("utf-8")})
    result = run_build(root)
    assert errors(result) == []
    html = read(root, "2025/01/a/index.html")
    assert "<h1>Windows post</h1>" in html
    assert "<p>Hello <em>there</em>.</p>" in html
    assert "\r" not in html


def test_bom_and_crlf_keep_line_numbers(make_site):
    text = (
        "\ufeff---\r\ntitle: X\r\ndate: 2025-01-01\r\n---\r\n\r\nIntro.\r\n\r\n[gone](gone.md)\r\n"
    )
    error = one_post_error(make_site, text.encode("utf-8"))
    assert where(error) == ("content/posts/a.md", 8, 1)
    assert error.message == "link to a missing file: gone.md"


def test_latin1_byte_is_reported_at_its_line_and_column(make_site):
    data = b"---\ntitle: X\ndate: 2025-01-01\n---\n\nCaf\xe9 au lait.\n"
    error = one_post_error(make_site, data)
    assert where(error) == ("content/posts/a.md", 6, 4)
    assert "UTF-8" in error.message
    assert "0xe9" in error.message
    assert "UTF-8" in error.hint
    assert "Latin-1" in error.hint


def test_latin1_byte_in_a_crlf_file(make_site):
    data = b"---\r\ntitle: Caf\xe9\r\ndate: 2025-01-01\r\n---\r\n\r\nBody\r\n"
    error = one_post_error(make_site, data)
    assert where(error) == ("content/posts/a.md", 2, 11)
    assert "0xe9" in error.message


def test_latin1_byte_after_a_bom(make_site):
    data = b"\xef\xbb\xbf---\ntitle: Caf\xe9\ndate: 2025-01-01\n---\n\nBody\n"
    error = one_post_error(make_site, data)
    assert where(error) == ("content/posts/a.md", 2, 11)
    assert "0xe9" in error.message


def test_latin1_byte_in_a_cr_only_file(make_site):
    data = b"---\rtitle: X\rdate: 2025-01-01\r---\r\rCaf\xe9\r"
    error = one_post_error(make_site, data)
    assert where(error) == ("content/posts/a.md", 6, 4)


# --- dates ----------------------------------------------------------------------------------


def test_date_and_slug_come_from_a_dated_file_name(make_site):
    root = make_site({"content/posts/2025-03-04-my-first-post.md": "---\ntitle: Dated\n---\n\nX\n"})
    result = run_build(root)
    assert errors(result) == []
    html = read(root, "2025/03/my-first-post/index.html")
    assert '<time datetime="2025-03-04">4 March 2025</time>' in html
    assert not (root / "public/2025/03/2025-03-04-my-first-post").exists()


def test_a_dated_bundle_folder_gives_date_and_slug(make_site):
    root = make_site(
        {
            "content/posts/2025-03-04-trip/index.md": "---\ntitle: Trip\n---\n\nX\n",
            "content/posts/2025-03-04-trip/notes.txt": "notes",
        }
    )
    assert errors(run_build(root)) == []
    assert outputs(root, "2025") == ["03/trip/index.html", "03/trip/notes.txt"]


def test_front_matter_date_wins_over_the_file_name(make_site):
    root = make_site({"content/posts/2025-03-04-x.md": post(date="2024-07-08")})
    assert errors(run_build(root)) == []
    assert (root / "public/2024/07/x/index.html").is_file()


def test_impossible_date_in_the_file_name(make_site):
    error = one_post_error(make_site, "---\ntitle: X\n---\n\nBody\n", name="2025-02-30-x.md")
    assert where(error) == ("content/posts/2025-02-30-x.md", 1, 1)
    assert "2025-02-30 is not a real date" in error.message


def test_missing_date_without_a_dated_file_name(make_site):
    error = one_post_error(make_site, "---\ntitle: X\ntags: [a]\n---\n\nBody\n")
    assert where(error) == ("content/posts/a.md", 2, 1)
    assert error.message == "missing required field 'date'"
    assert "YYYY-MM-DD" in error.hint
    assert "file name" in error.hint


def test_impossible_date_is_reported_at_the_value(make_site):
    error = one_post_error(make_site, post(date="2020-13-45"))
    assert where(error) == ("content/posts/a.md", 3, 7)
    assert error.message.startswith("invalid date '2020-13-45':")
    assert "YYYY-MM-DD" in error.message


@pytest.mark.parametrize(
    ("value", "kind"),
    [("20200101", "a number"), ("true", "true/false"), ("[2020, 1, 1]", "a list")],
)
def test_a_date_yaml_reads_as_something_else(make_site, value, kind):
    error = one_post_error(make_site, post(date=value))
    assert where(error) == ("content/posts/a.md", 3, 7)
    assert error.message.startswith("invalid date")
    assert f"YAML read {kind}" in error.message


def test_date_as_text_and_with_a_time(make_site):
    root = make_site(
        {
            "content/posts/a.md": post("Quoted", date='"2025-01-05"'),
            "content/posts/b.md": post("Timed", date="2025-02-06 10:30:00"),
        }
    )
    assert errors(run_build(root)) == []
    assert (root / "public/2025/01/a/index.html").is_file()
    assert 'content="2025-02-06T10:30:00+00:00"' in read(root, "2025/02/b/index.html")


# --- front matter syntax ------------------------------------------------------------------


def test_missing_title(make_site):
    error = one_post_error(make_site, "---\ndate: 2025-01-01\n---\n\nBody\n")
    assert where(error) == ("content/posts/a.md", 2, 1)
    assert error.message == "missing required field 'title'"


def test_empty_title(make_site):
    error = one_post_error(make_site, post(title='""'))
    assert where(error) == ("content/posts/a.md", 2, 8)
    assert error.message.startswith("invalid title '':")


def test_no_front_matter(make_site):
    error = one_post_error(make_site, "Just a body.\n")
    assert where(error) == ("content/posts/a.md", 1, 1)
    assert "missing front matter" in error.message
    assert "---" in error.hint


def test_unclosed_front_matter(make_site):
    error = one_post_error(make_site, "---\ntitle: X\ndate: 2025-01-01\n\nBody\n")
    assert where(error) == ("content/posts/a.md", 1, 1)
    assert error.message == "front matter is never closed"
    assert "---" in error.hint


def test_front_matter_that_is_a_list(make_site):
    error = one_post_error(make_site, "---\n- a\n- b\n---\n\nBody\n")
    assert where(error) == ("content/posts/a.md", 2, 1)
    assert "mapping" in error.message


def test_tab_indentation_in_front_matter(make_site):
    error = one_post_error(make_site, "---\ntitle: X\ndate: 2025-01-01\n\tslug: b\n---\n\nBody\n")
    assert where(error) == ("content/posts/a.md", 4, 1)
    assert "tab" in error.message
    assert error.hint == "indent with spaces"


def test_tab_indentation_of_a_list_item_after_a_spaced_one(make_site):
    text = "---\ntitle: X\ndate: 2025-01-01\ntags:\n  - a\n\t- b\n---\n\nBody\n"
    error = one_post_error(make_site, text)
    assert where(error) == ("content/posts/a.md", 6, 1)
    assert "tab" in error.message


def test_tab_indentation_of_the_first_list_item(make_site):
    text = "---\ntitle: X\ndate: 2025-01-01\ntags:\n\t- a\n---\n\nBody\n"
    error = one_post_error(make_site, text)
    assert where(error) == ("content/posts/a.md", 5, 1)
    assert "tab" in error.message


def test_unclosed_quote_names_the_line_it_opened(make_site):
    text = '---\ntitle: "Unfinished\ndate: 2025-01-01\nslug: x\n---\n\nBody\n'
    error = one_post_error(make_site, text)
    assert where(error) == ("content/posts/a.md", 5, 1)  # where YAML gave up: the closing ---
    assert "quoted value is never closed" in error.message
    assert error.hint == "the quote opened on line 2 needs a matching quote"


def test_bad_indentation_in_front_matter(make_site):
    error = one_post_error(make_site, "---\ntitle: X\n  date: 2025-01-01\n---\n\nBody\n")
    assert where(error) == ("content/posts/a.md", 3, 7)
    assert "unexpected ':'" in error.message
    assert "indentation" in error.hint


def test_bad_list_indentation_in_front_matter(make_site):
    text = "---\ntitle: X\ndate: 2025-01-01\ntags:\n  - a\n - b\n---\n\nBody\n"
    error = one_post_error(make_site, text)
    assert where(error) == ("content/posts/a.md", 6, 2)
    assert error.message.startswith("invalid YAML:")


def test_duplicate_key_is_a_warning_at_the_second_key(make_site):
    root = make_site({"content/posts/a.md": post("First", extra="title: Second\n")})
    result = run_build(root)
    assert errors(result) == []
    assert result.published
    [warning] = [w for w in warnings(result) if "duplicate" in w.message]
    assert where(warning) == ("content/posts/a.md", 4, 1)
    assert "duplicate key 'title'" in warning.message
    assert "line 2" in warning.message
    assert "<h1>Second</h1>" in read(root, "2025/01/a/index.html")


def test_duplicate_key_fails_a_strict_build(make_site):
    root = make_site({"content/posts/a.md": post("First", extra="tags: [t]\ntitle: Second\n")})
    assert run_build(root).published
    result = run_build(root, strict=True)
    assert not result.published
    assert (
        "content/posts/a.md:5:1: error: duplicate key 'title': the value on this line "
        "replaces the one on line 2"
    ) in errors(result)


def test_likely_typo_key_is_a_warning_with_did_you_mean(make_site):
    root = make_site({"content/posts/a.md": post("X", extra="tittle: Y\n")})
    result = run_build(root)
    assert errors(result) == []
    [warning] = [w for w in warnings(result) if "tittle" in w.message]
    assert where(warning) == ("content/posts/a.md", 4, 1)
    assert warning.message == "unknown front matter key 'tittle'"
    assert warning.hint == "did you mean 'title'?"


def test_unrelated_extra_keys_give_no_warning(make_site):
    root = make_site({"content/posts/a.md": post("X", extra="mood: calm\ntime: 5\n")})
    result = run_build(root)
    assert errors(result) == []
    assert [w for w in warnings(result) if "mood" in w.message or "time" in w.message] == []


def test_extra_keys_reach_templates_as_post_extra(make_site):
    template = (
        '{% extends "!theme/post.html" %}\n'
        '{% block content %}<p class="mood">{{ post.extra.mood }}</p>{{ super() }}{% endblock %}\n'
    )
    root = make_site(
        {
            "templates/post.html": template,
            "content/posts/a.md": post("X", extra="mood: cheerful\n"),
        }
    )
    assert errors(run_build(root)) == []
    html = read(root, "2025/01/a/index.html")
    assert '<p class="mood">cheerful</p>' in html
    assert "<h1>X</h1>" in html  # the theme's block still renders


# --- slugs ---------------------------------------------------------------------------------


def test_explicit_slug(make_site):
    root = make_site({"content/posts/a.md": post(extra="slug: chosen-one\n")})
    assert errors(run_build(root)) == []
    assert outputs(root, "2025") == ["01/chosen-one/index.html"]


@pytest.mark.parametrize("slug", ["../evil", "/abs", "a b", "a?b", "a/b", "..", ".hidden"])
def test_slug_that_cannot_be_a_url_segment(make_site, slug):
    root = make_site(
        {
            "content/posts/a.md": post("Bad", extra=f"slug: {slug!r}\n".replace("'", '"')),
            "content/posts/b.md": post("Good"),
        }
    )
    result = run_build(root, keep_going=True)
    error = the_error(result)
    assert where(error) == ("content/posts/a.md", 4, 7)
    assert error.message == f"slug {slug!r} cannot be used in a URL"
    assert "letters, digits" in error.hint
    assert result.published  # keep_going: the rest of the site is written...
    assert outputs(root, "2025") == ["01/b/index.html"]  # ...without the bad post
    site_files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    written = ("public/", "content/", "site.yaml", ".hubgen-cache/")
    assert [f for f in site_files if not f.startswith(written)] == []
    assert not (root.parent / "evil").exists()
    assert not (root / "evil").exists()


def test_escaping_page_slug_is_refused(make_site):
    root = make_site({"content/pages/x.md": "---\ntitle: X\nslug: ../evil\n---\n\nx\n"})
    error = the_error(run_build(root))
    assert where(error) == ("content/pages/x.md", 3, 7)
    assert "cannot be used in a URL" in error.message
    assert not (root.parent / "evil").exists()


# --- tags and authors -------------------------------------------------------------------------


def test_tags_as_a_comma_separated_string(make_site):
    root = make_site(
        {"site.yaml": SITE_10, "content/posts/a.md": post(extra="tags: Peer support, Writing , \n")}
    )
    assert errors(run_build(root)) == []
    assert outputs(root, "tags") == [
        "index.html",
        "peer-support/index.html",
        "writing/index.html",
    ]
    assert '<a class="tag" href="/tags/peer-support/">Peer support</a>' in read(
        root, "2025/01/a/index.html"
    )


def test_tags_as_a_mapping_is_an_error(make_site):
    error = one_post_error(make_site, post(extra="tags:\n  a: 1\n"))
    assert where(error) == ("content/posts/a.md", 5, 3)
    assert error.message.startswith("invalid tags:")


def test_tag_spellings_are_one_tag_named_by_the_most_used_spelling(make_site):
    root = make_site(
        {
            "site.yaml": SITE_10,
            "content/posts/a.md": post("Alpha", "2025-01-01", 'tags: ["Mentoring "]\n'),
            "content/posts/b.md": post("Beta", "2025-01-02", "tags: [mentoring]\n"),
            "content/posts/c.md": post("Gamma", "2025-01-03", "tags: [MENTORING]\n"),
            "content/posts/d.md": post("Delta", "2025-01-04", "tags: [Mentoring]\n"),
        }
    )
    assert errors(run_build(root)) == []
    assert outputs(root, "tags") == ["index.html", "mentoring/index.html"]
    page = read(root, "tags/mentoring/index.html")
    assert "<h1>Posts tagged “Mentoring”</h1>" in page
    assert re.findall(r'post-summary-title"><a href="([^"]+)"', page) == [
        "/2025/01/d/",
        "/2025/01/c/",
        "/2025/01/b/",
        "/2025/01/a/",
    ]
    assert "4 posts" in page
    # every post links to the one tag page, under its display name
    for slug in "abcd":
        assert '<a class="tag" href="/tags/mentoring/">Mentoring</a>' in read(
            root, f"2025/01/{slug}/index.html"
        )


def test_author_and_authors(make_site):
    root = make_site(
        {
            "site.yaml": SITE_10,
            "content/authors.yaml": "maya:\n  name: Maya Chen\n  bio: Edits the hub.\n",
            "content/posts/a.md": post("Solo", extra="author: maya\n"),
            "content/posts/b.md": post("Duo", "2025-01-02", "authors: [maya, Guest Writer]\n"),
        }
    )
    assert errors(run_build(root)) == []
    assert outputs(root, "authors") == [
        "guest-writer/index.html",
        "index.html",
        "maya/index.html",
    ]
    profile = read(root, "authors/maya/index.html")
    assert "<h1>Maya Chen</h1>" in profile
    assert '<p class="lead">Edits the hub.</p>' in profile
    assert 'href="/2025/01/a/">Solo</a>' in profile
    assert 'href="/2025/01/b/">Duo</a>' in profile
    guest = read(root, "authors/guest-writer/index.html")
    assert "<h1>Guest Writer</h1>" in guest
    assert 'href="/2025/01/b/">Duo</a>' in guest
    assert "Solo" not in guest
    duo = read(root, "2025/01/b/index.html")
    assert (
        'by <a class="author-link" href="/authors/maya/">Maya Chen</a> and '
        '<a class="author-link" href="/authors/guest-writer/">Guest Writer</a>'
    ) in duo


def test_author_and_authors_together_is_an_error(make_site):
    error = one_post_error(make_site, post(extra="author: x\nauthors: [y]\n"))
    assert where(error) == ("content/posts/a.md", 4, 1)
    assert "either 'author' or 'authors'" in error.message


def test_unknown_group_in_groups_is_reported_at_the_list_item(make_site):
    root = make_site(
        {
            "content/groups/writing-circle.yaml": GROUP.format(name="Writing Circle"),
            "content/posts/a.md": post(extra="groups:\n  - writing-circle\n  - writing-circel\n"),
        }
    )
    error = the_error(run_build(root))
    assert where(error) == ("content/posts/a.md", 6, 5)
    assert error.message == "unknown group 'writing-circel'"
    assert error.hint == "did you mean 'writing-circle'?"


def test_unknown_group_with_nothing_close_explains_group_slugs(make_site):
    root = make_site(
        {
            "content/groups/writing-circle.yaml": GROUP.format(name="Writing Circle"),
            "content/posts/a.md": post(extra="groups: [zzz]\n"),
        }
    )
    error = the_error(run_build(root))
    assert where(error) == ("content/posts/a.md", 4, 10)
    assert "content/groups/" in error.hint


# --- summaries, drafts, future posts --------------------------------------------------------


def test_summary_from_the_more_marker_else_the_first_paragraph(make_site):
    root = make_site(
        {
            "site.yaml": SITE_10,
            "content/posts/a.md": post(
                "A",
                body="Lead with *emphasis*\nand [a link](https://x.org).\n\n"
                "Second lead paragraph.\n\n<!--more-->\n\nThe rest.",
            ),
            "content/posts/b.md": post(
                "B", "2025-01-02", body="# Heading\n\nFirst **para** here.\n\nSecond para."
            ),
        }
    )
    assert errors(run_build(root)) == []
    home = read(root, "index.html")
    assert re.findall(r'post-summary-text">(.*?)</p>', home) == [
        "First para here.",
        "Lead with emphasis and a link. Second lead paragraph.",
    ]
    assert '<meta name="description" content="First para here.">' in read(
        root, "2025/01/b/index.html"
    )


def test_summary_in_front_matter_wins(make_site):
    root = make_site({"content/posts/a.md": post(extra="summary: Given summary.\n")})
    assert errors(run_build(root)) == []
    assert '<p class="post-summary-text">Given summary.</p>' in read(root, "index.html")


def test_drafts_are_left_out_unless_asked_for(make_site):
    files = {
        "site.yaml": SITE_10,
        "content/posts/a.md": post("Drafty", extra="draft: true\n"),
        "content/posts/b.md": post("Published"),
    }
    root = make_site(files)
    assert errors(run_build(root)) == []
    assert outputs(root, "2025") == ["01/b/index.html"]
    assert "Drafty" not in read(root, "index.html")

    other = make_site(files, name="with-drafts")
    assert errors(run_build(other, drafts=True)) == []
    assert outputs(other, "2025") == ["01/a/index.html", "01/b/index.html"]
    assert "Draft</span>" in read(other, "2025/01/a/index.html")


def test_future_posts_are_left_out_unless_asked_for(make_site):
    files = {
        "site.yaml": SITE_10,
        "content/posts/today.md": post("Today", "2026-11-24"),
        "content/posts/earlier.md": post("Earlier", "2026-11-24T11:00:00Z"),
        "content/posts/later-today.md": post("Later today", "2026-11-24T13:00:00Z"),
        "content/posts/tomorrow.md": post("Tomorrow", "2026-11-25"),
    }
    root = make_site(files)
    assert errors(run_build(root)) == []
    assert outputs(root, "2026") == ["11/earlier/index.html", "11/today/index.html"]

    other = make_site(files, name="with-future")
    assert errors(run_build(other, future=True)) == []
    assert outputs(other, "2026") == [
        "11/earlier/index.html",
        "11/later-today/index.html",
        "11/today/index.html",
        "11/tomorrow/index.html",
    ]


def test_dates_without_a_zone_are_in_the_site_timezone(make_site):
    # 2026-11-25 00:00 in Auckland (UTC+13) is 2026-11-24 11:00 UTC: before 'now' (12:00 UTC).
    root = make_site(
        {
            "site.yaml": "title: T\ntimezone: Pacific/Auckland\n",
            "content/posts/a.md": post("Auckland morning", "2026-11-25"),
            "content/posts/b.md": post("Auckland afternoon", "2026-11-25T13:00:00"),
        }
    )
    assert errors(run_build(root)) == []
    assert outputs(root, "2026") == ["11/a/index.html"]


# --- .html posts, bundles, pages --------------------------------------------------------------


def test_html_post_body_is_used_as_is(make_site):
    root = make_site(
        {
            "content/posts/h.html": (
                "---\ntitle: Raw\ndate: 2025-01-01\n---\n"
                '<p>Hello <b>raw</b> &amp; more</p>\n<div class="box">*not markdown*</div>\n'
            )
        }
    )
    assert errors(run_build(root)) == []
    html = read(root, "2025/01/h/index.html")
    assert '<div class="box">*not markdown*</div>' in html
    assert "<p>Hello <b>raw</b> &amp; more</p>" in html
    assert '<p class="post-summary-text">Hello raw &amp; more</p>' in read(root, "index.html")


def test_page_bundle_files_are_copied_next_to_the_page(make_site):
    root = make_site(
        {
            "content/posts/trip/index.md": post(
                "Trip", body="![map](map.png) and [notes](notes.txt)"
            ),
            "content/posts/trip/map.png": b"\x89PNG",
            "content/posts/trip/extra/notes.md": "not a post",
            "content/posts/trip/notes.txt": "notes",
        }
    )
    result = run_build(root)
    assert errors(result) == []
    assert outputs(root, "2025") == [
        "01/trip/extra/notes.md",
        "01/trip/index.html",
        "01/trip/map.png",
        "01/trip/notes.txt",
    ]
    assert (root / "public/2025/01/trip/map.png").read_bytes() == b"\x89PNG"
    assert '<img src="map.png" alt="map">' in read(root, "2025/01/trip/index.html")


def test_pages_and_nested_pages(make_site):
    root = make_site(
        {
            "content/pages/about.md": "---\ntitle: About us\n---\n\nAbout text.\n",
            "content/pages/guides/start.md": "---\ntitle: Start here\n---\n\nStart text.\n",
        }
    )
    assert errors(run_build(root)) == []
    assert "<h1>About us</h1>" in read(root, "about/index.html")
    start = read(root, "guides/start/index.html")
    assert "<h1>Start here</h1>" in start
    assert "<p>Start text.</p>" in start
    assert not (root / "public/2025").exists()


def test_pages_do_not_need_a_date(make_site):
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\n\nx\n"})
    result = run_build(root)
    assert errors(result) == []
    assert [w for w in warnings(result) if "date" in w.message] == []


# --- links between sources ------------------------------------------------------------------


def test_relative_link_to_another_source_file_becomes_its_url(make_site):
    root = make_site(
        {
            "content/posts/a.md": post(
                "A",
                body="See [the other](other.md#part), [again](./other.md) and [about](../pages/about.md).",
            ),
            "content/posts/other.md": post("Other", "2025-02-03"),
            "content/pages/about.md": "---\ntitle: About\n---\n\n[back](../posts/a.md)\n",
        }
    )
    assert errors(run_build(root)) == []
    html = read(root, "2025/01/a/index.html")
    assert '<a href="/2025/02/other/#part">the other</a>' in html
    assert '<a href="/2025/02/other/">again</a>' in html
    assert '<a href="/about/">about</a>' in html
    assert '<a href="/2025/01/a/">back</a>' in read(root, "about/index.html")


def test_links_reach_a_post_that_is_a_link_to_a_file_elsewhere_in_the_site(make_site):
    """A post may be a symbolic link (here to a file kept outside content/): links to it, by
    its own name or by the file it leads to, reach its page; a post beside it that is no link
    is its own page."""
    root = make_site(
        {
            "notes/kept.md": post("Kept", "2025-02-03"),
            "content/posts/a.md": post(
                "A", body="[by name](alias.md), [by file](../../notes/kept.md), [plain](b.md)."
            ),
            "content/posts/b.md": post("B", "2025-03-04"),
        }
    )
    (root / "content/posts/alias.md").symlink_to(root / "notes/kept.md")
    assert errors(run_build(root)) == []
    html = read(root, "2025/01/a/index.html")
    assert '<a href="/2025/02/alias/">by name</a>' in html
    assert '<a href="/2025/02/alias/">by file</a>' in html
    assert '<a href="/2025/03/b/">plain</a>' in html


def test_link_to_a_missing_source_file_is_an_error_at_its_line(make_site):
    root = make_site(
        {"content/posts/a.md": post(body="Intro.\n\nMore text.\n\nSee [gone](missing.md#x).")}
    )
    result = run_build(root)
    error = the_error(result)
    assert where(error) == ("content/posts/a.md", 10, 1)
    assert error.message == "link to a missing file: missing.md#x"
    assert "source file" in error.hint
    assert not result.published


def test_links_to_missing_files_in_a_table_and_a_list(make_site):
    body = "- item one\n- item [gone](one.md)\n\n| a | b |\n|---|---|\n| x | [gone](two.md) |\n"
    root = make_site({"content/posts/a.md": post(body=body)})
    found = [(*where(p), p.message) for p in run_build(root).problems if p.severity == "error"]
    assert found == [
        ("content/posts/a.md", 7, 1, "link to a missing file: one.md"),
        ("content/posts/a.md", 11, 1, "link to a missing file: two.md"),
    ]


def test_link_on_the_second_line_of_a_paragraph_is_reported_at_that_line(make_site):
    body = "First line of the paragraph\nand the [gone](missing.md) link.\n"
    error = one_post_error(make_site, post(body=body))
    assert where(error) == ("content/posts/a.md", 7, 1)


def test_external_and_non_source_links_are_left_alone(make_site):
    body = "[web](https://x.org/a.md) [file](notes.txt) [abs](/x.md) [frag](#top)"
    root = make_site({"content/posts/a.md": post(body=body)})
    assert errors(run_build(root)) == []
    html = read(root, "2025/01/a/index.html")
    for href in ("https://x.org/a.md", "notes.txt", "/x.md", "#top"):
        assert f'href="{href}"' in html


# --- output collisions and empty sites ------------------------------------------------------


def test_two_posts_writing_the_same_url_is_one_error_naming_both(make_site):
    root = make_site(
        {
            "content/posts/a.md": post("A", extra="slug: same\n"),
            "content/posts/b.md": post("B", extra="slug: same\n"),
        }
    )
    result = run_build(root)
    error = the_error(result)
    text = error.format()
    assert "/2025/01/same/" in error.message
    assert "content/posts/a.md" in text
    assert "content/posts/b.md" in text
    assert error.line == 1
    assert "another slug" in error.hint
    assert not result.published


def test_posts_in_subfolders_with_the_same_name_collide(make_site):
    root = make_site({"content/posts/a.md": post("A"), "content/posts/sub/a.md": post("B")})
    error = the_error(run_build(root))
    assert "/2025/01/a/" in error.message
    assert {"content/posts/a.md", "content/posts/sub/a.md"} <= {
        error.path,
        *re.findall(r"content/posts/\S+\.md", error.message),
    }


@pytest.mark.parametrize(
    ("files", "blamed", "url", "other"),
    [
        (
            {"content/pages/about.md": "A", "content/pages/about/index.md": "B"},
            "content/pages/about/index.md",
            "/about/",
            "content/pages/about.md",
        ),
        ({"content/pages/tags.md": "T"}, "content/pages/tags.md", "/tags/", "the tag index"),
        (
            {"content/pages/groups.md": "G"},
            "content/pages/groups.md",
            "/groups/",
            "the group directory",
        ),
    ],
)
def test_a_page_writing_an_existing_url(make_site, files, blamed, url, other):
    pages = {path: f"---\ntitle: {title}\n---\n\nx\n" for path, title in files.items()}
    root = make_site({**pages, "content/posts/a.md": post(extra="tags: [t]\n")})
    error = the_error(run_build(root))
    assert where(error) == (blamed, 1, 1)
    assert error.message == f"this writes {url}, which {other} also writes"


def test_links_with_spaces_and_other_case_resolve(make_site):
    root = make_site(
        {
            "content/posts/a.md": post(body="[b](<my post.md>) [c](my%20post.md) [d](Upper.md)"),
            "content/posts/my post.md": post("B", "2025-02-01"),
            "content/posts/Upper.md": post("U", "2025-03-01"),
        }
    )
    assert errors(run_build(root)) == []
    html = read(root, "2025/01/a/index.html")
    assert '<a href="/2025/02/my-post/">b</a>' in html
    assert '<a href="/2025/02/my-post/">c</a>' in html
    assert '<a href="/2025/03/upper/">d</a>' in html


def test_empty_content_folder(make_site):
    root = make_site({"content/posts/.keep": ""})
    error = the_error(run_build(root))
    assert where(error) == ("content", 0, 0)
    assert "no posts, pages or groups" in error.message
    assert not (root / "public").exists()


def test_missing_content_folder(make_site):
    root = make_site({})
    error = the_error(run_build(root))
    assert where(error) == ("content", 0, 0)
    assert error.message == "there is no content/ folder"
    assert "hubgen init" in error.hint
    assert not (root / "public").exists()


_NAMES = st.sampled_from(["index", "Index", "INDEX", "a", "My Post", "b.c", "_x", "index.en", "é"])


@given(st.lists(_NAMES, min_size=1, max_size=4), st.sampled_from([".md", ".markdown", ".html"]))
def test_a_post_s_slug_from_its_path_is_the_last_part_of_a_page_s(names, suffix) -> None:
    """A post takes the last part of the slug a page at the same path takes (its folder's name
    for an index file), made without the other parts."""
    folder = Path("/hub/content/posts")
    file = folder.joinpath(*names[:-1], names[-1] + suffix)
    assert base_slug("post", file, folder) == base_slug("page", file, folder).rsplit("/", 1)[-1]
