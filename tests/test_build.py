"""The build end to end: page kinds, pagination, themes, output safety, determinism."""

from __future__ import annotations

import array
import dataclasses
import datetime as dt
import hashlib
import os
import re
import shutil
import string
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import jinja2
import pytest
from conftest import GROUP, POST, SITE_YAML, errors, read, run_build
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from hubgen import content as content_module
from hubgen import output, parallel, render
from hubgen import site as site_module
from hubgen.config import load_config
from hubgen.errors import Problems
from hubgen.output import MARK
from hubgen.outputs import Alternate, RenderJob, with_links
from hubgen.routes import _SAFE, quoted
from hubgen.theme import environment, load_theme


def _posts(n: int, tag: str = "Mentoring") -> dict[str, str]:
    return {
        f"content/posts/post-{i:02d}.md": POST.format(
            title=f"Post {i}", date=f"2025-01-{i + 1:02d}", body=f"Body {i}."
        ).replace("Mentoring", tag)
        for i in range(n)
    }


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# hubgen's sitemap.xml before it showed ``{{ urls }}``: what a theme's own may still do
LOOPED_SITEMAP = """\
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" count="{{ entries|length }}">
{% for entry in entries %}
  <url>
    <loc>{{ entry.loc }}</loc>
{% if entry.lastmod %}
    <lastmod>{{ entry.lastmod }}</lastmod>
{% endif %}
  </url>
{% endfor %}
</urlset>
"""


def test_the_sitemap_is_what_a_template_looping_over_its_entries_writes(make_site):
    """hubgen's sitemap shows its entries' XML, kept by page; a theme's own sitemap.xml loops
    over ``entries`` (``loc``, ``lastmod``) and writes the same, escaped alike."""
    files = {
        "site.yaml": SITE_YAML.replace("hub.example.org/", "hub.example.org/a&b/"),
        "content/pages/about.md": "---\ntitle: About\n---\nNo date.\n",
        "content/posts/café-notes.md": POST.format(title="Café", date="2025-02-03", body="B."),
        **_posts(3),
    }
    root = make_site(files)
    own = run_build(root)
    looped_root = make_site({**files, "templates/sitemap.xml": LOOPED_SITEMAP}, name="looped")
    looped = run_build(looped_root)
    assert not errors(own) and not errors(looped)
    written = read(looped_root, "sitemap.xml")
    assert "<loc>https://hub.example.org/a&amp;b/about/</loc>\n  </url>" in written  # no date
    assert "/2025/02/caf%C3%A9-notes/</loc>\n    <lastmod>2025-02-03</lastmod>" in written
    count = re.search(r' count="(\d+)"', written)
    assert count and int(count[1]) == written.count("<url>") > 10
    assert read(root, "sitemap.xml") == written.replace(f' count="{count[1]}"', "")


def test_every_page_kind_is_written(make_site):
    root = make_site(
        {
            **_posts(5),
            "content/posts/with-group.md": "---\ntitle: About the circle\ndate: 2024-06-01\ngroups: [circle]\nauthors: [ana]\n---\nText.\n",
            "content/groups/circle.yaml": GROUP.format(name="The Circle")
            + "topics: [Writing]\nlocation: {city: Oslo, country: Norway}\n",
            "content/pages/about.md": "---\ntitle: About us\n---\nWho we are.\n",
            "content/authors.yaml": "ana:\n  name: Ana Lima\n  bio: Writes about writing groups.\n",
        }
    )
    result = run_build(root)
    assert errors(result) == []
    out = root / "public"
    for path in (
        "index.html",
        "page/2/index.html",
        "page/3/index.html",
        "2025/01/post-00/index.html",
        "2024/06/with-group/index.html",
        "about/index.html",
        "tags/index.html",
        "tags/mentoring/index.html",
        "tags/mentoring/page/2/index.html",
        "authors/index.html",
        "authors/ana/index.html",
        "archive/index.html",
        "archive/2025/index.html",
        "archive/2024/index.html",
        "groups/index.html",
        "groups/circle/index.html",
        "groups/topics/writing/index.html",
        "groups/formats/online/index.html",
        "groups/countries/norway/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "css/style.css",
        MARK,
    ):
        assert (out / path).is_file(), path
    assert "About the circle" in read(root, "groups/circle/index.html")
    assert "Ana Lima" in read(root, "2024/06/with-group/index.html")
    sitemap = read(root, "sitemap.xml")
    assert "<loc>https://hub.example.org/2025/01/post-00/</loc>" in sitemap
    assert "404" not in sitemap
    assert "Sitemap: https://hub.example.org/sitemap.xml" in read(root, "robots.txt")


