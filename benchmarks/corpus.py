"""A deterministic synthetic hub for the benchmarks, in hubgen's format and as a Hugo site.

``python benchmarks/corpus.py OUT_DIR --posts 10000 --groups 500`` writes

- ``OUT_DIR/hubgen``: ``site.yaml``, ``content/posts/*.md``, ``content/groups/*.yaml`` and
  ``content/authors.yaml``;
- ``OUT_DIR/hugo``: the same post files (byte for byte), ``config.yaml`` with the ``tags`` and
  ``authors`` taxonomies and RSS on the home page and on taxonomy terms, ``data/authors.yaml``, and a
  minimal theme in ``layouts/`` roughly equivalent to hubgen's post, tag and home pages;
- ``OUT_DIR/manifest.json``: the parameters and a few counts.

Everything comes from seeded ``random.Random`` instances (one per post, group, author list and tag
list), never from the clock, so the same arguments always give the same bytes. Post ``i`` does not
depend on the number of posts, so a smaller corpus is a prefix of a larger one (only the number of
groups a post can mention changes with ``--groups``).

:func:`write_pelican` converts the hubgen posts into a Pelican site, for the runner when Pelican is
installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_POSTS = 10_000
DEFAULT_GROUPS = 500
DEFAULT_SEED = 2026
AUTHOR_COUNT = 50
TAG_COUNT = 200
BASE_URL = "https://hub.example.org/"
SITE_TITLE = "Synthetic Peer Mentoring Hub"
SITE_DESCRIPTION = "A generated hub of peer-mentoring posts and groups, for benchmarks."
POSTS_PER_PAGE = 10
FEED_ITEMS = 20
FIRST_DAY = dt.date(2012, 1, 1)
LAST_DAY = dt.date(2026, 6, 30)  # every post is in the past, so neither tool leaves any out

# --- vocabulary -----------------------------------------------------------------------------------

DETERMINERS = ("the", "a", "every", "each", "our", "their", "this", "one", "another", "that")
ADJECTIVES = (
    "small", "quiet", "steady", "honest", "careful", "weekly", "shared", "early", "practical",
    "open", "new", "clear", "patient", "difficult", "useful", "regular", "informal", "written",
    "short", "long", "first", "final", "public", "private", "generous", "busy", "remote", "local",
    "senior", "junior", "complete", "rough", "simple", "strong", "fragile", "hopeful", "tired",
    "curious", "formal", "monthly", "visible", "reliable", "awkward", "gentle", "specific",
)  # fmt: skip
NOUNS = (
    "group", "mentor", "peer", "meeting", "goal", "grant", "draft", "circle", "member", "session",
    "review", "plan", "question", "habit", "chapter", "proposal", "schedule", "community",
    "practice", "deadline", "career", "network", "workshop", "notebook", "dataset", "manuscript",
    "promotion", "agenda", "timer", "commitment", "template", "facilitator", "conversation",
    "budget", "semester", "colleague", "student", "program", "outline", "paper", "talk", "lesson",
    "problem", "story", "record", "decision", "rule", "round", "week", "month", "tracker",
    "summary", "invitation", "calendar", "feedback", "experiment", "milestone", "routine",
)  # fmt: skip
VERBS = (
    "shapes", "supports", "reviews", "builds", "keeps", "tracks", "changes", "shares", "writes",
    "opens", "follows", "names", "tests", "improves", "explains", "protects", "needs", "finds",
    "starts", "ends", "moves", "asks", "answers", "closes", "helps", "slows", "welcomes", "sets",
    "records", "plans", "skips", "repeats", "measures", "describes", "invites", "remembers",
)  # fmt: skip
ADVERBS = (
    "often", "quietly", "usually", "rarely", "gently", "carefully", "together", "again", "slowly",
    "early", "honestly", "sometimes", "always", "mostly", "finally", "openly",
)  # fmt: skip
PREPOSITIONS = (
    "with", "for", "about", "after", "before", "during", "between", "across", "without",
    "through", "into", "over", "under", "beside", "around",
)  # fmt: skip
CONJUNCTIONS = ("and", "but", "so", "because", "while", "although", "until", "when")
TECH_TAGS = (
    "Python", "R", "SQL", "Git", "Jupyter", "Docker", "LaTeX", "HPC", "Linux", "Bash", "Zotero",
    "Markdown", "pandas", "ggplot2", "GitHub", "Slack", "Zoom", "Excel", "YAML", "JavaScript",
)  # fmt: skip
TOPICS = (
    "grant writing", "career development", "academic medicine", "data science", "leadership",
    "accountability", "writing", "job market", "teaching", "research software", "open science",
    "public health", "nursing education", "engineering", "first-generation students",
    "statistics", "clinical research", "management", "parenting in academia", "fellowships",
    "promotion and tenure", "peer review", "mental health", "entrepreneurship", "policy",
    "community building", "mentoring skills", "negotiation", "public speaking", "time management",
    "remote work", "open source", "ecology", "bioinformatics", "humanities", "law", "design",
    "product management", "machine learning", "education research",
)  # fmt: skip
FIRST_NAMES = (
    "Maya", "Priya", "Tomas", "Amara", "Kenji", "Lucia", "Omar", "Hannah", "Diego", "Fatima",
    "Noah", "Ingrid", "Kwame", "Mei", "Rafael", "Sofia", "Arjun", "Chloe", "Emeka", "Yuki",
    "Leila", "Mateo", "Nadia", "Samuel", "Zara", "Ivan", "Aisha", "Lars", "Paula", "Tariq",
)  # fmt: skip
LAST_NAMES = (
    "Chen", "Raman", "Lindqvist", "Okafor", "Tanaka", "Fernandez", "Haddad", "Schmidt", "Morales",
    "Diallo", "Kowalski", "Nguyen", "Mensah", "Silva", "Rossi", "Novak", "Gupta", "Dubois",
    "Adeyemi", "Sato", "Karimi", "Herrera", "Petrova", "Olsen", "Ibrahim", "Costa", "Murphy",
)  # fmt: skip
GROUP_NOUNS = (
    "Circle", "Peer Group", "Collective", "Lab", "Pod", "Network", "Sprint", "Commons",
    "Mentoring Program", "Writing Group", "Council", "Exchange",
)  # fmt: skip
AUDIENCES = (
    "early-career researchers", "graduate students", "new managers", "women faculty",
    "clinician-scientists", "research software engineers", "nurse educators", "postdocs",
    "first-generation students", "data scientists", "community organizers", "librarians",
)  # fmt: skip
GROUND_RULES = (
    "We meet consistently; if you cannot come, tell the group in advance.",
    "What is said in the group stays in the group.",
    "Each of us names one goal per meeting and reports on it at the next.",
    "Review the work, not the person.",
    "Cameras are optional; kindness is not.",
    "We start and end on time.",
    "Everyone speaks before anyone speaks twice.",
    "Advice is offered, never imposed.",
    "We share credit generously and publicly.",
    "Drafts are welcome at any stage.",
)
# (city, region, country, IANA time zone)
PLACES = (
    ("Denver", "Colorado", "United States", "America/Denver"),
    ("Boston", "Massachusetts", "United States", "America/New_York"),
    ("Seattle", "Washington", "United States", "America/Los_Angeles"),
    ("Chicago", "Illinois", "United States", "America/Chicago"),
    ("Toronto", "Ontario", "Canada", "America/Toronto"),
    ("Vancouver", "British Columbia", "Canada", "America/Vancouver"),
    ("Mexico City", "CDMX", "Mexico", "America/Mexico_City"),
    ("Bogotá", "Cundinamarca", "Colombia", "America/Bogota"),
    ("Lima", "Lima", "Peru", "America/Lima"),
    ("São Paulo", "São Paulo", "Brazil", "America/Sao_Paulo"),
    ("Buenos Aires", "Buenos Aires", "Argentina", "America/Argentina/Buenos_Aires"),
    ("London", "England", "United Kingdom", "Europe/London"),
    ("Manchester", "England", "United Kingdom", "Europe/London"),
    ("Edinburgh", "Scotland", "United Kingdom", "Europe/London"),
    ("Dublin", "Leinster", "Ireland", "Europe/Dublin"),
    ("Paris", "Île-de-France", "France", "Europe/Paris"),
    ("Berlin", "Berlin", "Germany", "Europe/Berlin"),
    ("Madrid", "Madrid", "Spain", "Europe/Madrid"),
    ("Stockholm", "Stockholm", "Sweden", "Europe/Stockholm"),
    ("Warsaw", "Masovia", "Poland", "Europe/Warsaw"),
    ("Lagos", "Lagos", "Nigeria", "Africa/Lagos"),
    ("Nairobi", "Nairobi", "Kenya", "Africa/Nairobi"),
    ("Accra", "Greater Accra", "Ghana", "Africa/Accra"),
    ("Cape Town", "Western Cape", "South Africa", "Africa/Johannesburg"),
    ("Cairo", "Cairo", "Egypt", "Africa/Cairo"),
    ("Bengaluru", "Karnataka", "India", "Asia/Kolkata"),
    ("Dhaka", "Dhaka", "Bangladesh", "Asia/Dhaka"),
    ("Singapore", "Singapore", "Singapore", "Asia/Singapore"),
    ("Manila", "Metro Manila", "Philippines", "Asia/Manila"),
    ("Tokyo", "Tokyo", "Japan", "Asia/Tokyo"),
    ("Seoul", "Seoul", "South Korea", "Asia/Seoul"),
    ("Melbourne", "Victoria", "Australia", "Australia/Melbourne"),
    ("Auckland", "Auckland", "New Zealand", "Pacific/Auckland"),
)
KINDS = ("peer-group", "formal-program", "grant-training", "ad-hoc", "online-community")
FORMATS = ("online", "in-person", "hybrid")
STATUSES = ("open", "full", "paused", "retired")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CADENCES = ("weekly", "every 2 weeks", "every 3 weeks", "every 4 weeks", "monthly")
CODE_LANGUAGES = ("python", "yaml", "bash", "javascript", "r", "sql")

# Parts of speech for sentence patterns: D determiner, A adjective, N noun, V verb, R adverb,
# P preposition, C conjunction.
SENTENCE_PATTERNS = (
    "D A N V D N P D N",
    "D N R V D A N",
    "P D A N D N V D N C D N V R",
    "D N V D N P D A N C D A N V D N",
    "D A N P D N V D N",
    "R D N V D A N P D N",
    "D N P D N V D A N C V D N P D N",
    "D N V R",
)
TITLE_PATTERNS = (
    "How {D} {A} {N} {V} {D} {N}",
    "The {A} {N} and the {N}",
    "What {D} {N} taught us about {N}s",
    "{A} {N}s for {A} {N}s",
    "When {D} {N} {V} {D} {N}",
    "Notes on {A} {N}s",
    "Why {D} {A} {N} {V} {N}s",
)
WORD_SOURCES: dict[str, Sequence[str]] = {
    "D": DETERMINERS,
    "A": ADJECTIVES,
    "N": NOUNS,
    "V": VERBS,
    "R": ADVERBS,
    "P": PREPOSITIONS,
    "C": CONJUNCTIONS,
}


def slugify(text: str) -> str:
    """The slug hubgen gives a name (same rule as ``hubgen.content.slugify``)."""
    return re.sub(r"[^\w]+", "-", text.lower().replace("_", "-")).strip("-") or "item"


def ascii_slug(text: str) -> str:
    """A slug for host names and email addresses: ASCII letters, digits and '-'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "group"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, like a person would write them."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


