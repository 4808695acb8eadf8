"""The site's configuration, ``site.yaml``: typed, validated, with the line of every mistake."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from hubgen.errors import Problem
from hubgen.schema import CONFIG, validate
from hubgen.yamlio import load_mapping, read_file

CONFIG_FILE = "site.yaml"
PLACEHOLDERS = frozenset({"year", "month", "day", "slug"})


def check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{name}' (use an IANA name such as Europe/Paris)"
        ) from None
    return name


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("base_url must be an absolute http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ValueError("base_url cannot have a query or fragment")
    return url if url.endswith("/") else url + "/"


def check_pattern(pattern: str) -> str:
    if not pattern.startswith("/"):
        raise ValueError("a permalink pattern must start with '/'")
    names = set(re.findall(r"{([^{}]*)}", pattern))
    unknown = names - PLACEHOLDERS
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{year}}, {{month}}, {{day}}, {{slug}}"
        )
    if "slug" not in names:
        raise ValueError("a permalink pattern must contain {slug}")
    if not (pattern.endswith("/") or pattern.endswith(".html")):
        raise ValueError("a permalink pattern must end with '/' or '.html'")
    return pattern


def check_site_link(link: str) -> str:
    parts = urlsplit(link)
    if not (link.startswith("/") and not link.startswith("//")) and not (
        parts.scheme in ("http", "https") and parts.netloc
    ):
        raise ValueError("expected a site path such as /favicon.png, or an http(s) URL")
    return link


TimeZone = Annotated[str, AfterValidator(check_timezone)]
Pattern = Annotated[str, AfterValidator(check_pattern)]


@dataclass(frozen=True)
class Permalinks:
    __pydantic_config__ = CONFIG
    post: Pattern = "/{year}/{month}/{slug}/"
    page: Pattern = "/{slug}/"
    tag: Pattern = "/tags/{slug}/"
    author: Pattern = "/authors/{slug}/"
    group: Pattern = "/groups/{slug}/"


@dataclass(frozen=True)
class MenuItem:
    __pydantic_config__ = CONFIG
    title: str
    url: str


@dataclass(frozen=True)
class MarkdownOptions:
    __pydantic_config__ = CONFIG
    raw_html_posts: bool = True
    raw_html_groups: bool = False


FEED_FORMATS = ("rss", "atom", "json")
FEED_KINDS = ("site", "tags", "authors", "groups", "directory")


@dataclass(frozen=True)
class FeedOptions:
    """Which feeds are written, in which formats, and how much each entry carries."""

    __pydantic_config__ = CONFIG
    formats: tuple[Literal[FEED_FORMATS], ...] = FEED_FORMATS  # type: ignore[valid-type]
    include: tuple[Literal[FEED_KINDS], ...] = FEED_KINDS  # type: ignore[valid-type]
    items: Annotated[int, Field(ge=1, le=1000)] = 20
    content: Literal["full", "summary"] = "full"
    # A site path or URL; default: the favicon the theme or site ships.
    icon: Annotated[str, AfterValidator(check_site_link)] | None = None


@dataclass(frozen=True)
class SiteConfig:
    """Everything ``site.yaml`` can say; every field has a default but ``title``."""

    __pydantic_config__ = CONFIG
    title: str
    description: str = ""
    base_url: Annotated[str, AfterValidator(check_base_url)] = "http://localhost:8000/"
    language: str = "en"
    timezone: TimeZone = "UTC"
    theme: str = "default"
    posts_per_page: Annotated[int, Field(ge=1, le=1000)] = 10
    permalinks: Permalinks = field(default_factory=Permalinks)
    menu: tuple[MenuItem, ...] = ()
    authors_file: str = "content/authors.yaml"
    markdown: MarkdownOptions = field(default_factory=MarkdownOptions)
    toc_min_headings: Annotated[int, Field(ge=1)] = 3
    feeds: FeedOptions = field(default_factory=FeedOptions)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always ending in '/': '/' or '/hub/'."""
        return urlsplit(self.base_url).path or "/"


@dataclass(frozen=True)
class LoadedConfig:
    config: SiteConfig
    theme_position: tuple[int, int]


def load_config(
    root: Path, overrides: dict[str, object] | None = None
) -> tuple[LoadedConfig | None, list[Problem]]:
    """Read and validate ``root/site.yaml``; ``overrides`` replace keys (e.g. --base-url)."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return None, [
            Problem(CONFIG_FILE, 0, 0, "no site.yaml here", "run 'hubgen init' to create a hub")
        ]
    raw, problems = read_file(path, CONFIG_FILE)
    return parse_config(raw, overrides) if raw is not None else (None, problems)


def parse_config(
    raw: bytes, overrides: dict[str, object] | None = None
) -> tuple[LoadedConfig | None, list[Problem]]:
    data, marks, problems = load_mapping(raw, CONFIG_FILE, "site.yaml")
    if data is None:
        return None, problems
    data = {**data, **(overrides or {})}
    config, errors = validate(SiteConfig, data, marks, CONFIG_FILE)
    if config is None:
        return None, problems + errors
    return LoadedConfig(config, marks.value(("theme",))), problems