def test_home_pagination_links_pages_in_order(make_site):
    root = make_site(_posts(5))
    run_build(root)
    home, second = read(root, "index.html"), read(root, "page/2/index.html")
    assert "Post 4" in home and "Post 3" in home and "Post 2" not in home
    assert "Post 2" in second and "Post 1" in second
    assert 'href="/page/2/"' in home
    assert 'href="/page/3/"' in second and 'href="/"' in second


def test_pagination_links_the_first_the_last_and_the_pages_around(make_site):
    """Page 6 of 12 links 1, 4–8 and 12, with one gap marker for each run left out."""
    config = SITE_YAML.replace("posts_per_page: 2", "posts_per_page: 1")
    root = make_site({"site.yaml": config, **_posts(12)})
    run_build(root)
    page = read(root, "page/6/index.html")
    start = page.index('<nav class="pagination"')
    nav = page[start : page.index("</nav>", start)]
    linked = re.findall(r'<span class="visually-hidden">Page </span>(\d+)</a>', nav)
    assert linked == ["1", "4", "5", "6", "7", "8", "12"]
    assert nav.count("pagination-gap") == 2
    assert 'aria-current="page"><span class="visually-hidden">Page </span>6<' in nav
    first = read(root, "index.html")
    assert re.findall(r"Page </span>(\d+)</a>", first) == ["1", "2", "3", "12"]
    assert first.count("pagination-gap") == 1


def test_previous_and_next_link_neighbours(make_site):
    root = make_site(_posts(3))
    run_build(root)
    middle = read(root, "2025/01/post-01/index.html")
    assert 'href="/2025/01/post-00/"' in middle
    assert 'href="/2025/01/post-02/"' in middle


def test_long_post_gets_a_table_of_contents(make_site):
    body = "\n\n".join(f"## Part {i}\n\nText {i}." for i in range(4))
    root = make_site(
        {"content/posts/long.md": POST.format(title="Long", date="2025-02-02", body=body)}
    )
    run_build(root)
    html = read(root, "2025/02/long/index.html")
    assert 'href="#part-3"' in html and 'id="part-3"' in html


def test_fenced_code_is_highlighted(make_site):
    body = "```python\ndef mentor():\n    return 1\n```\n"
    root = make_site(
        {"content/posts/code.md": POST.format(title="Code", date="2025-02-02", body=body)}
    )
    run_build(root)
    html = read(root, "2025/02/code/index.html")
    assert '<pre class="highlight"><code class="language-python"><span class="k">def</span>' in html


def test_markdown_extensions(make_site):
    body = "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n\nTerm\n: Meaning\n\nNote[^1]\n\n[^1]: A footnote.\n"
    root = make_site(
        {"content/posts/ext.md": POST.format(title="Ext", date="2025-02-02", body=body)}
    )
    run_build(root)
    html = read(root, "2025/02/ext/index.html")
    for fragment in (
        "<table>",
        "<s>old</s>",
        'type="checkbox"',
        "<dt>Term</dt>",
        'class="footnotes"',
    ):
        assert fragment in html


def test_site_templates_override_the_theme_and_can_extend_it(make_site):
    root = make_site(
        {
            **_posts(1),
            "templates/post.html": '{% extends "!theme/post.html" %}{% block content %}<p id="custom">{{ post.title }} custom</p>{% endblock %}',
            "static/css/extra.css": "body{}",
        }
    )
    result = run_build(root)
    assert errors(result) == []
    html = read(root, "2025/01/post-00/index.html")
    assert '<p id="custom">Post 0 custom</p>' in html
    assert "<!doctype html>" in html.lower()  # the theme's base layout still wraps it
    assert (root / "public/css/extra.css").is_file()