# --- prose ----------------------------------------------------------------------------------------


def _fix_articles(words: list[str]) -> list[str]:
    for i in range(len(words) - 1):
        if words[i].lower() == "a" and words[i + 1][:1].lower() in "aeiou":
            words[i] = "An" if words[i] == "A" else "an"
    return words


def sentence(rng: random.Random, decorate: bool = True) -> str:
    """One sentence of English-ish prose, sometimes with emphasis, inline code or a link."""
    pattern = rng.choice(SENTENCE_PATTERNS).split()
    words = [rng.choice(WORD_SOURCES[kind]) for kind in pattern]
    words = _fix_articles(words)
    if decorate and len(words) > 4:
        roll = rng.random()
        i = rng.randrange(1, len(words) - 2)
        if roll < 0.12:
            words[i] = f"**{words[i]}**"
        elif roll < 0.20:
            words[i] = f"*{words[i]}*"
        elif roll < 0.25:
            words[i] = f"`{words[i]}`"
        elif roll < 0.35:
            href = f"https://example.org/{rng.choice(NOUNS)}s/{rng.choice(NOUNS)}-{rng.randrange(1, 999)}"
            words[i] = f"[{words[i]} {words[i + 1]}]({href})"
            del words[i + 1]
    text = " ".join(words)
    end = "?" if rng.random() < 0.06 else "."
    return text[0].upper() + text[1:] + end


