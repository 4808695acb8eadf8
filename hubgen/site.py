"""Step 2, assemble: the read records become the site: URLs, rendered bodies, tags, authors, groups."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from hubgen.config import SiteConfig
from hubgen.content import Content, Document, GroupSource, slugify
from hubgen.errors import Problems, did_you_mean
from hubgen.groupspec import FORMAT_LABELS
from hubgen.markdown import LinkResolver, MarkdownRenderer, render_html_body
from hubgen.models import Author, Facet, Group, Page, Post, Rendered
from hubgen.routes import expand, url

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SOURCE_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class Site:
    """Everything the plan step needs, already linked together."""

    config: SiteConfig
    posts: tuple[Post, ...]  # newest first
    pages: tuple[Page, ...]
    groups: tuple[Group, ...]  # by name
    authors: tuple[Author, ...]  # by name
    tags: tuple[Facet, ...]  # by name
    topics: tuple[Facet, ...]
    formats: tuple[Facet, ...]
    countries: tuple[Facet, ...]
    posts_by_tag: Mapping[str, tuple[Post, ...]]
    posts_by_author: Mapping[str, tuple[Post, ...]]
    posts_by_group: Mapping[str, tuple[Post, ...]]
    resources: tuple[tuple[Path, str], ...]  # bundle files and the site path each is copied to


def _published(doc: Document, drafts: bool, future: bool, now: dt.datetime) -> bool:
    if doc.meta.draft and not drafts:
        return False
    return future or doc.date is None or doc.date <= now


def _facets(names: Iterable[str], pattern: str, config: SiteConfig) -> dict[str, Facet]:
    """Facets keyed by slug; the display name is the most used spelling."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for name in names:
        spellings[slugify(name)][name.strip()] += 1
    facets = {}
    for slug, counter in spellings.items():
        name = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
        facets[slug] = Facet(name, slug, url(config, expand(pattern, slug)), sum(counter.values()))
    return facets


def _site_paths(base_path: str) -> LinkResolver:
    """Links to site paths get base_url's path, so '/groups/' works when the hub is under '/hub/'."""
    prefix = base_path.rstrip("/")

    def resolve(href: str) -> str | None:
        if prefix and href.startswith("/") and not href.startswith(("//", prefix + "/")):
            return prefix + href
        return ""

    return resolve


def _resolver(
    doc: Document, targets: Mapping[Path, str], unpublished: set[Path], base_path: str
) -> LinkResolver:
    site_path = _site_paths(base_path)

    def resolve(href: str) -> str | None:
        if not href or _SCHEME.match(href) or href.startswith(("/", "#", "?")):
            return site_path(href)
        parts = urlsplit(href)
        if not parts.path.lower().endswith((*_SOURCE_SUFFIXES, ".html")):
            return ""
        target = (doc.file.parent / unquote(parts.path)).resolve()
        if target in targets:
            return targets[target] + (f"#{parts.fragment}" if parts.fragment else "")
        if target in unpublished or not parts.path.lower().endswith(_SOURCE_SUFFIXES):
            return ""
        return None

    return resolve


def _render(
    doc: Document,
    renderer: MarkdownRenderer,
    resolve: LinkResolver,
    config: SiteConfig,
    problems: Problems,
) -> Rendered | None:
    if doc.is_html:
        return render_html_body(doc.body)
    rendered, link_problems = renderer.render(
        doc.body,
        source=doc.source,
        body_line=doc.body_line,
        resolve=resolve,
        toc_min=config.toc_min_headings,
    )
    problems.extend(link_problems)
    return None if link_problems else rendered


def _authors(content: Content, config: SiteConfig, docs: Iterable[Document]) -> dict[str, Author]:
    pattern = config.permalinks.author
    known = {
        a.slug: Author(
            a.slug,
            a.spec.name,
            url(config, expand(pattern, a.slug)),
            a.spec.bio,
            a.spec.avatar,
            tuple((a.spec.links or {}).items()),
        )
        for a in content.authors
    }
    for doc in docs:
        for name in _author_names(doc):
            slug = name if name in known else slugify(name)
            if slug not in known:
                known[slug] = Author(slug, name.strip(), url(config, expand(pattern, slug)))
    return known