def test_a_child_theme_inherits_from_its_parent(make_site):
    root = make_site(
        {
            **_posts(1),
            "site.yaml": "title: T\nbase_url: https://x.org/\ntheme: child\n",
            "themes/child/theme.yaml": "name: child\nparent: default\n",
            "themes/child/templates/page.html": "{% extends '!default/page.html' %}",
            "themes/child/static/css/style.css": "/* child */",
        }
    )
    assert errors(run_build(root)) == []
    assert read(root, "css/style.css") == "/* child */"
    assert "Post 0" in read(root, "index.html")


def test_missing_template_names_the_search_path(make_site):
    root = make_site({**_posts(1), "templates/post.html": '{% include "nope.html" %}'})
    problems = errors(run_build(root))
    assert len(problems) == 1
    assert problems[0].startswith("templates/post.html")
    assert "'nope.html' not found" in problems[0]


def test_template_syntax_error_is_reported_at_its_line(make_site):
    root = make_site({**_posts(1), "templates/post.html": "line one\n{% if %}\n"})
    problems = errors(run_build(root))
    assert problems and problems[0].startswith(
        "templates/post.html:2:1: error: template syntax error"
    )


def test_templates_no_page_uses_are_compiled_but_never_reported(make_site):
    """Every template is compiled before the pages are rendered (``build._Ready``); one no page uses
    is no concern of the build's, even when it does not compile."""
    broken = {
        "templates/unused.html": "{% if %}\n",
        "templates/unknown-filter.html": "{{ 1 | no_such_filter }}\n",
        "templates/_partial.html": "{% block x %}{% endblock %}{% block x %}{% endblock %}\n",
    }
    root = make_site({**_posts(2), **broken})
    assert errors(run_build(root)) == []
    assert "Post 1" in read(root, "index.html")


def test_the_command_imports_rendering_only_when_a_build_renders(make_site):
    """``hubgen`` imports Markdown, Pygments, the feeds' and calendars' libraries while workers
    read the posts, not before reading; a build that finds nothing changed never imports them."""
    heavy = ("pygments", "icalendar", "lxml", "markdown_it", "hubgen.render", "hubgen.site")
    check = f"import sys; print([m for m in {heavy!r} if m in sys.modules])"
    started = subprocess.run(
        [sys.executable, "-c", f"import hubgen.cli; {check}"], capture_output=True, text=True
    )
    assert started.stdout.strip() == "[]", started.stderr
    root = make_site(_posts(2))
    hour_ago = dt.datetime.now().timestamp() - 3600  # not changed as the build began
    for file in root.rglob("*"):
        os.utime(file, (hour_ago, hour_ago))
    build = f"from hubgen import cli; cli.main(['build', '-s', {str(root)!r}]); {check}"
    shown = []
    for _ in range(2):  # the first build renders; the second finds nothing to do
        done = subprocess.run([sys.executable, "-c", build], capture_output=True, text=True)
        shown.append(done.stdout.strip().splitlines())
    assert "(0 rendered" not in shown[0][0] and shown[0][1] == str(list(heavy))
    assert "(0 rendered" in shown[1][0] and shown[1][1] == "[]"


def test_undefined_variable_is_reported_at_the_template_line_with_the_page(make_site):
    root = make_site({**_posts(1), "templates/post.html": "ok\n\n{{ post.nope }}\n"})
    problems = errors(run_build(root))
    assert len(problems) == 1
    assert problems[0].startswith("templates/post.html:3:1: error:")
    assert "nope" in problems[0] and "content/posts/post-00.md" in problems[0]


