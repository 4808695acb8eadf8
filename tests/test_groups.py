"""Group files: what a group page shows, the directory and its listings, and every group mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import GROUP, SITE_YAML, errors, read, run_build, write_files

from hubgen.build import BuildResult
from hubgen.errors import Problem

FULL_GROUP = """\
name: Tuesday Writers
summary: A peer group for thesis writers.
description: |
  We write together, then talk about **what worked**.
kind: peer-group
topics:
  - Academic Writing
  - accountability
audience:
  - PhD students
format: hybrid
location:
  city: Lyon
  region: Auvergne-Rhône-Alpes
  country: France
timezone: Europe/Paris
meetings:
  cadence: every 3 weeks
  weekday: tuesday
  time: "17:30"
  duration: 90
  starts: 2025-01-07
size: 7
capacity: 10
status: full
join:
  url: https://example.org/join
  email: writers@example.org
  instructions: Send a short note about your thesis.
organizers:
  - name: Ana Lima
    url: https://ana.example.org/
  - name: Bo Chen
founded: 2021-09-14
ground_rules:
  - Cameras optional.
  - What is said here stays here.
links:
  Shared calendar: https://example.org/cal
milestones:
  - date: 2022-06-01
    text: First thesis submitted.
"""

OTHER_GROUP = """\
name: Other Circle
summary: Another small group.
kind: peer-group
status: open
format: online
topics: [Accountability]
location:
  country: France
"""

PROGRAM = """\
name: Big Program
summary: A formal program.
kind: formal-program
status: open
format: online
topics: [leadership, accountability]
location:
  country: Peru
"""


def post(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n\nAbout the group.\n"


def the_error(result: BuildResult) -> Problem:
    found = [p for p in result.problems if p.severity == "error"]
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def where(problem: Problem) -> tuple[str, int, int]:
    return (problem.path, problem.line, problem.column)


def main(html: str) -> str:
    """The page's <main> element, without the header and footer every page shares."""
    return html[html.index("<main") : html.index("</main>")]


