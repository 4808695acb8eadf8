"""site.yaml: every mistake reported at its line and column, and base_url's effect on links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import POST, errors, read, run_build

from hubgen.build import BuildResult
from hubgen.config import load_config
from hubgen.errors import Problem
from hubgen.theme import builtin_themes

A_POST = {"content/posts/a.md": POST.format(title="A", date="2025-01-01", body="Body.")}


def the_error(result: BuildResult) -> Problem:
    found = [p for p in result.problems if p.severity == "error"]
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def where(problem: Problem) -> tuple[str, int, int]:
    return (problem.path, problem.line, problem.column)


def build_with_config(
    make_site, config: str | bytes, **options: object
) -> tuple[Path, BuildResult]:
    root = make_site({"site.yaml": config, **A_POST})
    return root, run_build(root, **options)


# --- unknown keys and types --------------------------------------------------------------


def test_unknown_key_is_reported_at_its_line_with_did_you_mean(make_site):
    root, result = build_with_config(
        make_site, "title: T\ndescription: D\nbase_ur: https://x.org/\n"
    )
    error = the_error(result)
    assert where(error) == ("site.yaml", 3, 1)
    assert error.message == "unknown field 'base_ur'"
    assert error.hint == "did you mean 'base_url'?"
    assert errors(result) == [
        "site.yaml:3:1: error: unknown field 'base_ur' (did you mean 'base_url'?)"
    ]
    assert not result.published
    assert not (root / "public").exists()


def test_unknown_nested_key_names_its_full_path_and_suggests_a_sibling(make_site):
    _, result = build_with_config(make_site, "title: T\npermalinks:\n  psot: /p/{slug}/\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 3, 3)
    assert error.message == "unknown field 'permalinks.psot'"
    assert error.hint == "did you mean 'post'?"


def test_wrong_type_is_reported_at_the_value(make_site):
    _, result = build_with_config(make_site, "title: T\nposts_per_page: many\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 2, 17)
    assert error.message.startswith("invalid posts_per_page 'many':")
    assert "integer" in error.message


def test_out_of_range_posts_per_page(make_site):
    _, result = build_with_config(make_site, "title: T\nposts_per_page: 0\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 2, 17)
    assert error.message.startswith("invalid posts_per_page 0:")
    assert "greater than or equal to 1" in error.message


def test_missing_title(make_site):
    _, result = build_with_config(make_site, "description: no title here\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 1, 1)
    assert error.message == "missing required field 'title'"


def test_site_yaml_that_is_not_a_mapping(make_site):
    _, result = build_with_config(make_site, "- title: T\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 1, 1)
    assert "must be a mapping" in error.message


# --- base_url, timezone, permalinks, theme ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("hub.example.org", "absolute http:// or https:// URL"),
        ("/hub/", "absolute http:// or https:// URL"),
        ("ftp://example.org/", "absolute http:// or https:// URL"),
        ("https://", "absolute http:// or https:// URL"),
        ("https://x.org/?page=1", "query or fragment"),
        ("https://x.org/#top", "query or fragment"),
    ],
)
def test_bad_base_url(make_site, value, words):
    _, result = build_with_config(make_site, f"title: T\nbase_url: {value}\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 2, 11)
    assert error.message.startswith(f"invalid base_url '{value}':")
    assert words in error.message


def test_unknown_timezone(make_site):
    _, result = build_with_config(make_site, "title: T\ntimezone: Mars/Olympus\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 2, 11)
    assert "unknown time zone 'Mars/Olympus'" in error.message
    assert "IANA" in error.message


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("/{year}/{title}/", "unknown placeholder {title}"),
        ("/{year}/{month}/", "must contain {slug}"),
        ("{year}/{slug}/", "must start with '/'"),
        ("/{year}/{slug}", "must end with '/' or '.html'"),
    ],
)
def test_bad_permalink_pattern(make_site, pattern, words):
    _, result = build_with_config(make_site, f"title: T\npermalinks:\n  post: '{pattern}'\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 3, 9)
    assert error.message.startswith(f"invalid permalinks.post '{pattern}':")
    assert words in error.message


def test_a_custom_permalink_pattern_is_used(make_site):
    root, result = build_with_config(
        make_site, "title: T\npermalinks:\n  post: /notes/{slug}.html\n"
    )
    assert errors(result) == []
    assert "<h1>A</h1>" in read(root, "notes/a.html")
    assert not (root / "public" / "2025").exists()


def test_unknown_theme_names_it_and_says_where_it_looked(make_site):
    _, result = build_with_config(make_site, "title: T\ntheme: fancy\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 2, 8)
    assert error.message == "unknown theme 'fancy'"
    assert error.hint.startswith("searched ")
    assert "themes/" in error.hint
    assert str(builtin_themes()) in error.hint


def test_a_theme_of_the_site_is_found_in_its_themes_folder(make_site):
    root = make_site(
        {
            "site.yaml": "title: T\ntheme: mine\n",
            "themes/mine/theme.yaml": "name: mine\nparent: default\n",
            "themes/mine/templates/post.html": "<p class=mine>{{ post.title }}</p>\n",
            **A_POST,
        }
    )
    result = run_build(root)
    assert errors(result) == []
    assert read(root, "2025/01/a/index.html") == "<p class=mine>A</p>\n"
    assert "<h1>T</h1>" in read(root, "index.html")  # the parent theme renders the rest


# --- missing and broken files ----------------------------------------------------------


def test_missing_site_yaml(make_site):
    root = make_site(A_POST, with_config=False)
    result = run_build(root)
    error = the_error(result)
    assert where(error) == ("site.yaml", 0, 0)
    assert error.message == "no site.yaml here"
    assert "hubgen init" in error.hint
    assert errors(result) == [
        "site.yaml: error: no site.yaml here (run 'hubgen init' to create a hub)"
    ]
    assert not (root / "public").exists()


def test_tab_indentation_in_site_yaml_is_named(make_site):
    root, result = build_with_config(make_site, "title: T\n\tdescription: tabbed\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 2, 1)
    assert "tab" in error.message
    assert error.hint == "indent with spaces"
    assert not (root / "public").exists()


def test_tab_indentation_of_a_nested_block_in_site_yaml_is_named(make_site):
    _, result = build_with_config(make_site, "title: T\npermalinks:\n\tpost: /p/{slug}/\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 3, 1)
    assert "tab" in error.message


def test_unclosed_quote_in_site_yaml(make_site):
    _, result = build_with_config(make_site, 'title: T\ndescription: "never ends\nlanguage: en\n')
    error = the_error(result)
    assert error.path == "site.yaml"
    assert error.line == 4
    assert "quoted value is never closed" in error.message
    assert error.hint == "the quote opened on line 2 needs a matching quote"


def test_bom_and_crlf_site_yaml(make_site):
    config = "\ufefftitle: Windows hub\r\nbase_url: https://x.org/\r\n".encode()
    root = make_site({"site.yaml": config, **A_POST})
    assert errors(run_build(root)) == []
    assert "<h1>Windows hub</h1>" in read(root, "index.html")


def test_site_yaml_that_is_not_utf8(make_site):
    _, result = build_with_config(make_site, b"title: T\ndescription: Caf\xe9\n")
    error = the_error(result)
    assert where(error) == ("site.yaml", 2, 17)
    assert "UTF-8" in error.message
    assert "0xe9" in error.message


def test_duplicate_key_in_site_yaml_is_a_warning_and_the_last_value_wins(make_site):
    root, result = build_with_config(make_site, "title: First\ntitle: Second\n")
    assert errors(result) == []
    [warning] = [p for p in result.problems if "duplicate" in p.message]
    assert warning.severity == "warning"
    assert where(warning) == ("site.yaml", 2, 1)
    assert "duplicate key 'title'" in warning.message
    assert "line 1" in warning.message
    assert "<h1>Second</h1>" in read(root, "index.html")


def test_several_mistakes_are_reported_at_once(make_site):
    config = (
        "title: T\n"
        "base_ur: https://x.org/\n"
        "posts_per_page: many\n"
        "timezone: Nowhere/Land\n"
        "permalinks:\n"
        "  tag: /tags/{name}/\n"
    )
    _, result = build_with_config(make_site, config)
    found = [p for p in result.problems if p.severity == "error"]
    assert [where(p) for p in found] == [
        ("site.yaml", 2, 1),
        ("site.yaml", 3, 17),
        ("site.yaml", 4, 11),
        ("site.yaml", 6, 8),
    ]
    assert "base_ur" in found[0].message
    assert "posts_per_page" in found[1].message
    assert "Nowhere/Land" in found[2].message
    assert "unknown placeholder {name}" in found[3].message


# --- base_url ------------------------------------------------------------------------------


def test_base_url_gets_a_trailing_slash(make_site):
    root = make_site({"site.yaml": "title: T\nbase_url: https://x.org/hub\n", **A_POST})
    loaded, problems = load_config(root)
    assert problems == []
    assert loaded is not None
    assert loaded.config.base_url == "https://x.org/hub/"
    assert loaded.config.base_path == "/hub/"
    result = run_build(root)
    assert errors(result) == []
    assert '<link rel="canonical" href="https://x.org/hub/">' in read(root, "index.html")


def test_base_url_without_a_path_gets_a_trailing_slash(make_site):
    root = make_site({"site.yaml": "title: T\nbase_url: https://x.org\n", **A_POST})
    loaded, _ = load_config(root)
    assert loaded is not None
    assert loaded.config.base_url == "https://x.org/"
    assert loaded.config.base_path == "/"


def test_base_url_option_overrides_site_yaml(make_site):
    root = make_site(A_POST)
    result = run_build(root, base_url="https://other.example.net/sub")
    assert errors(result) == []
    assert 'href="https://other.example.net/sub/2025/01/a/"' in read(root, "2025/01/a/index.html")


def test_a_base_url_with_a_path_prefixes_every_internal_link(make_site):
    root = make_site(
        {
            "site.yaml": (
                "title: T\n"
                "base_url: https://x.org/hub/\n"
                "posts_per_page: 1\n"
                "menu:\n"
                "  - {title: Groups, url: /groups/}\n"
                "  - {title: Elsewhere, url: 'https://elsewhere.example/'}\n"
            ),
            "content/posts/a.md": (
                "---\ntitle: A\ndate: 2025-01-01\ntags: [One]\nauthor: Ann\ngroups: [g]\n---\n\n"
                "See [b](b.md) and [c](c/index.md#x).\n"
            ),
            "content/posts/b.md": "---\ntitle: B\ndate: 2025-02-01\ntags: [One, Two]\n---\n\nB.\n",
            "content/posts/c/index.md": "---\ntitle: C\ndate: 2025-03-01\n---\n\n![i](pic.png)\n",
            "content/posts/c/pic.png": b"png",
            "content/pages/about.md": "---\ntitle: About\n---\n\n[first post](../posts/a.md)\n",
            "content/groups/g.yaml": (
                "name: G\nsummary: S\nkind: peer-group\nformat: online\ntopics: [t]\n"
                "location:\n  country: Peru\n"
            ),
        }
    )
    result = run_build(root)
    assert errors(result) == []
    public = root / "public"
    assert (public / "2025/01/a/index.html").is_file()  # files are not moved under hub/
    assert not (public / "hub").exists()
    assert (public / "2025/03/c/pic.png").read_bytes() == b"png"

    links: set[str] = set()
    for page in public.rglob("*.html"):
        links.update(re.findall(r'(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8")))
    site_links = {link for link in links if link.startswith("/")}
    assert site_links, "no internal links found"
    assert sorted(link for link in site_links if not link.startswith("/hub/")) == []
    for expected in (
        "/hub/",
        "/hub/2025/01/a/",
        "/hub/2025/02/b/",
        "/hub/2025/03/c/#x",
        "/hub/page/2/",
        "/hub/tags/one/",
        "/hub/tags/one/page/2/",
        "/hub/authors/ann/",
        "/hub/groups/",
        "/hub/groups/g/",
        "/hub/groups/topics/t/",
        "/hub/groups/formats/online/",
        "/hub/groups/countries/peru/",
        "/hub/css/style.css",
    ):
        assert expected in site_links, expected
    assert "https://elsewhere.example/" in links
    assert 'href="/hub/2025/01/a/"' in read(root, "about/index.html")
    post = read(root, "2025/01/a/index.html")
    assert '<a href="/hub/2025/02/b/">b</a>' in post
    assert '<a href="/hub/2025/03/c/#x">c</a>' in post
    sitemap = read(root, "sitemap.xml")
    locs = re.findall(r"<loc>([^<]*)</loc>", sitemap)
    assert locs
    assert [loc for loc in locs if not loc.startswith("https://x.org/hub/")] == []
    assert "https://x.org/hub/2025/01/a/" in locs