def test_failed_build_leaves_previous_output_intact(make_site):
    root = make_site(_posts(2))
    assert errors(run_build(root)) == []
    before = _tree(root / "public")
    (root / "content/posts/broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    result = run_build(root)
    assert result.failed and not result.published
    assert _tree(root / "public") == before
    assert not [
        p for p in root.iterdir() if p.name.startswith(".public.")
    ]  # no staging left behind


def test_keep_going_publishes_everything_else(make_site):
    root = make_site({**_posts(2), "content/posts/broken.md": "---\ntitle: [unclosed\n---\n"})
    result = run_build(root, keep_going=True)
    assert result.failed and result.published
    assert (root / "public/2025/01/post-01/index.html").is_file()


def test_deleted_posts_disappear_from_the_output(make_site):
    root = make_site(_posts(2))
    run_build(root)
    (root / "content/posts/post-00.md").unlink()
    run_build(root)
    assert not (root / "public/2025/01/post-00").exists()


@pytest.mark.parametrize("target", [".", "content", "~"])
def test_refuses_output_folders_it_does_not_own(make_site, target, monkeypatch, tmp_path):
    root = make_site(_posts(1))
    monkeypatch.setenv("HOME", str(tmp_path))
    out = {".": root, "content": root / "content", "~": Path.home()}[target]
    result = run_build(root, out=out)
    assert result.failed and "refusing" in errors(result)[0]
    assert (root / "content/posts/post-00.md").is_file()


def test_refuses_a_non_empty_folder_without_its_mark(make_site, tmp_path):
    root = make_site(_posts(1))
    other = tmp_path / "precious"
    other.mkdir()
    (other / "thesis.tex").write_text("keep me", encoding="utf-8")
    result = run_build(root, out=other)
    assert result.failed and "did not create" in errors(result)[0]
    assert (other / "thesis.tex").read_text(encoding="utf-8") == "keep me"


def test_two_builds_are_byte_identical(make_site, tmp_path):
    root = make_site({**_posts(4), "content/groups/circle.yaml": GROUP.format(name="Circle")})
    run_build(root, out=tmp_path / "a")
    run_build(root, out=tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def _flags(folder: Path, add: int = 0) -> int:
    import fcntl  # Linux's, as in ``output.spread``

    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        flags = array.array("I", [0])
        fcntl.ioctl(fd, output._GETFLAGS, flags, True)
        if add:
            flags[0] |= add
            fcntl.ioctl(fd, output._SETFLAGS, flags, True)
        return flags[0]
    finally:
        os.close(fd)


def test_the_site_and_its_folders_of_folders_are_marked_as_tops_of_unrelated_trees(
    make_site, tmp_path
):
    probe = tmp_path / "probe"
    probe.mkdir()
    try:
        supported = bool(_flags(probe, output._TOPDIR) & output._TOPDIR)
    except (ImportError, OSError):
        supported = False
    if not supported:
        pytest.skip("this file system or system has no FS_TOPDIR_FL")
    root = make_site({**_posts(3), "content/groups/circle.yaml": GROUP.format(name="Circle")})
    assert errors(run_build(root)) == []
    public = root / "public"
    marked = {p.name for p in public.iterdir() if p.is_dir() and _flags(p) & output._TOPDIR}
    assert _flags(public) & output._TOPDIR
    assert marked == {p.name for p in public.iterdir() if p.is_dir()} >= {"2025", "groups", "tags"}
    assert not _flags(public / "2025" / "01") & output._TOPDIR


def test_base_url_path_prefixes_every_internal_link(make_site):
    root = make_site({**_posts(1), "site.yaml": "title: T\nbase_url: https://x.org/hub/\n"})
    assert errors(run_build(root)) == []
    home = read(root, "index.html")
    assert 'href="/hub/2025/01/post-00/"' in home
    assert 'href="/hub/css/style.css"' in home
    assert 'href="/2025' not in home


@pytest.mark.parametrize("base", ["https://hub.example.org/", "https://x.org/hub/"])
@pytest.mark.parametrize(
    "menu", [None, "[{title: Groups, url: /groups/}, {title: Out, url: 'https://o.example/'}]"]
)
def test_the_main_navigation_marks_the_page_and_its_section(make_site, base, menu):
    """Each entry links its page with the base path (an external URL as written), and is marked
    as the page itself on that page, as its section on the pages under it, and not elsewhere."""
    site = f"title: T\nbase_url: {base}\n" + (f"menu: {menu}\n" if menu else "")
    post = POST.format(title="A", date="2025-01-01", body="A.")
    group = GROUP.format(name="G")
    root = make_site(
        {"site.yaml": site, "content/posts/a.md": post, "content/groups/g.yaml": group}
    )
    assert errors(run_build(root)) == []
    prefix = "/hub/" if "hub/" in base else "/"
    entries = (
        [("Groups", "groups/"), ("Out", "https://o.example/")]
        if menu
        else [("Blog", ""), ("Groups", "groups/"), ("Tags", "tags/"), ("Archive", "archive/")]
    )

    def marks(page: str) -> dict[str, str]:
        nav = read(root, page).split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
        found = re.findall(r'<a href="([^"]*)"(?: aria-current="(page|true)")?>([^<]*)</a>', nav)
        expected = [(t, u if u.startswith("http") else prefix + u) for t, u in entries]
        assert [(title, href) for href, _, title in found] == expected
        return {title: mark for _, mark, title in found if mark}

    assert marks("groups/index.html") == {"Groups": "page"}
    assert marks("groups/g/index.html") == {"Groups": "true"}
    assert marks("archive/index.html") == ({} if menu else {"Archive": "page"})
    assert marks("index.html") == ({} if menu else {"Blog": "page"})
    assert marks("tags/mentoring/index.html") == ({} if menu else {"Tags": "true"})


def test_check_writes_nothing(make_site):
    root = make_site(_posts(1))
    result = run_build(root, write=False)
    assert not result.failed and not (root / "public").exists()


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("/", "index.html"),
        ("/2025/03/first/", "2025/03/first/index.html"),
        ("/feed.json", "feed.json"),
        ("//tags//./x/", "tags/x/index.html"),  # empty and '.' segments are left out
        ("/../etc/passwd", None),
        ("/a/../../b/", None),
        ("/a\\..\\b", None),
        ("/a\x00b", None),
        ("/.", None),  # the output folder itself
    ],
)
def test_a_page_s_file_never_leaves_the_output_folder(path: str, file: str | None) -> None:
    from hubgen.routes import output_file

    assert output_file(path) == file