def paragraph(rng: random.Random, low: int = 3, high: int = 6) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(low, high)))


def phrase(rng: random.Random, pattern: str) -> str:
    """A title-cased phrase from a pattern such as ``"The {A} {N} and the {N}"``."""
    words = re.sub(r"{([A-Z])}", lambda m: rng.choice(WORD_SOURCES[m[1]]), pattern).split()
    words = _fix_articles(words)
    small = {"a", "an", "the", "and", "of", "for", "on", "about", "with", "us"}
    return " ".join(w if (i and w in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def heading(rng: random.Random) -> str:
    return phrase(rng, rng.choice(("{A} {N}s", "{D} {N} {P} {D} {N}", "The {A} {N}", "{N}s {V}")))


def bullet_list(rng: random.Random) -> str:
    ordered = rng.random() < 0.35
    items = []
    for n in range(1, rng.randint(3, 6) + 1):
        marker = f"{n}." if ordered else "-"
        items.append(f"{marker} {sentence(rng)}")
    return "\n".join(items)


def table(rng: random.Random) -> str:
    columns = rng.sample(NOUNS, rng.randint(3, 4))
    header = "| " + " | ".join(c.capitalize() for c in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    rows = []
    for _ in range(rng.randint(3, 6)):
        cells = [rng.choice(ADJECTIVES) + " " + rng.choice(NOUNS)]
        cells += [str(rng.randint(1, 120)) if rng.random() < 0.5 else rng.choice(ADVERBS)]
        cells += [rng.choice(VERBS) + " " + rng.choice(NOUNS) for _ in columns[2:]]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *rows])


def _ident(rng: random.Random) -> str:
    return f"{rng.choice(ADJECTIVES)}_{rng.choice(NOUNS)}"


def code_block(rng: random.Random) -> str:
    """A fenced code block with a language, 6–20 lines of plausible code."""
    language = rng.choice(CODE_LANGUAGES)
    a, b, c = _ident(rng), _ident(rng), rng.choice(NOUNS)
    n = rng.randint(2, 60)
    snippets: dict[str, list[str]] = {
        "python": [
            f"def {rng.choice(VERBS)}_{c}s({a}, limit={n}):",
            f'    """{sentence(rng, decorate=False)}"""',
            "    result = []",
            f"    for item in {a}:",
            f"        if item.{b} and len(result) < limit:",
            f"            result.append(item.{c})",
            "    return sorted(result)",
            "",
            f"{b} = {rng.choice(VERBS)}_{c}s(load('{c}s.csv'))",
            f"print(f'{{len({b})}} {c}s')",
        ],
        "yaml": [
            f"{c}:",
            f"  name: {phrase(rng, '{A} {N}')}",
            f"  cadence: every {rng.randint(2, 4)} weeks",
            "  members:",
            f"    - {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            f"    - {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            f"  limit: {n}",
            f'  notes: "{sentence(rng, decorate=False)}"',
        ],
        "bash": [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            f"for f in {c}s/*.md; do",
            f'  grep -c "{rng.choice(NOUNS)}" "$f" >> {a}.txt',
            "done",
            f"sort -n {a}.txt | tail -n {n}",
            f"echo 'done: {sentence(rng, decorate=False)}'",
        ],
        "javascript": [
            f"function {a}({c}s) {{",
            f"  const {b} = {c}s.filter((x) => x.{rng.choice(ADJECTIVES)});",
            f"  if ({b}.length > {n}) {{",
            f'    console.log("{sentence(rng, decorate=False)}");',
            "  }",
            f"  return {b}.map((x) => x.{rng.choice(NOUNS)});",
            "}",
        ],
        "r": [
            f'{a} <- read.csv("{c}s.csv")',
            f"{b} <- subset({a}, {rng.choice(NOUNS)} > {n})",
            f"summary({b}${rng.choice(NOUNS)})",
            f"# {sentence(rng, decorate=False)}",
            f"plot({b}${c}, {b}${rng.choice(NOUNS)}, main = '{phrase(rng, '{A} {N}s')}')",
        ],
        "sql": [
            f"SELECT {c}, COUNT(*) AS {b}",
            f"FROM {a}",
            f"WHERE {rng.choice(NOUNS)} > {n}",
            f"  AND {rng.choice(NOUNS)} = '{rng.choice(ADJECTIVES)}'",
            f"GROUP BY {c}",
            f"ORDER BY {b} DESC",
            f"LIMIT {rng.randint(5, 50)};",
        ],
    }
    lines = snippets[language]
    if rng.random() < 0.5:
        lines = [*lines, "", *lines]  # a longer block now and then
    return f"```{language}\n" + "\n".join(lines) + "\n```"


def words_in(markdown: str) -> int:
    return len(markdown.split())


def post_body(rng: random.Random) -> str:
    """600–1,200 words: a summary paragraph, ``<!--more-->``, ``##`` sections with lists, maybe a
    ``###``, a table in some posts and a fenced code block with a language in others."""
    target = rng.randint(600, 1200)
    blocks = [paragraph(rng, 2, 4), "<!--more-->"]
    words = words_in(blocks[0])
    sections = rng.randint(3, 6)
    extras: list[Callable[[random.Random], str]] = []
    if rng.random() < 0.35:
        extras.append(code_block)
    if rng.random() < 0.3:
        extras.append(table)
    if rng.random() < 0.5:
        extras.append(bullet_list)
    for s in range(sections):
        blocks.append(f"## {heading(rng)}")
        per_section = (target - words) // (sections - s)
        section_words = 0
        while section_words < per_section:
            if extras and rng.random() < 0.3:
                block = extras.pop(rng.randrange(len(extras)))(rng)
            elif rng.random() < 0.12:
                block = bullet_list(rng)
            elif rng.random() < 0.06:
                block = f"### {heading(rng)}"
            elif rng.random() < 0.04:
                block = "> " + sentence(rng)
            else:
                block = paragraph(rng)
            blocks.append(block)
            if not block.startswith("```"):
                section_words += words_in(block)
        words += section_words
    blocks.extend(extra(rng) for extra in extras)
    return "\n\n".join(blocks) + "\n"


# --- the hub's records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    slug: str
    name: str


@dataclass(frozen=True)
class Post:
    filename: str
    slug: str
    date: dt.date
    text: str  # front matter and body


def make_authors(seed: int) -> list[Author]:
    rng = random.Random(f"{seed}:authors")
    pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    chosen = rng.sample(pairs, AUTHOR_COUNT)
    return [Author(slugify(f"{f} {last}"), f"{f} {last}") for f, last in chosen]


def authors_yaml(authors: Sequence[Author], seed: int) -> str:
    rng = random.Random(f"{seed}:author-bios")
    profiles: dict[str, Any] = {}
    for author in authors:
        profile: dict[str, Any] = {
            "name": ("Dr. " if rng.random() < 0.3 else "") + author.name,
            "bio": " ".join(sentence(rng, decorate=False) for _ in range(2)),
        }
        if rng.random() < 0.6:
            profile["links"] = {"Website": f"https://{author.slug}.example.com/"}
        profiles[author.slug] = profile
    return dump_yaml(profiles)


def make_tags(seed: int) -> list[str]:
    """~200 tags with one canonical spelling each: mixed case, one or two words."""
    rng = random.Random(f"{seed}:tags")
    names = list(TECH_TAGS) + list(TOPICS)
    seen = {slugify(n) for n in names}
    while len(names) < TAG_COUNT:
        words = [rng.choice(ADJECTIVES + NOUNS)] if rng.random() < 0.3 else []
        words.append(rng.choice(NOUNS) + ("s" if rng.random() < 0.4 else ""))
        name = " ".join(words)
        if slugify(name) in seen:
            continue
        seen.add(slugify(name))
        names.append(name.title() if rng.random() < 0.4 else name)
    rng.shuffle(names)  # popularity (below) is by position
    return names


def _variant(rng: random.Random, tag: str) -> str:
    """Now and then the same tag spelt differently: both tools treat it as one tag."""
    if rng.random() >= 0.1:
        return tag
    return rng.choice((tag.lower(), tag.title(), tag.upper() if len(tag) <= 6 else tag.lower()))


def make_post(
    index: int,
    seed: int,
    tags: Sequence[str],
    tag_weights: Sequence[float],
    authors: Sequence[Author],
    group_slugs: Sequence[str],
) -> Post:
    rng = random.Random(f"{seed}:post:{index}")
    title = phrase(rng, rng.choice(TITLE_PATTERNS))
    slug = f"{slugify(title)}-{index:05d}"
    date = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    chosen: dict[str, str] = {}
    wanted = rng.randint(1, 5)
    while len(chosen) < wanted:
        tag = rng.choices(tags, tag_weights)[0]
        chosen.setdefault(slugify(tag), _variant(rng, tag))
    by = rng.sample(list(authors), 2 if rng.random() < 0.2 else 1)
    lines = [
        "---",
        f"title: {q(title)}",
        f"date: {date.isoformat()}",
        f"slug: {slug}",
        "tags: [" + ", ".join(q(t) for t in chosen.values()) + "]",
        "authors: [" + ", ".join(a.slug for a in by) + "]",
    ]
    if group_slugs and rng.random() < 0.15:
        about = rng.sample(list(group_slugs), min(len(group_slugs), rng.randint(1, 2)))
        lines.append("groups: [" + ", ".join(about) + "]")
    lines.append("---")
    text = "\n".join(lines) + "\n\n" + post_body(rng)
    return Post(f"{date.isoformat()}-{slug}.md", slug, date, text)


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def make_group(index: int, seed: int, taken: set[str]) -> tuple[str, dict[str, Any]]:
    """One group in hubgen's schema, valid by construction (``starts`` falls on ``weekday``)."""
    rng = random.Random(f"{seed}:group:{index}")
    city, region, country, timezone = rng.choice(PLACES)
    topics = rng.sample(TOPICS, rng.randint(1, 4))
    form = rng.choice(FORMATS)
    prefix = "Global" if form == "online" and rng.random() < 0.5 else city
    name = f"{prefix} {topics[0].title()} {rng.choice(GROUP_NOUNS)}"
    slug, n = slugify(name), 2
    while slug in taken:
        slug, n = f"{slugify(name)}-{n}", n + 1
    taken.add(slug)
    host = ascii_slug(slug)
    weekday = rng.randrange(7)
    founded = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(12 * 365))
    starts = _weekday_on_or_after(founded + dt.timedelta(days=rng.randrange(60)), weekday)
    capacity = rng.randint(6, 30)
    status = rng.choice(STATUSES)
    group: dict[str, Any] = {
        "name": name,
        "summary": sentence(rng, decorate=False) + " " + sentence(rng, decorate=False),
        "kind": rng.choice(KINDS),
        "format": form,
        "status": status,
        "topics": topics,
        "audience": rng.sample(AUDIENCES, rng.randint(1, 2)),
        "location": {"city": city, "region": region, "country": country}
        if form != "online"
        else {"country": country},
        "timezone": timezone,
        "meetings": {
            "cadence": rng.choice(CADENCES),
            "weekday": WEEKDAYS[weekday],
            "time": f"{rng.randint(7, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}",
            "duration": rng.choice((45, 60, 90, 120)),
            "starts": starts,
        },
        "size": capacity if status == "full" else rng.randint(1, capacity),
        "capacity": capacity,
        "join": (
            {"url": f"https://{host}.example.org/join"}
            if rng.random() < 0.5
            else {"email": f"{host[:30].strip('-')}@example.org"}
        )
        | {"instructions": sentence(rng, decorate=False)},
        "organizers": [
            {"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"}
            | ({"url": f"https://people.example.org/{index}-{i}"} if rng.random() < 0.5 else {})
            for i in range(rng.randint(1, 3))
        ],
        "founded": founded,
        "ground_rules": rng.sample(GROUND_RULES, rng.randint(2, 4)),
        "description": "\n\n".join(paragraph(rng) for _ in range(rng.randint(1, 3))) + "\n",
    }
    if rng.random() < 0.4:
        group["links"] = {"Shared notes": f"https://{host}.example.org/notes"}
    anniversaries = [starts + dt.timedelta(days=364 * k) for k in range(1, 4)]
    anniversaries = [day for day in anniversaries if day <= LAST_DAY]
    if anniversaries and rng.random() < 0.4:
        group["milestones"] = [
            {"date": day, "text": sentence(rng, decorate=False)}
            for day in anniversaries[: rng.randint(1, len(anniversaries))]
        ]
    return slug, group


# --- writing the two sites ------------------------------------------------------------------------

HUBGEN_SITE = f"""\
title: {q(SITE_TITLE)}
description: {q(SITE_DESCRIPTION)}
base_url: {BASE_URL}
language: en
timezone: UTC
posts_per_page: {POSTS_PER_PAGE}
toc_min_headings: 3
"""

HUGO_CONFIG = f"""\
baseURL: {BASE_URL}
languageCode: en
title: {q(SITE_TITLE)}
params:
  description: {q(SITE_DESCRIPTION)}
paginate: {POSTS_PER_PAGE}
rssLimit: {FEED_ITEMS}
timeZone: UTC
enableRobotsTXT: false
taxonomies:
  tag: tags
  author: authors
permalinks:
  posts: /:year/:month/:slug/
outputs:
  home: [HTML, RSS]
  section: [HTML]
  taxonomy: [HTML]
  term: [HTML, RSS]
  page: [HTML]
markup:
  goldmark:
    renderer:
      unsafe: true
  highlight:
    noClasses: false
  tableOfContents:
    startLevel: 2
    endLevel: 3
menu:
  main:
    - {{name: Blog, url: /, weight: 1}}
    - {{name: Tags, url: /tags/, weight: 2}}
    - {{name: Authors, url: /authors/, weight: 3}}
    - {{name: Archive, url: /posts/, weight: 4}}
"""

HUGO_BASEOF = """\
<!doctype html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} — {{ site.Title }}{{ end }}</title>
{{ $description := cond .IsPage (.Summary | plainify) site.Params.description }}
<meta name="description" content="{{ $description }}">
<link rel="canonical" href="{{ .Permalink }}">
<link rel="stylesheet" href="{{ "css/style.css" | relURL }}">
{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .Permalink }}">
{{ end }}<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:description" content="{{ $description }}">
<meta property="og:url" content="{{ .Permalink }}">
<meta property="og:type" content="{{ if .IsPage }}article{{ else }}website{{ end }}">
{{ if .IsPage }}<meta property="article:published_time" content="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">
{{ range .Params.tags }}<meta property="article:tag" content="{{ . }}">
{{ end }}{{ end }}</head>
<body class="page-{{ .Kind }}">
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
  <a class="site-title" href="{{ "/" | relURL }}">{{ site.Title }}</a>
  <nav class="site-nav" aria-label="Main"><ul>
  {{ range site.Menus.main }}<li><a href="{{ .URL | relURL }}">{{ .Name }}</a></li>
  {{ end }}</ul></nav>
</header>
<main id="main">
{{ block "main" . }}{{ end }}
</main>
<footer class="site-footer">
  <p><a href="{{ "/" | relURL }}">{{ site.Title }}</a></p>
  <p>{{ site.Params.description }}</p>
  <p>Built with Hugo.</p>
</footer>
</body>
</html>
"""

HUGO_SINGLE = """\
{{ define "main" }}
<article class="post">
  <header class="post-header">
    <h1>{{ .Title }}</h1>
    {{ partial "meta.html" . }}
    {{ partial "tags.html" . }}
  </header>
  {{ .TableOfContents }}
  <div class="prose">
{{ .Content }}
  </div>
</article>
{{ if or .NextInSection .PrevInSection }}
<nav class="post-nav" aria-label="Newer and older posts"><ul>
  {{ with .NextInSection }}<li><a href="{{ .RelPermalink }}" rel="prev">Newer post {{ .Title }}</a></li>{{ end }}
  {{ with .PrevInSection }}<li><a href="{{ .RelPermalink }}" rel="next">Older post {{ .Title }}</a></li>{{ end }}
</ul></nav>
{{ end }}
{{ end }}
"""

HUGO_LIST = """\
{{ define "main" }}
{{ if .IsSection }}
<h1>Archive</h1>
{{ range .Pages.GroupByDate "2006" }}
<h2>{{ .Key }}</h2>
<ul class="post-list">
  {{ range .Pages }}<li><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time> <a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
  {{ end }}
</ul>
{{ end }}
{{ else }}
{{ $pages := cond .IsHome site.RegularPages .Pages }}
{{ $pager := .Paginate $pages }}
<div class="page-header">
  {{ if .IsHome }}<h1>{{ site.Title }}</h1>
  {{ else if eq .Data.Singular "author" }}<h1>Posts by {{ with index site.Data.authors .Title }}{{ .name }}{{ else }}{{ .Title }}{{ end }}</h1>
  {{ else }}<h1>Posts tagged “{{ .Title }}”</h1>{{ end }}
  <p class="lead">{{ len $pages }} posts{{ if gt $pager.TotalPages 1 }} · page {{ $pager.PageNumber }} of {{ $pager.TotalPages }}{{ end }}</p>
</div>
<div class="post-summaries">
{{ range $pager.Pages }}
<article class="post-summary">
  <h2 class="post-summary-title"><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
  {{ partial "meta.html" . }}
  <p class="post-summary-text">{{ .Summary | plainify }}</p>
  {{ partial "tags.html" . }}
</article>
{{ end }}
</div>
{{ if gt $pager.TotalPages 1 }}
{{/* First, last, and the pages within 2 of this one: the same links as hubgen's theme. */}}
{{ $n := $pager.PageNumber }}{{ $total := $pager.TotalPages }}{{ $base := .RelPermalink }}
{{ $lo := cond (gt $n 4) (sub $n 2) 2 }}{{ $hi := cond (lt (add $n 2) $total) (add $n 2) (sub $total 1) }}
<nav class="pagination" aria-label="Pagination"><ul>
  {{ with $pager.Prev }}<li><a href="{{ .URL }}" rel="prev">← Newer posts</a></li>{{ end }}
  <li><a href="{{ $base }}"{{ if eq $n 1 }} aria-current="page"{{ end }}>1</a></li>
  {{ if gt $lo 2 }}<li aria-hidden="true">…</li>{{ end }}
  {{ if le $lo $hi }}{{ range seq $lo $hi }}<li><a href="{{ printf "%spage/%d/" $base . }}"{{ if eq . $n }} aria-current="page"{{ end }}>{{ . }}</a></li>
  {{ end }}{{ end }}
  {{ if lt $hi (sub $total 1) }}<li aria-hidden="true">…</li>{{ end }}
  <li><a href="{{ printf "%spage/%d/" $base $total }}"{{ if eq $n $total }} aria-current="page"{{ end }}>{{ $total }}</a></li>
  {{ with $pager.Next }}<li><a href="{{ .URL }}" rel="next">Older posts →</a></li>{{ end }}
</ul></nav>
{{ end }}
{{ end }}
{{ end }}
"""

HUGO_TERMS = """\
{{ define "main" }}
<div class="page-header">
  <h1>{{ .Title }}</h1>
  <p class="lead">{{ len .Data.Terms }} {{ .Data.Plural }}.</p>
</div>
<ul class="tag-index">
{{ range .Data.Terms.Alphabetical }}<li><a class="tag" href="{{ .Page.RelPermalink }}">{{ .Page.Title }} <span class="count">{{ .Count }}</span></a></li>
{{ end }}</ul>
{{ end }}
"""

HUGO_META = """\
<p class="meta">
  <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
  {{ with .Params.authors }}<span>by {{ range $i, $slug := . }}{{ if $i }}, {{ end }}<a href="{{ printf "/authors/%s/" ($slug | urlize) | relURL }}">{{ with index site.Data.authors $slug }}{{ .name }}{{ else }}{{ $slug }}{{ end }}</a>{{ end }}</span>{{ end }}
  <span>{{ .ReadingTime }} min read</span>
</p>
"""

# .GetTerms is slow in Hugo 0.111 (0.75 ms a call at 10,000 posts): link the terms by URL instead.
HUGO_TAGS = """\
{{ with .Params.tags }}<ul class="tag-list">
  {{ range . }}<li><a class="tag" href="{{ printf "/tags/%s/" (urlize .) | relURL }}">{{ . }}</a></li>
  {{ end }}</ul>{{ end }}
"""

HUGO_CSS = "body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 0 auto; }\n"

PELICAN_CONFIG = f"""\
AUTHOR = "Synthetic Hub"
SITENAME = {SITE_TITLE!r}
SITEURL = ""
FEED_DOMAIN = {BASE_URL.rstrip("/")!r}
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = {POSTS_PER_PAGE}
ARTICLE_URL = "{{date:%Y}}/{{date:%m}}/{{slug}}/"
ARTICLE_SAVE_AS = "{{date:%Y}}/{{date:%m}}/{{slug}}/index.html"
TAG_URL = "tags/{{slug}}/"
TAG_SAVE_AS = "tags/{{slug}}/index.html"
AUTHOR_URL = "authors/{{slug}}/"
AUTHOR_SAVE_AS = "authors/{{slug}}/index.html"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_ALL_RSS = "index.xml"
TAG_FEED_RSS = "tags/{{slug}}/index.xml"
FEED_MAX_ITEMS = {FEED_ITEMS}
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_hugo_theme(site: Path) -> None:
    layouts = site / "layouts"
    _write(site / "config.yaml", HUGO_CONFIG)
    _write(layouts / "_default/baseof.html", HUGO_BASEOF)
    _write(layouts / "_default/single.html", HUGO_SINGLE)
    _write(layouts / "_default/list.html", HUGO_LIST)
    _write(layouts / "_default/terms.html", HUGO_TERMS)
    _write(layouts / "partials/meta.html", HUGO_META)
    _write(layouts / "partials/tags.html", HUGO_TAGS)
    _write(site / "static/css/style.css", HUGO_CSS)


def generate(
    out: Path, posts: int = DEFAULT_POSTS, groups: int = DEFAULT_GROUPS, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """Write ``out/hubgen``, ``out/hugo`` and ``out/manifest.json``; return the manifest."""
    hub, hugo = out / "hubgen", out / "hugo"
    for site in (hub, hugo):
        if site.exists():
            shutil.rmtree(site)
    authors = make_authors(seed)
    tags = make_tags(seed)
    tag_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(tags))]

    taken: set[str] = set()
    group_slugs = []
    for index in range(groups):
        slug, group = make_group(index, seed, taken)
        group_slugs.append(slug)
        text = dump_yaml(group)
        _write(hub / "content/groups" / f"{slug}.yaml", text)

    profiles = authors_yaml(authors, seed)
    _write(hub / "content/authors.yaml", profiles)
    _write(hugo / "data/authors.yaml", profiles)
    _write(hub / "site.yaml", HUBGEN_SITE)
    write_hugo_theme(hugo)

    total_words = code_blocks = tables = 0
    for index in range(posts):
        post = make_post(index, seed, tags, tag_weights, authors, group_slugs)
        _write(hub / "content/posts" / post.filename, post.text)
        _write(hugo / "content/posts" / post.filename, post.text)
        body = post.text.split("\n---\n", 1)[1]
        total_words += words_in(body)
        code_blocks += body.count("\n```") // 2
        tables += body.count("\n|---")
    manifest: dict[str, Any] = {
        "posts": posts,
        "groups": groups,
        "seed": seed,
        "authors": len(authors),
        "tags": len(tags),
        "words": total_words,
        "words_per_post": round(total_words / posts) if posts else 0,
        "code_blocks": code_blocks,
        "tables": tables,
    }
    _write(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def write_pelican(hub: Path, dest: Path) -> None:
    """The hubgen posts of ``hub`` as a Pelican site in ``dest`` (metadata lines, same bodies)."""
    if dest.exists():
        shutil.rmtree(dest)
    _write(dest / "pelicanconf.py", PELICAN_CONFIG)
    for source in sorted((hub / "content/posts").glob("*.md")):
        _, front, body = source.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front)
        header = [
            f"Title: {meta['title']}",
            f"Date: {meta['date']}",
            f"Slug: {meta['slug']}",
            "Tags: " + ", ".join(meta["tags"]),
            "Authors: " + ", ".join(meta["authors"]),
        ]
        _write(dest / "content" / source.name, "\n".join(header) + "\n" + body)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="writes OUT/hubgen, OUT/hugo and OUT/manifest.json")
    parser.add_argument("--posts", type=int, default=DEFAULT_POSTS, help="number of posts")
    parser.add_argument("--groups", type=int, default=DEFAULT_GROUPS, help="number of groups")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.posts, args.groups, args.seed)
    print(json.dumps(manifest), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
