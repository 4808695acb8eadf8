"""Step 3, plan: every page the site has, as a render job; two jobs with one URL is an error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from hubgen.calendars import Agenda
from hubgen.config import SiteConfig
from hubgen.errors import Problems
from hubgen.feeds import STYLESHEET, Channel, newest_first
from hubgen.groupspec import KIND_LABELS, KINDS
from hubgen.models import Facet, Group, Post
from hubgen.outputs import Alternate, RenderJob, alternates, formats_for, with_links
from hubgen.routes import expand, url
from hubgen.site import Site

T = TypeVar("T")


@dataclass(frozen=True)
class Paginator:
    number: int
    total: int
    prev_url: str | None
    next_url: str | None
    pages: tuple[tuple[int, str], ...]  # every page: (number, URL)
    # The pages to link from this one: the first, the last and the two either side of it, with
    # None for each run of pages left out (a theme shows '…'). A loop over ``pages`` on every
    # page would take time in the square of their number.
    window: tuple[tuple[int, str] | None, ...] = ()


def _window(number: int, urls: Sequence[str]) -> tuple[tuple[int, str] | None, ...]:
    total = len(urls)
    shown = sorted({1, total, *range(max(1, number - 2), min(total, number + 2) + 1)})
    window: list[tuple[int, str] | None] = []
    for n in shown:
        if window and window[-1] is not None and n > window[-1][0] + 1:
            window.append(None)
        window.append((n, urls[n - 1]))
    return tuple(window)


def page_count(items: int, per_page: int) -> int:
    """How many pages a listing of ``items`` has: one at least."""
    return max(1, -(-items // per_page))


def paginate(
    items: Sequence[T], per_page: int, first: str, site: Site
) -> Iterator[tuple[str, Sequence[T], Paginator]]:
    """Pages of items: the first at ``first``, then ``first + 'page/N/'``."""
    total = page_count(len(items), per_page)
    paths = [first if n == 1 else f"{first}page/{n}/" for n in range(1, total + 1)]
    urls = [url(site.config, p) for p in paths]
    pages = tuple(zip(range(1, total + 1), urls, strict=True))  # one tuple, shared by all pages
    for n in range(1, total + 1):
        paginator = Paginator(
            number=n,
            total=total,
            prev_url=urls[n - 2] if n > 1 else None,
            next_url=urls[n] if n < total else None,
            pages=pages,
            window=_window(n, urls),
        )
        yield paths[n - 1], items[(n - 1) * per_page : n * per_page], paginator


def _latest(posts: Sequence[Post]) -> dt.datetime | None:
    return max((p.updated or p.date for p in posts), default=None)


def post_job(config: SiteConfig, posts: Sequence[Post], index: int) -> RenderJob:
    """The page of ``posts[index]``, which links its neighbours (``posts`` is newest first)."""
    post = posts[index]
    return RenderJob(
        expand(config.permalinks.post, post.slug, post.date),
        "post.html",
        "post",
        post.source,
        post.title,
        post.summary,
        {
            "post": post,
            "newer": posts[index - 1] if index else None,
            "older": posts[index + 1] if index + 1 < len(posts) else None,
        },
        post.updated or post.date,
    )


class _Planner:
    """Jobs as the plan makes them, with each page's own feeds and calendar noted for linking."""

    def __init__(self, site: Site, icon: str | None) -> None:
        self.site, self.config, self.icon = site, site.config, icon
        self.jobs: list[RenderJob] = []
        self.own: dict[str, tuple[Alternate, ...]] = {}  # page path -> its feeds and calendar

    def outputs(
        self, kind: str, paths: Sequence[str], feed: Channel | None, agenda: Agenda | None = None
    ) -> tuple[Alternate, ...]:
        if feed is not None:  # what its feeds show, no more: an older post is in none of them
            limit = self.config.feeds.items
            feed = replace(feed, posts=feed.posts[:limit], groups=feed.groups[:limit])
        extra, links = alternates(kind, paths[0], self.config, feed, agenda)
        self.jobs.extend(extra)
        self.own.update(dict.fromkeys(paths, links))
        return links

    def site_channel(self) -> Channel:
        config = self.config
        return Channel(
            config.title,
            config.description or f"New posts on {config.title}",
            "/",
            self.site.posts,
            icon=self.icon,
        )

    def site_feeds(self) -> tuple[Alternate, ...]:
        """The links of the site's feeds, which every page has (without making their jobs)."""
        return alternates("home", "/", self.config, self.site_channel())[1]

    def tags_index(self) -> None:
        config = self.config
        self.jobs.append(
            RenderJob(
                "/tags/",
                "tags.html",
                "tags",
                "the tag index",
                "Tags",
                f"All tags used on {config.title}",
                {"tags": self.site.tags},
            )
        )

    def tag(self, tag: Facet) -> None:
        config, site = self.config, self.site
        posts = site.posts_by_tag[tag.slug]
        first = expand(config.permalinks.tag, tag.slug)
        pages = list(paginate(posts, config.posts_per_page, first, site))
        self.outputs(
            "tag",
            [path for path, _, _ in pages],
            Channel(
                f"Posts tagged {tag.name} — {config.title}",
                f"New posts tagged {tag.name} on {config.title}",
                first,
                posts,
                icon=self.icon,
            ),
        )
        for path, chunk, paginator in pages:
            self.jobs.append(
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

    def linked(self, site_feeds: Sequence[Alternate]) -> list[RenderJob]:
        return [with_links(job, self.own.get(job.path, ()), site_feeds) for job in self.jobs]


def tag_span(config: SiteConfig, count: int) -> int:
    """How many jobs a tag of ``count`` posts has in the plan: its feeds, then its pages."""
    return len(formats_for("tag", config.feeds)) + page_count(count, config.posts_per_page)


def tag_section(site: Site, tags: Sequence[Facet], icon: str | None) -> list[RenderJob]:
    """The job of the tag index, then those of ``tags``, as ``plan`` makes them (a session's
    quick build of a retagged post makes them again alone)."""
    planner = _Planner(site, icon)
    planner.tags_index()
    for tag in tags:
        planner.tag(tag)
    return planner.linked(planner.site_feeds())


def plan(site: Site, problems: Problems, icon: str | None = None) -> list[RenderJob]:
    """All render jobs of the site, in a stable order. ``icon``: the site path of its icon."""
    config = site.config
    per_page = config.posts_per_page
    planner = _Planner(site, icon)
    jobs, outputs = planner.jobs, planner.outputs

    home_paths = [path for path, _, _ in paginate(site.posts, per_page, "/", site)]
    site_feeds = outputs("home", home_paths, planner.site_channel())
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
    for index in range(len(site.posts)):
        jobs.append(post_job(config, site.posts, index))
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

    planner.tags_index()
    for tag in site.tags:
        planner.tag(tag)

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
        path = expand(config.permalinks.author, author.slug)
        outputs(
            "author",
            [path],
            Channel(
                f"Posts by {author.name} — {config.title}",
                f"New posts by {author.name} on {config.title}",
                path,
                posts,
                icon=icon,
            ),
        )
        jobs.append(
            RenderJob(
                path,
                "author.html",
                "author",
                f"the author '{author.name}'",
                author.name,
                author.bio or f"Posts by {author.name}",
                {"author": author, "posts": posts},
                _latest(posts),
            )
        )

    by_year: dict[int, list[Post]] = {}
    for post in site.posts:
        by_year.setdefault(post.date.year, []).append(post)
    # one tuple per year for the archive and the year's page, so that what ``cached`` made of a
    # year's list for one is the other's too
    years = {year: tuple(posts) for year, posts in by_year.items()}
    jobs.append(
        RenderJob(
            "/archive/",
            "archive.html",
            "archive",
            "the archive",
            "Archive",
            f"Every post on {config.title}, by year",
            {"years": list(years.items())},
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
                {"year": year, "posts": in_year},
                _latest(in_year),
            )
        )

    outputs(
        "groups",
        ["/groups/"],
        Channel(
            f"New groups — {config.title}",
            f"Peer-mentoring groups listed on {config.title}, newest first",
            "/groups/",
            groups=newest_first(site.groups),
            icon=icon,
        ),
        Agenda(
            f"Group meetings — {config.title}",
            "/groups/",
            tuple(g for g in site.groups if g.meetings is not None),
            config.timezone,
        ),
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
        filed = _filed_under(site.groups, attribute)
        for facet in facets:
            members = filed.get(facet.slug, [])
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
        path = expand(config.permalinks.group, group.slug)
        outputs(
            "group",
            [path],
            Channel(
                f"Posts about {group.name} — {config.title}",
                f"New posts about {group.name} on {config.title}",
                path,
                posts,
                icon=icon,
            ),
            Agenda(f"{group.name} meetings", path, (group,), group.zone)
            if group.meetings is not None
            else None,
        )
        jobs.append(
            RenderJob(
                path,
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
    if any(job.format in ("rss", "atom") for job in jobs):  # makes XML feeds readable in browsers
        jobs.append(
            RenderJob(
                STYLESHEET,
                STYLESHEET.lstrip("/"),
                "data",
                "the feed stylesheet",
                "Feed stylesheet",
                in_sitemap=False,
            )
        )
    return _unique(planner.linked(site_feeds), problems)


def _filed_under(groups: Sequence[Group], attribute: str) -> dict[str, list[Group]]:
    """The groups under each facet of ``attribute`` (a facet, a tuple of them or None), by the
    facet's slug, in their order: each once, in one pass (not one a facet)."""
    filed: dict[str, list[Group]] = {}
    for group in groups:
        value = getattr(group, attribute)
        facets = value if isinstance(value, tuple) else () if value is None else (value,)
        for slug in dict.fromkeys(f.slug for f in facets):
            filed.setdefault(slug, []).append(group)
    return filed


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