@given(st.text(alphabet=string.printable + "éü中\u00a0", max_size=10))
def test_a_path_is_quoted_as_quote_quotes_it(path: str) -> None:
    """``quoted`` leaves a path that needs nothing as it is, without calling ``quote``: the
    same URL either way."""
    assert quoted(path) == quote(path, safe=_SAFE)


def test_a_serving_sitemap_keeps_the_elements_of_its_jobs_and_lets_the_others_go(monkeypatch):
    """A serving renderer keeps each job's ``<url>`` by the job; a job made again (a new object,
    even of the same values), or the site served at another root, makes its element again, and
    those of jobs gone are let go once more than ``_SITEMAP_SPARE`` are kept."""
    monkeypatch.setattr(render, "_SITEMAP_SPARE", 2)
    day = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    jobs = [
        RenderJob(f"/p{i}/", "post.html", "post", f"p{i}.md", f"P{i}", lastmod=day)
        for i in range(4)
    ]
    kept: render.SitemapUrls = {}
    first = render.SitemapEntries("https://hub.example", jobs, kept).xml()
    assert first == render.SitemapEntries("https://hub.example", jobs, None).xml()
    assert first.count("<url>") == 4 and "<lastmod>2026-03-01</lastmod>" in first
    assert {id(job) for job in jobs} == kept.keys()
    again = [dataclasses.replace(job) for job in jobs[:3]]  # made again; the last one gone
    assert render.SitemapEntries("https://hub.example", again, kept).xml() == first.replace(
        "  <url>\n    <loc>https://hub.example/p3/</loc>\n    <lastmod>2026-03-01</lastmod>\n  </url>\n",
        "",
    )
    assert kept.keys() == {id(job) for job in again}  # 7 kept were more than 3 + 2
    elsewhere = render.SitemapEntries("http://127.0.0.1:8000", again, kept).xml()
    assert "<loc>http://127.0.0.1:8000/p0/</loc>" in elsewhere and "hub.example" not in elsewhere