def _author_names(doc: Document) -> tuple[str, ...]:
    return doc.meta.authors or ((doc.meta.author,) if doc.meta.author else ())


def _group(
    source: GroupSource,
    config: SiteConfig,
    renderer: MarkdownRenderer,
    topics: Mapping[str, Facet],
    formats: Mapping[str, Facet],
    countries: Mapping[str, Facet],
    problems: Problems,
) -> Group:
    spec = source.spec
    description = Markup("")
    if spec.description:
        rendered, link_problems = renderer.render(
            spec.description,
            resolve=_site_paths(config.base_path),
            source=source.source,
            body_line=source.marks.value(("description",))[0],
        )
        problems.extend(link_problems)
        description = rendered.html
    country = spec.location.country if spec.location else None
    return Group(
        source=source.source,
        slug=source.slug,
        url=url(config, expand(config.permalinks.group, source.slug)),
        name=spec.name,
        summary=spec.summary,
        description=description,
        kind=spec.kind,
        topics=tuple(topics[slugify(t)] for t in spec.topics),
        audience=spec.audience,
        format=spec.format,
        format_facet=formats[spec.format] if spec.format else None,
        location=spec.location,
        country_facet=countries[slugify(country)] if country else None,
        timezone=spec.timezone,
        meetings=spec.meetings,
        size=spec.size,
        capacity=spec.capacity,
        status=spec.status,
        join=spec.join,
        organizers=spec.organizers,
        founded=spec.founded,
        ground_rules=spec.ground_rules,
        links=tuple((spec.links or {}).items()),
        milestones=spec.milestones,
    )


