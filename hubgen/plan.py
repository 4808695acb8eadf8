"""Step 3, plan: every page the site has, as a render job; two jobs with one URL is an error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hubgen.errors import Problems
from hubgen.groupspec import KIND_LABELS, KINDS
from hubgen.models import Post
from hubgen.routes import expand, url
from hubgen.site import Site

T = TypeVar("T")


@dataclass(frozen=True)
class Paginator:
    number: int
    total: int
    prev_url: str | None
    next_url: str | None
    pages: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class RenderJob:
    """One output file: where it goes, which template renders it, and with what."""

    path: str  # site path without base_url's path, e.g. '/2025/03/first-meeting/'
    template: str
    kind: str
    source: str  # the file (or collection) this page comes from, for messages
    title: str
    description: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    lastmod: dt.datetime | None = None
    in_sitemap: bool = True


def paginate(
    items: Sequence[T], per_page: int, first: str, site: Site
) -> Iterator[tuple[str, Sequence[T], Paginator]]:
    """Pages of items: the first at ``first``, then ``first + 'page/N/'``."""
    total = max(1, -(-len(items) // per_page))
    paths = [first if n == 1 else f"{first}page/{n}/" for n in range(1, total + 1)]
    urls = [url(site.config, p) for p in paths]
    for n in range(1, total + 1):
        paginator = Paginator(
            number=n,
            total=total,
            prev_url=urls[n - 2] if n > 1 else None,
            next_url=urls[n] if n < total else None,
            pages=tuple(zip(range(1, total + 1), urls, strict=True)),
        )
        yield paths[n - 1], items[(n - 1) * per_page : n * per_page], paginator


def _latest(posts: Sequence[Post]) -> dt.datetime | None:
    return max((p.updated or p.date for p in posts), default=None)


def plan(site: Site, problems: Problems) -> list[RenderJob]:
    """All render jobs of the site, in a stable order."""
    config = site.config
    per_page = config.posts_per_page
    jobs: list[RenderJob] = []

    for path, chunk, paginator in paginate(site.posts, per_page, "/", site):
        title = (
            config.title if paginator.number == 1 else f"{config.title}, page {paginator.number}"
        )
        jobs.append(
            RenderJob(
                path,
                "index.html",
                "home",
                "the home page",
                title,
                config.description,
                {"posts": chunk, "paginator": paginator},
                _latest(chunk),
            )
        )
    for index, post in enumerate(site.posts):
        jobs.append(
            RenderJob(
                expand(config.permalinks.post, post.slug, post.date),
                "post.html",
                "post",
                post.source,
                post.title,
                post.summary,
                {
                    "post": post,
                    "newer": site.posts[index - 1] if index else None,
                    "older": site.posts[index + 1] if index + 1 < len(site.posts) else None,
                },
                post.updated or post.date,
            )
        )
    for page in site.pages:
        jobs.append(
            RenderJob(
                expand(config.permalinks.page, page.slug),
                "page.html",
                "page",
                page.source,
                page.title,
                page.summary,
                {"page": page},
            )
        )

    jobs.append(
        RenderJob(
            "/tags/",
            "tags.html",
            "tags",
            "the tag index",
            "Tags",
            f"All tags used on {config.title}",
            {"tags": site.tags},
        )
    )
    for tag in site.tags:
        posts = site.posts_by_tag[tag.slug]
        first = expand(config.permalinks.tag, tag.slug)
        for path, chunk, paginator in paginate(posts, per_page, first, site):
            jobs.append(
                RenderJob(
                    path,
                    "tag.html",
                    "tag",
                    f"the tag '{tag.name}'",
                    f"Posts tagged {tag.name}",
                    f"Posts tagged {tag.name} on {config.title}",
                    {"tag": tag, "posts": chunk, "paginator": paginator},
                    _latest(chunk),
                )
            )

    counted = [(a, len(site.posts_by_author.get(a.slug, ()))) for a in site.authors]
    jobs.append(
        RenderJob(
            "/authors/",
            "authors.html",
            "authors",
            "the author index",
            "Authors",
            f"Everyone who writes for {config.title}",
            {"authors": counted},
        )
    )
    for author in site.authors:
        posts = site.posts_by_author.get(author.slug, ())
        jobs.append(
            RenderJob(
                expand(config.permalinks.author, author.slug),
                "author.html",
                "author",
                f"the author '{author.name}'",
                author.name,
                author.bio or f"Posts by {author.name}",
                {"author": author, "posts": posts},
                _latest(posts),
            )
        )

    years: dict[int, list[Post]] = {}
    for post in site.posts:
        years.setdefault(post.date.year, []).append(post)
    jobs.append(
        RenderJob(
            "/archive/",
            "archive.html",
            "archive",
            "the archive",
            "Archive",
            f"Every post on {config.title}, by year",
            {"years": [(y, tuple(p)) for y, p in years.items()]},
        )
    )
    for year, in_year in years.items():
        jobs.append(
            RenderJob(
                f"/archive/{year}/",
                "archive_year.html",
                "archive_year",
                f"the archive of {year}",
                f"Posts from {year}",
                f"Posts from {year} on {config.title}",
                {"year": year, "posts": tuple(in_year)},
                _latest(in_year),
            )
        )

    kinds = [(k, KIND_LABELS[k], [g for g in site.groups if g.kind == k]) for k in KINDS]
    unsorted = [g for g in site.groups if g.kind is None]
    if unsorted:
        kinds.append(("other", "Other groups", unsorted))
    jobs.append(
        RenderJob(
            "/groups/",
            "groups.html",
            "groups",
            "the group directory",
            "Group directory",
            f"{len(site.groups)} peer-mentoring groups listed on {config.title}",
            {
                "kinds": [k for k in kinds if k[2]],
                "groups": site.groups,
                "topics": site.topics,
                "formats": site.formats,
                "countries": site.countries,
                "total": len(site.groups),
            },
        )
    )
    for label, facets, attribute in (
        ("Topic", site.topics, "topics"),
        ("Format", site.formats, "format_facet"),
        ("Country", site.countries, "country_facet"),
    ):
        for facet in facets:
            members = [g for g in site.groups if _files_under(g, attribute, facet.slug)]
            path = facet.url[len(config.base_path.rstrip("/")) :]
            jobs.append(
                RenderJob(
                    path,
                    "group_facet.html",
                    "group_facet",
                    f"the {label.lower()} '{facet.name}'",
                    f"Groups: {facet.name}",
                    f"Peer-mentoring groups, {label.lower()}: {facet.name}",
                    {"facet_label": label, "facet": facet, "groups": members},
                )
            )
    for group in site.groups:
        posts = site.posts_by_group.get(group.slug, ())
        jobs.append(
            RenderJob(
                expand(config.permalinks.group, group.slug),
                "group.html",
                "group",
                group.source,
                group.name,
                group.summary,
                {"group": group, "posts": posts},
                _latest(posts),
            )
        )

    jobs.append(
        RenderJob(
            "/404.html", "404.html", "not_found", "the 404 page", "Page not found", in_sitemap=False
        )
    )
    return _unique(jobs, problems)


def _files_under(group: Any, attribute: str, slug: str) -> bool:
    value = getattr(group, attribute)
    if isinstance(value, tuple):
        return any(f.slug == slug for f in value)
    return value is not None and value.slug == slug


def _unique(jobs: list[RenderJob], problems: Problems) -> list[RenderJob]:
    """Keep the first job for each output file; report every other one, naming both sources."""
    seen: dict[str, RenderJob] = {}
    kept = []
    for job in jobs:
        key = job.path.lower() if job.path.endswith("/") else job.path
        first = seen.get(key)
        if first is None:
            seen[key] = job
            kept.append(job)
            continue
        blamed, other = (
            (job, first) if "/" in job.source or first.source.startswith("the ") else (first, job)
        )
        problems.error(
            blamed.source,
            1,
            1,
            f"this writes {job.path}, which {other.source} also writes",
            "give one of them another slug",
        )
    return kept