def test_warming_a_template_compiles_those_it_extends_includes_and_imports(make_site):
    """Page workers are forked after the warming: they inherit every template a page needs
    compiled, instead of each compiling base.html and the macros again."""
    root = make_site({"site.yaml": SITE_YAML})
    loaded, _ = load_config(root)
    assert loaded is not None
    theme, _ = load_theme(root, loaded.config.theme, loaded.theme_position)
    assert theme is not None
    renderer = render.Renderer(environment(root, theme, loaded.config), root, theme)
    job = RenderJob("/2025/01/a/", "post.html", "post", "content/posts/a.md", "A")
    renderer.warm(job, Problems())
    compiled = {template.name for template in renderer.env.cache.values()}
    assert {"post.html", "base.html", "_macros.html"} <= compiled


class _Html:
    """A value that is its own HTML, as a theme's object may be."""

    def __html__(self) -> str:
        return "<b>safe</b>"


class _Text(str):
    """A subclass of str: escaped as any text."""


_VALUES = st.one_of(
    st.text(alphabet=string.printable + "é中\u00a0", max_size=20),
    st.text(alphabet=string.printable, max_size=20).map(Markup),
    st.text(alphabet="<>&'\" a", max_size=8).map(_Text),
    st.integers(),
    st.none(),
    st.just(_Html()),
    st.lists(st.text(alphabet="<&a", max_size=3), max_size=3),
)


@given(value=_VALUES)
def test_templates_escape_what_they_show_as_jinja_does(tmp_path_factory, value) -> None:
    """hubgen's templates escape their output with a function of their own (``_escape``): for
    every kind of value, what a page shows is what Jinja with markupsafe's escape shows, from a
    file, a macro, a block or a string."""
    root = tmp_path_factory.mktemp("escape")
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    (root / "templates").mkdir()
    source = (
        "{% macro show(v) %}[{{ v }}]{% endmacro %}"
        "{% block b %}{{ value }}|{{ show(value) }}|{{ value ~ '&' }}|{{ value|e }}{% endblock %}"
    )
    (root / "templates" / "t.html").write_text(source, encoding="utf-8")
    loaded, _ = load_config(root)
    assert loaded is not None
    theme, _ = load_theme(root, loaded.config.theme, loaded.theme_position)
    assert theme is not None
    env = environment(root, theme, loaded.config)
    expected = jinja2.Environment(autoescape=True).from_string(source).render(value=value)
    shown = env.get_template("t.html").render(value=value)
    assert shown == expected
    assert env.from_string(source).render(value=value) == expected


def test_templates_see_globals_as_jinja_does(tmp_path) -> None:
    """A template's globals are one dict, not Jinja's ChainMap (``Noting.make_globals``): the
    template's own over the environment's, under the page's variables, and seen the same by
    what it imports and includes."""
    (tmp_path / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "m.html").write_text("{% macro who() %}{{ shared }}{% endmacro %}")
    (templates / "i.html").write_text("{{ shared }}/{{ own }}/{{ page }}")
    source = (
        '{% import "m.html" as m %}{{ shared }} {{ own }} {{ page }} {{ m.who() }} '
        '{% include "i.html" %} {{ url("/x/") }}'
    )
    (templates / "t.html").write_text(source)
    loaded, _ = load_config(tmp_path)
    assert loaded is not None
    theme, _ = load_theme(tmp_path, loaded.config.theme, loaded.theme_position)
    assert theme is not None
    env = environment(tmp_path, theme, loaded.config)
    env.globals["shared"] = "env"
    env.globals["own"] = "env"
    env.globals["page"] = "env"
    template = env.get_template("t.html", globals={"own": "template", "page": "template"})
    assert type(template.globals) is dict  # not read key by key through a ChainMap
    shown = template.render(page="page")
    assert shown == "env template page env env/template/page /x/"
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True)
    plain.globals.update(shared="env", own="env", page="env", url=lambda path: path)
    expected = plain.get_template("t.html", globals={"own": "template", "page": "template"})
    assert expected.render(page="page") == shown