def text_of(html: str) -> str:
    """Visible text, tags removed and white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def group_error(make_site, text: str | bytes) -> Problem:
    root = make_site({"content/groups/g.yaml": text})
    result = run_build(root)
    assert not result.published
    return the_error(result)


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Path:
    """One built hub shared by the read-only page tests of this module."""
    root = write_files(
        tmp_path_factory.mktemp("groups") / "hub",
        {
            "site.yaml": SITE_YAML,
            "content/groups/tuesday-writers.yaml": FULL_GROUP,
            "content/groups/other.yaml": OTHER_GROUP,
            "content/groups/program.yaml": PROGRAM,
            "content/posts/about.md": post(
                "About the writers", "2025-01-01", "groups: [tuesday-writers]\n"
            ),
            "content/posts/both.md": post(
                "Two groups", "2025-02-01", "groups: [tuesday-writers, other]\n"
            ),
            "content/posts/unrelated.md": post("Unrelated news", "2025-03-01"),
        },
    )
    result = run_build(root)
    assert errors(result) == []
    return root


# --- a group's page ---------------------------------------------------------------------------


def test_group_page_shows_every_field(hub):
    page = main(read(hub, "groups/tuesday-writers/index.html"))
    text = text_of(page)
    assert "<h1>Tuesday Writers</h1>" in page
    assert '<p class="lead">A peer group for thesis writers.</p>' in page
    assert '<p class="eyebrow">Peer group</p>' in page
    assert "<p>We write together, then talk about <strong>what worked</strong>.</p>" in page
    assert "Every 3 weeks on Tuesday, 17:30–19:00 Europe/Paris" in text
    assert '· from <time datetime="2025-01-07">7 January 2025</time>' in page
    assert "<dt>Status</dt><dd>Full</dd>" in page
    assert "This group is full at the moment." in page
    assert '<a href="/groups/formats/hybrid/">Hybrid</a>' in page
    assert "Lyon, Auvergne-Rhône-Alpes, France" in text
    assert '<a href="/groups/countries/france/">More groups in France</a>' in page
    assert "<dt>Time zone</dt><dd>Europe/Paris</dd>" in page
    assert "<dt>Size</dt><dd>7 of 10 members</dd>" in page
    assert '<a class="tag" href="/groups/topics/academic-writing/">Academic Writing</a>' in page
    assert '<a class="tag" href="/groups/topics/accountability/">' in page
    assert "<li>PhD students</li>" in page
    assert '<time datetime="2021-09-14">14 September 2021</time>' in page
    # how to join
    assert '<a class="button" href="https://example.org/join">Contact Tuesday Writers</a>' in page
    assert '<a href="mailto:writers@example.org">writers@example.org</a>' in page
    assert '<p class="join-instructions">Send a short note about your thesis.</p>' in page
    # organizers, ground rules, milestones, links
    assert '<li><a href="https://ana.example.org/">Ana Lima</a></li>' in page
    assert "<li>Bo Chen</li>" in page
    assert "<li>Cameras optional.</li>" in page
    assert "<li>What is said here stays here.</li>" in page
    assert (
        '<time datetime="2022-06-01">1 June 2022</time> '
        '<span class="timeline-text">First thesis submitted.</span>'
    ) in page
    assert '<a href="https://example.org/cal">Shared calendar</a>' in page


def test_group_page_lists_posts_about_the_group(hub):
    page = main(read(hub, "groups/tuesday-writers/index.html"))
    assert "Posts about Tuesday Writers" in page
    assert re.findall(r'post-summary-title"><a href="([^"]+)"', page) == [
        "/2025/02/both/",
        "/2025/01/about/",
    ]
    other = main(read(hub, "groups/other/index.html"))
    assert re.findall(r'post-summary-title"><a href="([^"]+)"', other) == ["/2025/02/both/"]
    program = main(read(hub, "groups/program/index.html"))
    assert "Posts about" not in program
    # and each post links back to its groups
    both = read(hub, "2025/02/both/index.html")
    assert '<li><a href="/groups/tuesday-writers/">Tuesday Writers</a></li>' in both
    assert '<li><a href="/groups/other/">Other Circle</a></li>' in both


def test_directory_lists_groups_by_kind_with_counts_and_facet_links(hub):
    page = main(read(hub, "groups/index.html"))
    assert "3 mentoring groups listed, 2 currently open to new members." in text_of(page)
    sections = re.findall(
        r'<section class="kind-section" aria-labelledby="kind-([a-z-]+)">(.*?)</section>',
        page,
        re.DOTALL,
    )
    assert [kind for kind, _ in sections] == ["peer-group", "formal-program"]
    peer, program = (body for _, body in sections)
    assert 'Peer group <span class="count">2 groups</span>' in peer
    assert re.findall(r'card-title"><a href="([^"]+)"', peer) == [
        "/groups/other/",
        "/groups/tuesday-writers/",
    ]
    assert 'Formal program <span class="count">1 group</span>' in program
    assert re.findall(r'card-title"><a href="([^"]+)"', program) == ["/groups/program/"]
    facets = dict(
        re.findall(r'<a href="(/groups/(?:topics|formats|countries)/[^"]+)">([^<]+)<', page)
    )
    assert facets == {
        "/groups/topics/academic-writing/": "Academic Writing ",
        "/groups/topics/accountability/": "accountability ",
        "/groups/topics/leadership/": "leadership ",
        "/groups/formats/hybrid/": "Hybrid ",
        "/groups/formats/online/": "Online ",
        "/groups/countries/france/": "France ",
        "/groups/countries/peru/": "Peru ",
    }
    counts = dict(
        re.findall(r'<a href="(/groups/[a-z]+/[a-z-]+/)">[^<]+<span class="count">(\d+)<', page)
    )
    assert counts == {
        "/groups/topics/academic-writing/": "1",
        "/groups/topics/accountability/": "3",
        "/groups/topics/leadership/": "1",
        "/groups/formats/hybrid/": "1",
        "/groups/formats/online/": "2",
        "/groups/countries/france/": "2",
        "/groups/countries/peru/": "1",
    }


@pytest.mark.parametrize(
    ("page", "heading", "members"),
    [
        (
            "topics/accountability",
            "accountability",  # the most used spelling of the topic
            ["/groups/program/", "/groups/other/", "/groups/tuesday-writers/"],
        ),
        ("topics/academic-writing", "Academic Writing", ["/groups/tuesday-writers/"]),
        ("topics/leadership", "leadership", ["/groups/program/"]),
        ("formats/online", "Online", ["/groups/program/", "/groups/other/"]),
        ("formats/hybrid", "Hybrid", ["/groups/tuesday-writers/"]),
        ("countries/france", "France", ["/groups/other/", "/groups/tuesday-writers/"]),
        ("countries/peru", "Peru", ["/groups/program/"]),
    ],
)
def test_facet_pages_list_the_right_groups(hub, page, heading, members):
    html = main(read(hub, f"groups/{page}/index.html"))
    assert f"<h1>{heading}</h1>" in html
    assert re.findall(r'card-title"><a href="([^"]+)"', html) == members


def test_every_facet_page_exists_and_no_other(hub):
    folders = sorted(
        p.parent.relative_to(hub / "public/groups").as_posix()
        for p in (hub / "public/groups").rglob("index.html")
    )
    assert folders == [
        ".",
        "countries/france",
        "countries/peru",
        "formats/hybrid",
        "formats/online",
        "other",
        "program",
        "topics/academic-writing",
        "topics/accountability",
        "topics/leadership",
        "tuesday-writers",
    ]


def test_groups_without_a_kind_are_listed_as_other(make_site):
    root = make_site({"content/groups/loose.yaml": "name: Loose\nsummary: No kind.\n"})
    assert errors(run_build(root)) == []
    page = main(read(root, "groups/index.html"))
    assert 'id="kind-other">Other groups <span class="count">1 group</span>' in page
    assert '<a href="/groups/loose/">Loose</a>' in page


# --- meeting schedules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meetings", "expected"),
    [
        (
            "cadence: every 3 weeks\n  weekday: Tuesday\n  time: '17:30'\n  duration: 90",
            "Every 3 weeks on Tuesday, 17:30–19:00",
        ),
        ("cadence: weekly\n  weekday: friday\n  time: '9:05'", "Every Friday, 09:05–10:05"),
        ("cadence: Every 1 Week\n  weekday: Friday\n  time: '23:30'", "Every Friday, 23:30–00:30"),
        (
            "cadence: monthly\n  weekday: Tuesday\n  time: '18:00'\n  starts: 2025-01-14",
            "Monthly on the second Tuesday, 18:00–19:00",
        ),
        (
            "cadence: monthly\n  weekday: Friday\n  time: '18:00'\n  starts: 2025-01-31",
            "Monthly on the last Friday, 18:00–19:00",
        ),
        (
            "cadence: monthly\n  weekday: Monday\n  time: '18:00'",
            "Monthly on a Monday, 18:00–19:00",
        ),
    ],
)
def test_schedule_in_words(make_site, meetings, expected):
    root = make_site({"content/groups/g.yaml": f"name: G\nsummary: S\nmeetings:\n  {meetings}\n"})
    assert errors(run_build(root)) == []
    assert f"<dt>Meets</dt><dd>{expected}" in read(root, "groups/g/index.html")


@pytest.mark.parametrize(
    ("written", "shown"), [("17:30", "17:30"), ("9:05", "09:05"), ("07:30", "07:30")]
)
def test_unquoted_time_is_accepted(make_site, written, shown):
    # YAML 1.1 reads an unquoted 17:30 as the base-60 integer 1050.
    root = make_site(
        {
            "content/groups/g.yaml": (
                f"name: G\nsummary: S\nmeetings:\n  cadence: weekly\n  weekday: Monday\n  time: {written}\n"
            )
        }
    )
    assert errors(run_build(root)) == []
    assert f"<dt>Meets</dt><dd>Every Monday, {shown}–" in read(root, "groups/g/index.html")


# --- escaping -----------------------------------------------------------------------------


def test_raw_html_in_a_description_is_escaped_by_default(make_site):
    root = make_site(
        {
            "content/groups/g.yaml": (
                "name: G\nsummary: S\ndescription: |\n"
                "  Hello <script>alert(1)</script> and <b>bold</b>.\n"
            )
        }
    )
    assert errors(run_build(root)) == []
    page = read(root, "groups/g/index.html")
    assert "<script" not in page
    assert "<b>bold</b>" not in page
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt;." in page


def test_raw_html_in_a_description_can_be_allowed(make_site):
    root = make_site(
        {
            "site.yaml": "title: T\nmarkdown:\n  raw_html_groups: true\n",
            "content/groups/g.yaml": "name: G\nsummary: S\ndescription: Hi <b>there</b>.\n",
        }
    )
    assert errors(run_build(root)) == []
    assert "<p>Hi <b>there</b>.</p>" in read(root, "groups/g/index.html")


def test_text_fields_are_escaped(make_site):
    root = make_site(
        {"content/groups/g.yaml": "name: A <i>bold</i> group\nsummary: S & <b>more</b>\n"}
    )
    assert errors(run_build(root)) == []
    page = main(read(root, "groups/g/index.html"))
    assert "<h1>A &lt;i&gt;bold&lt;/i&gt; group</h1>" in page
    assert "S &amp; &lt;b&gt;more&lt;/b&gt;" in page
    assert "<i>" not in page


# --- mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [("summary: S\n", "name"), ("name: N\n", "summary"), ("name: N\nsummary: ''\n", None)],
)
def test_missing_required_field(make_site, text, field):
    error = group_error(make_site, text)
    if field is None:
        assert where(error) == ("content/groups/g.yaml", 2, 10)
        assert error.message.startswith("invalid summary '':")
    else:
        assert where(error) == ("content/groups/g.yaml", 1, 1)
        assert error.message == f"missing required field '{field}'"


def test_both_required_fields_missing_are_both_reported(make_site):
    root = make_site({"content/groups/g.yaml": "kind: peer-group\n"})
    found = errors(run_build(root))
    assert found == [
        "content/groups/g.yaml:1:1: error: missing required field 'name'",
        "content/groups/g.yaml:1:1: error: missing required field 'summary'",
    ]


def test_unknown_field_with_did_you_mean(make_site):
    root = make_site({"content/groups/g.yaml": "name: N\nsumary: S\n"})
    found = [p for p in run_build(root).problems if p.severity == "error"]
    unknown = [p for p in found if "unknown field" in p.message]
    assert len(unknown) == 1
    assert where(unknown[0]) == ("content/groups/g.yaml", 2, 1)
    assert unknown[0].message == "unknown field 'sumary'"
    assert unknown[0].hint == "did you mean 'summary'?"


def test_unknown_nested_field_with_did_you_mean(make_site):
    error = group_error(make_site, "name: N\nsummary: S\njoin:\n  urll: https://x.org/\n")
    assert where(error) == ("content/groups/g.yaml", 4, 3)
    assert error.message == "unknown field 'join.urll'"
    assert error.hint == "did you mean 'url'?"


@pytest.mark.parametrize(
    ("line", "column", "name", "value", "suggestion"),
    [
        ("kind: peer-groop", 7, "kind", "peer-groop", "peer-group"),
        ("format: inperson", 9, "format", "inperson", "in-person"),
        ("status: opne", 9, "status", "opne", "open"),
        ("status: Paused", 9, "status", "Paused", "paused"),
    ],
)
def test_bad_enum_value_with_did_you_mean(make_site, line, column, name, value, suggestion):
    error = group_error(make_site, f"name: N\nsummary: S\n{line}\n")
    assert where(error) == ("content/groups/g.yaml", 3, column)
    assert error.message.startswith(f"invalid {name} '{value}':")
    assert f"'{suggestion}'" in error.message  # the allowed values are listed
    assert error.hint == f"did you mean '{suggestion}'?"


def test_bad_enum_value_with_nothing_close_lists_the_choices(make_site):
    error = group_error(make_site, "name: N\nsummary: S\nstatus: closed\n")
    assert where(error) == ("content/groups/g.yaml", 3, 9)
    for choice in ("open", "full", "paused", "retired"):
        assert f"'{choice}'" in error.message
    assert error.hint == ""


MEETINGS = (
    "name: N\nsummary: S\nmeetings:\n  cadence: {cadence}\n  weekday: {weekday}\n  time: {time}\n"
)


@pytest.mark.parametrize("cadence", ["fortnightly", "every 0 weeks", "every week or two", "3"])
def test_bad_cadence(make_site, cadence):
    error = group_error(
        make_site, MEETINGS.format(cadence=cadence, weekday="Tuesday", time="'17:30'")
    )
    assert where(error) == ("content/groups/g.yaml", 4, 12)
    assert error.message.startswith("invalid meetings.cadence")
    assert "every N weeks" in error.message


def test_bad_weekday(make_site):
    error = group_error(
        make_site, MEETINGS.format(cadence="weekly", weekday="Tuesdy", time="'17:30'")
    )
    assert where(error) == ("content/groups/g.yaml", 5, 12)
    assert error.message.startswith("invalid meetings.weekday 'Tuesdy':")
    assert error.hint == "did you mean 'Tuesday'?"


@pytest.mark.parametrize("time", ["'25:00'", "'5pm'", "'17:60'", "noon"])
def test_bad_time(make_site, time):
    error = group_error(make_site, MEETINGS.format(cadence="weekly", weekday="Tuesday", time=time))
    assert where(error) == ("content/groups/g.yaml", 6, 9)
    assert error.message.startswith("invalid meetings.time")
    assert "HH:MM" in error.message


def test_bad_unquoted_time(make_site):
    # unquoted, YAML reads 25:00 as the base-60 integer 1500
    error = group_error(
        make_site, MEETINGS.format(cadence="weekly", weekday="Tuesday", time="25:00")
    )
    assert where(error) == ("content/groups/g.yaml", 6, 9)
    assert "HH:MM" in error.message


def test_missing_meeting_fields(make_site):
    root = make_site(
        {"content/groups/g.yaml": "name: N\nsummary: S\nmeetings:\n  cadence: weekly\n"}
    )
    assert errors(run_build(root)) == [
        "content/groups/g.yaml:4:3: error: missing required field 'meetings.time'",
        "content/groups/g.yaml:4:3: error: missing required field 'meetings.weekday'",
    ]


STARTS = (
    MEETINGS.format(cadence="weekly", weekday="Tuesday", time="'17:30'") + "  starts: 2025-01-08\n"
)


def test_start_date_on_the_wrong_weekday(make_site):
    error = group_error(make_site, STARTS)
    assert error.path == "content/groups/g.yaml"
    assert "starts (2025-01-08) is a Wednesday, not a Tuesday" in error.message


def test_start_date_on_the_wrong_weekday_is_reported_at_the_start_date(make_site):
    error = group_error(make_site, STARTS)
    assert where(error) == ("content/groups/g.yaml", 7, 11)


@pytest.mark.parametrize(
    ("join", "field", "words"),
    [
        ("url: javascript:alert(1)", "url", "absolute http:// or https:// URL"),
        ("url: not-a-url", "url", "absolute http:// or https:// URL"),
        ("url: 'https://exa mple.org/'", "url", "absolute http:// or https:// URL"),
        ("url: //example.org/join", "url", "absolute http:// or https:// URL"),
        ("email: not-an-email", "email", "email address"),
        ("email: a@b", "email", "email address"),
        ("email: '<a@b.org>'", "email", "email address"),
    ],
)
def test_bad_join_url_and_email(make_site, join, field, words):
    error = group_error(make_site, f"name: N\nsummary: S\njoin:\n  {join}\n")
    value = join.split(": ", 1)[1].strip("'")
    assert where(error) == ("content/groups/g.yaml", 4, len(field) + 5)
    assert error.message.startswith(f"invalid join.{field} '{value}':")
    assert words in error.message


def test_javascript_url_never_reaches_the_page(make_site):
    root = make_site(
        {"content/groups/g.yaml": "name: N\nsummary: S\njoin:\n  url: javascript:alert(1)\n"}
    )
    result = run_build(root, keep_going=True)
    assert result.published
    assert not (root / "public/groups/g").exists()
    assert "javascript:" not in read(root, "groups/index.html")


def test_bad_link_and_organizer_urls(make_site):
    root = make_site(
        {
            "content/groups/g.yaml": (
                "name: N\nsummary: S\nlinks:\n  Home: ftp://x.org/\n"
                "organizers:\n  - name: Ana\n    url: javascript:void(0)\n"
            )
        }
    )
    found = [
        (*where(p), p.message.split(":")[0])
        for p in run_build(root).problems
        if p.severity == "error"
    ]
    assert found == [
        ("content/groups/g.yaml", 4, 9, "invalid links.Home 'ftp"),
        ("content/groups/g.yaml", 7, 10, "invalid organizers[0].url 'javascript"),
    ]


@pytest.mark.parametrize(
    ("topics", "line", "column"),
    [("topics: 42", 3, 9), ("topics:\n  writing: yes", 4, 3), ("topics: writing", 3, 9)],
)
def test_wrong_type_for_topics(make_site, topics, line, column):
    error = group_error(make_site, f"name: N\nsummary: S\n{topics}\n")
    assert where(error) == ("content/groups/g.yaml", line, column)
    assert error.message.startswith("invalid topics")


@pytest.mark.parametrize("text", ["- name: N\n- summary: S\n", "just some text\n"])
def test_a_group_file_that_is_not_a_mapping(make_site, text):
    error = group_error(make_site, text)
    assert where(error) == ("content/groups/g.yaml", 1, 1)
    assert "a group file must be a mapping" in error.message


def test_an_empty_group_file_is_an_error(make_site):
    root = make_site({"content/groups/g.yaml": ""})
    result = run_build(root)
    assert not result.published
    found = [p for p in result.problems if p.severity == "error"]
    assert found
    assert {where(p) for p in found} == {("content/groups/g.yaml", 1, 1)}


def test_broken_yaml_in_a_group_file(make_site):
    error = group_error(make_site, 'name: N\nsummary: "S\nkind: peer-group\n')
    assert error.path == "content/groups/g.yaml"
    assert "quoted value is never closed" in error.message
    assert error.hint == "the quote opened on line 2 needs a matching quote"


def test_a_group_file_that_is_not_utf8(make_site):
    error = group_error(make_site, b"name: N\nsummary: Caf\xe9 group\n")
    assert where(error) == ("content/groups/g.yaml", 2, 13)
    assert "UTF-8" in error.message
    assert "0xe9" in error.message


def test_duplicate_field_in_a_group_file_is_a_warning(make_site):
    root = make_site({"content/groups/g.yaml": GROUP.format(name="First") + "name: Second\n"})
    result = run_build(root)
    assert errors(result) == []
    [warning] = [p for p in result.problems if "duplicate" in p.message]
    assert warning.severity == "warning"
    assert where(warning) == ("content/groups/g.yaml", 6, 1)
    assert "duplicate key 'name'" in warning.message
    assert "<h1>Second</h1>" in read(root, "groups/g/index.html")


def test_a_bad_group_is_left_out_and_the_others_are_built(make_site):
    root = make_site(
        {
            "content/groups/good.yaml": GROUP.format(name="Good Group"),
            "content/groups/bad.yaml": "name: Bad\nsumary: oops\n",
        }
    )
    result = run_build(root, keep_going=True)
    assert {p.path for p in result.problems if p.severity == "error"} == {"content/groups/bad.yaml"}
    assert result.published
    assert (root / "public/groups/good/index.html").is_file()
    assert not (root / "public/groups/bad").exists()