def assemble(
    content: Content,
    config: SiteConfig,
    problems: Problems,
    *,
    drafts: bool = False,
    future: bool = False,
    now: dt.datetime,
) -> Site:
    """Link the read content into a site. Problems are collected; broken items are left out."""
    posts_docs = [d for d in content.posts if _published(d, drafts, future, now)]
    page_docs = list(content.pages)
    doc_urls = {
        d.file.resolve(): url(config, expand(config.permalinks.post, d.slug, d.date))
        for d in posts_docs
    } | {d.file.resolve(): url(config, expand(config.permalinks.page, d.slug)) for d in page_docs}
    unpublished = {d.file.resolve() for d in content.posts} - set(doc_urls)

    group_sources = {g.slug: g for g in content.groups}
    topics = _facets(
        (t for g in content.groups for t in g.spec.topics), "/groups/topics/{slug}/", config
    )
    countries = _facets(
        (
            g.spec.location.country
            for g in content.groups
            if g.spec.location and g.spec.location.country
        ),
        "/groups/countries/{slug}/",
        config,
    )
    formats = {
        f: Facet(FORMAT_LABELS[f], f, url(config, f"/groups/formats/{f}/"), n)
        for f, n in sorted(Counter(g.spec.format for g in content.groups if g.spec.format).items())
    }
    group_renderer = MarkdownRenderer(raw_html=config.markdown.raw_html_groups)
    groups = sorted(
        (
            _group(g, config, group_renderer, topics, formats, countries, problems)
            for g in content.groups
        ),
        key=lambda g: (g.name.lower(), g.slug),
    )
    group_refs = {g.slug: g.ref for g in groups}

    authors = _authors(content, config, posts_docs)
    tags = _facets((t for d in posts_docs for t in d.meta.tags), config.permalinks.tag, config)

    renderer = MarkdownRenderer(raw_html=config.markdown.raw_html_posts)
    posts: list[Post] = []
    resources: list[tuple[Path, str]] = []
    for doc in posts_docs:
        ok = True
        for index, slug in enumerate(doc.meta.groups):
            if slug not in group_sources:
                line, column = doc.marks.value(("groups", index))
                problems.error(
                    doc.source, line, column, f"unknown group '{slug}'", _hint(slug, group_sources)
                )
                ok = False
        rendered = _render(
            doc, renderer, _resolver(doc, doc_urls, unpublished, config.base_path), config, problems
        )
        if rendered is None or not ok or doc.date is None:  # reading gives every post a date
            continue
        post_url = doc_urls[doc.file.resolve()]
        posts.append(
            Post(
                source=doc.source,
                slug=doc.slug,
                url=post_url,
                title=doc.meta.title,
                date=doc.date,
                updated=doc.updated,
                summary=doc.meta.summary or rendered.summary,
                content=rendered.html,
                toc=rendered.toc,
                word_count=rendered.word_count,
                tags=tuple(dict.fromkeys(tags[slugify(t)] for t in doc.meta.tags)),
                authors=tuple(
                    dict.fromkeys(
                        authors[n if n in authors else slugify(n)] for n in _author_names(doc)
                    )
                ),
                groups=tuple(dict.fromkeys(group_refs[s] for s in doc.meta.groups)),
                draft=doc.meta.draft,
                image=doc.meta.image,
                extra=doc.extra,
            )
        )
        if doc.bundle is not None:
            site_path = expand(config.permalinks.post, doc.slug, doc.date)
            for file in sorted(doc.bundle.rglob("*")):
                if file.is_file() and file != doc.file and not file.name.startswith("."):
                    resources.append((file, site_path + file.relative_to(doc.bundle).as_posix()))
    posts.sort(key=lambda p: (p.date, p.source), reverse=True)

    pages = []
    for doc in page_docs:
        rendered = _render(
            doc, renderer, _resolver(doc, doc_urls, unpublished, config.base_path), config, problems
        )
        if rendered is None:
            continue
        pages.append(
            Page(
                doc.source,
                doc.slug,
                doc_urls[doc.file.resolve()],
                doc.meta.title,
                doc.meta.summary or rendered.summary,
                rendered.html,
                rendered.toc,
                doc.extra,
            )
        )

    by_tag: dict[str, list[Post]] = defaultdict(list)
    by_author: dict[str, list[Post]] = defaultdict(list)
    by_group: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        for tag in post.tags:
            by_tag[tag.slug].append(post)
        for author in post.authors:
            by_author[author.slug].append(post)
        for ref in post.groups:
            by_group[ref.slug].append(post)
    used_tags = {
        slug: Facet(t.name, t.slug, t.url, len(by_tag[slug]))
        for slug, t in tags.items()
        if by_tag[slug]
    }
    return Site(
        config=config,
        posts=tuple(posts),
        pages=tuple(sorted(pages, key=lambda p: p.url)),
        groups=tuple(groups),
        authors=tuple(
            sorted(
                (a for a in authors.values() if by_author[a.slug] or a.bio),
                key=lambda a: (a.name.lower(), a.slug),
            )
        ),
        tags=tuple(sorted(used_tags.values(), key=lambda t: (t.name.lower(), t.slug))),
        topics=tuple(sorted(topics.values(), key=lambda f: (f.name.lower(), f.slug))),
        formats=tuple(formats.values()),
        countries=tuple(sorted(countries.values(), key=lambda f: (f.name.lower(), f.slug))),
        posts_by_tag={k: tuple(v) for k, v in sorted(by_tag.items())},
        posts_by_author={k: tuple(v) for k, v in sorted(by_author.items())},
        posts_by_group={k: tuple(v) for k, v in sorted(by_group.items())},
        resources=tuple(resources),
    )


def _hint(name: str, known: Mapping[str, object]) -> str:
    return (
        did_you_mean(name, known) or "groups are the file names in content/groups/, without .yaml"
    )