def test_templates_call_functions_as_jinja_does(tmp_path) -> None:
    """Plain functions are called directly, with their arguments; one marked to take the
    context, environment or evaluation context gets it, as Jinja gives it; and a function
    that raises StopIteration gives undefined, as in Jinja."""
    (tmp_path / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    loaded, _ = load_config(tmp_path)
    assert loaded is not None
    theme, _ = load_theme(tmp_path, loaded.config.theme, loaded.theme_position)
    assert theme is not None

    def stops() -> None:
        raise StopIteration

    globals_ = {
        "plain": lambda a, b="b": f"{a}{b}",
        "page_of": jinja2.pass_context(lambda context, key: context[key]),
        "env_of": jinja2.pass_environment(lambda environment: type(environment).__name__),
        "stops": stops,
    }
    source = (
        "{{ plain(1) }} {{ plain(1, b=2) }} {{ page_of('x') }} {{ env_of() == 'Environment' "
        "or env_of() == 'Noting' }} {{ stops() is undefined }}"
    )
    env = environment(tmp_path, theme, loaded.config)
    env.globals.update(globals_)
    shown = env.from_string(source).render(x="X")
    assert shown == "1b 12 X True True"
    plain = jinja2.Environment(autoescape=True)
    plain.globals.update(globals_)
    assert plain.from_string(source).render(x="X") == shown


def test_a_job_with_its_links_is_the_job_with_a_context_of_links_and_its_own() -> None:
    """``with_links`` copies a job but for its context, which gains what templates link: every
    other field as it was, and the job's own context keys over the links'."""
    day = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    job = RenderJob(
        "/tags/x/", "tag.html", "tag", "the tag 'x'", "X", "About x",
        {"posts": (), "feeds": "its own"}, day, False, "html",
    )  # fmt: skip
    own = (Alternate("X (RSS)", "/tags/x/rss.xml", "application/rss+xml", "RSS", "feed"),)
    site = (Alternate("Hub (RSS)", "/rss.xml", "application/rss+xml", "RSS", "feed"),)
    linked = with_links(job, own, site)
    context = {"feeds": "its own", "page_feeds": own, "calendar": None, "posts": ()}
    assert linked == dataclasses.replace(job, context=context)
    assert list(linked.context) == ["feeds", "page_feeds", "calendar", "posts"]
    assert job.context == {"posts": (), "feeds": "its own"}  # the job itself is left as it was


def _widest_pipe(_item: int) -> int:
    """The largest pipe this process holds an end of (in a worker: the one results go back by)."""
    import fcntl  # only where /proc is

    sizes = [0]
    for name in os.listdir("/proc/self/fd"):
        try:
            sizes.append(fcntl.fcntl(int(name), fcntl.F_GETPIPE_SZ))
        except OSError:  # not a pipe, or the listing's own fd, closed
            continue
    return max(sizes)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux's /proc and pipe sizes")
def test_workers_send_results_back_by_a_wide_pipe(monkeypatch) -> None:
    """Results come back by a pipe of a megabyte, not the kernel's 64 KB: a chunk of documents
    through the narrow one took the reading of 10,000 posts from 1.1 to 1.3 s."""
    monkeypatch.setenv("HUBGEN_WORKERS", "2")
    sizes = parallel.parallel_map(_widest_pipe, range(4), min_items=1)
    assert sizes == [parallel._PIPE_SIZE] * 4


def _slow(item: int) -> int:
    time.sleep(0.002)
    return item


def test_busy_tells_the_forking_process_whether_its_workers_have_results_to_give(monkeypatch):
    """What lets the build compile templates while the readers work, and no longer (``_Ready``)."""
    monkeypatch.setenv("HUBGEN_WORKERS", "2")
    seen = []

    def forked() -> None:
        seen.append(parallel.busy())  # 400 items of 2 ms: 0.4 s of work for the two workers
        deadline = time.monotonic() + 60
        while parallel.busy() and time.monotonic() < deadline:
            time.sleep(0.005)
        seen.append(parallel.busy())

    assert not parallel.busy()
    assert parallel.parallel_map(_slow, range(400), min_items=1, forked=forked) == list(range(400))
    assert seen == [True, False] and not parallel.busy()


def test_templates_are_compiled_while_the_readers_work_and_the_rest_with_the_bodies(
    make_site, monkeypatch
):
    """Readers at work to the end: every template is compiled while they read. Readers done at
    once: none then, every one while the bodies are rendered. Each once, and the same pages."""
    steps: list[str] = []  # each parallel step as it starts, and each template compiled
    original_map, original_compile = parallel.parallel_map, jinja2.Environment.compile

    def parallel_map(*args, **kwargs):  # type: ignore[no-untyped-def]
        steps.append("step")
        return original_map(*args, **kwargs)

    def compile(self, source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        steps.append(name)
        return original_compile(self, source, name, *args, **kwargs)

    for module in (content_module, site_module, render):
        monkeypatch.setattr(module, "parallel_map", parallel_map)
    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    monkeypatch.setenv("HUBGEN_WORKERS", "2")
    posts = {
        f"content/posts/post-{i:03d}.md": POST.format(
            title=f"Post {i}",
            date=(dt.date(2020, 1, 1) + dt.timedelta(days=i)).isoformat(),
            body=f"Body {i}.",
        )
        for i in range(500)
    }
    root = make_site(posts)  # read, rendered and written in parallel
    pages = []
    for readers_busy in (True, False):
        monkeypatch.setattr(parallel, "busy", lambda busy=readers_busy: busy)
        steps.clear()
        shutil.rmtree(root / ".hubgen-cache", ignore_errors=True)
        shutil.rmtree(root / "public", ignore_errors=True)
        assert errors(run_build(root)) == []
        assert steps.count("step") == 3, steps  # reading, bodies, pages
        reading, bodies = steps.index("step"), steps.index("step", steps.index("step") + 1)
        names = [s for s in steps if s != "step"]
        assert "post.html" in names and len(names) == len(set(names)), names
        compiled_in = steps[reading + 1 : bodies] if readers_busy else steps[bodies + 1 :]
        assert compiled_in[: len(names)] == names, steps
        pages.append(read(root, "index.html"))
    assert pages[0] == pages[1]


@pytest.mark.parametrize(("total", "together"), [(1, 1), (250, 90), (2631, 903), (40, 100)])
def test_items_that_go_together_are_the_first_chunk(total, together) -> None:
    """The first ``together`` items (the feeds, which share their entries) are one chunk, for one
    worker; the rest are chunked as if they were all."""
    bounds = parallel._bounds(total, 2, together)
    first = min(total, together)
    assert bounds[0] == (0, first)
    rest = [(a + first, b + first) for a, b in parallel._bounds(total - first, 2)]
    assert bounds[1:] == rest
    assert parallel._bounds(total, 1, together) == parallel._bounds(total, 1)


@pytest.mark.parametrize("total", [1, 7, 250, 1000, 17465])
def test_chunks_shrink_towards_the_end_so_workers_end_together(total) -> None:
    """Every item in one chunk, in order; _CHUNKS a worker at most of the uniform size, then
    smaller ones: the last is an eighth of the others or less, so no worker is left with a whole
    chunk to go when the other is done (0.3 s of each phase at 10,000 posts)."""
    bounds = parallel._bounds(total, 2)
    assert [b for _, b in bounds[:-1]] == [a for a, _ in bounds[1:]]
    assert bounds[0][0] == 0 and bounds[-1][1] == total
    sizes = [b - a for a, b in bounds]
    assert sizes == sorted(sizes, reverse=True) and min(sizes) >= 1
    assert sizes[0] == -(-total // (2 * parallel._CHUNKS))
    assert sizes[-1] <= max(1, sizes[0] // 8)
    assert parallel._bounds(total, 1) == [(a, min(a + 100, total)) for a in range(0, total, 100)]
