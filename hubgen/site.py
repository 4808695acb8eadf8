"""Step 2, assemble: the read records become the site: URLs, rendered bodies, tags, authors, groups."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from hubgen import fingerprint
from hubgen.cache import BuildCache, LinkCall, body_key
from hubgen.config import SiteConfig
from hubgen.content import Content, Document, slugify
from hubgen.directory import assemble_directory, by_name, facets
from hubgen.errors import Problem, Problems, did_you_mean
from hubgen.fingerprint import Fingerprints
from hubgen.links import check_anchors, source_links
from hubgen.markdown import LinkResolver, MarkdownRenderer, render_html_body
from hubgen.models import Author, Facet, Group, Page, Post, Rendered, TagRef
from hubgen.output import give_back_memory
from hubgen.parallel import parallel_map
from hubgen.routes import expand, url


@dataclass(frozen=True)
class Bodies:
    """How the bodies were linked: what a body rendered again alone needs (``quick``)."""

    urls: Mapping[Path, str]  # each published document's resolved file -> its URL
    unpublished: frozenset[Path]  # drafts and posts still to come, resolved
    sources: Mapping[Path, str]  # each document's resolved file -> its source
    anchored: tuple[tuple[str, str, Rendered], ...]  # (source, URL, body) of what was published


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
    bodies: Bodies | None = None

    @cached_property
    def newest(self) -> dt.datetime | None:
        """When the site last changed: its newest post's date or update."""
        return max((p.updated or p.date for p in self.posts), default=None)


# source -> the document, body and links a post was made of, and the post
Assembled = dict[str, tuple[Document, Rendered, tuple[object, ...], Post]]


def post_order(post: Post) -> tuple[dt.datetime, str]:
    """The key, sorted in reverse, of every listing of posts: newest first, then by source."""
    return (post.date, post.source)


def make_post(doc: Document, rendered: Rendered, made: tuple[Any, ...]) -> Post:
    """A post from its document, its body, and what ``assemble`` linked it to: (tags, authors,
    groups, URL, whether it is still to come)."""
    if doc.date is None:
        raise ValueError(f"{doc.source}: a post without a date")  # reading gives every post one
    tags, authors, groups, post_url, future = made
    return Post(
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
        tags=tags,
        authors=authors,
        groups=groups,
        draft=doc.meta.draft,
        future=future,
        image=doc.meta.image,
        id=doc.meta.id,
        extra=doc.extra,
    )


def _published(doc: Document, drafts: bool, future: bool, now: dt.datetime) -> bool:
    if doc.meta.draft and not drafts:
        return False
    return future or doc.date is None or doc.date <= now


def render_bodies(
    docs: Sequence[Document],
    doc_urls: Mapping[Path, str],
    unpublished: AbstractSet[Path],
    config: SiteConfig,
    problems: Problems,
    cache: BuildCache | None,
    keep_sources: bool = True,
    encode: Callable[[Document, Rendered], bytes | None] | None = None,
    encoded: dict[str, bytes] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> dict[str, Rendered]:
    """Each document's body as HTML with its links resolved, by source; broken ones left out.

    Bodies the cache has are taken from it; the others are independent of each other, so they
    are rendered over all cores. Unless ``keep_sources`` (a session reads with them again), the
    Markdown of the documents is let go here once it is no longer needed: when their bodies come
    from the cache, or when the workers rendering them have it. The worker that renders a body
    also takes ``encode`` of it (a post's fingerprint), given back in ``encoded`` by source.
    ``meanwhile`` is run by this process once workers rendering the bodies are forked, if they
    are.
    """
    raw_html = config.markdown.raw_html_posts
    renderer = MarkdownRenderer(raw_html=raw_html)

    def resolver(doc: Document) -> LinkResolver:
        return source_links(doc.file.parent, doc_urls, unpublished, config.base_path)

    def key(doc: Document) -> str:
        options = f"{fingerprint.code()} {raw_html} {config.toc_min_headings} {doc.body_line}"
        return body_key(options, doc.source, doc.body)

    def forget(sources: Sequence[Document]) -> None:
        # Unless a session reads with them again, the sources of bodies rendered or on their way
        # would only add to the peak of memory. A document is frozen for what it says, not for
        # its text's life.
        if not keep_sources and sources:
            for doc in sources:
                object.__setattr__(doc, "body", "")
            give_back_memory()  # their pages, which the bodies coming back do not fit in

    bodies: dict[str, Rendered] = {}
    missing = []
    found = []
    # (a cold build's cache has no bodies: the keys of the bodies are then taken by the workers)
    looked_up = cache if cache is not None and cache.has_bodies() else None
    for doc in docs:
        if doc.is_html:
            bodies[doc.source] = render_html_body(doc.body)
            continue
        cached = looked_up.body(key(doc), resolver(doc)) if looked_up is not None else None
        if cached is None:
            missing.append(doc)
        else:
            bodies[doc.source] = cached
            found.append(doc)
    forget(found)

    def render(
        doc: Document,
    ) -> tuple[Rendered, list[Problem], list[LinkCall], str, bytes | None]:
        calls: list[LinkCall] = []
        resolve = resolver(doc)

        def recording(href: str) -> str | None:
            target = resolve(href)
            calls.append((href, target))
            return target

        rendered, link_problems = renderer.render(
            doc.body,
            source=doc.source,
            body_line=doc.body_line,
            resolve=recording,
            toc_min=config.toc_min_headings,
        )
        encoding = encode(doc, rendered) if encode is not None and not link_problems else None
        return rendered, link_problems, calls, key(doc), encoding

    def forked() -> None:  # the workers have the sources of the bodies they render
        forget(missing)
        if meanwhile is not None:
            meanwhile()

    rendered_all = parallel_map(render, missing, forked=forked)
    for doc, (rendered, link_problems, calls, body, encoding) in zip(
        missing, rendered_all, strict=True
    ):
        problems.extend(link_problems)
        if not link_problems:
            bodies[doc.source] = rendered
            if encoding is not None and encoded is not None:
                encoded[doc.source] = encoding
            if cache is not None:
                cache.keep_body(body, calls, rendered)
    return bodies


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


def _real_paths(files: Iterable[Path]) -> dict[Path, Path]:
    """Each file's resolved path. Most files share a few folders: each folder is resolved once,
    and listed once to tell its links, which are resolved themselves (a listing says which
    entries are links without a call to the system for each file)."""
    # by folder: its real path (None when it is its own), the names of the links in it
    folders: dict[Path, tuple[Path | None, frozenset[str] | None]] = {}
    real = {}
    for file in files:
        parent = file.parent
        known = folders.get(parent)
        if known is None:
            try:
                with os.scandir(parent) as entries:
                    links: frozenset[str] | None = frozenset(
                        e.name for e in entries if e.is_symlink()
                    )
            except OSError:  # not listed: each file is asked
                links = None
            resolved = parent.resolve()
            known = folders[parent] = (None if resolved == parent else resolved, links)
        folder, links = known
        if file.is_symlink() if links is None else file.name in links:
            real[file] = file.resolve()
        else:
            real[file] = file if folder is None else folder / file.name
    return real


def assemble(
    content: Content,
    config: SiteConfig,
    problems: Problems,
    *,
    drafts: bool = False,
    future: bool = False,
    now: dt.datetime,
    cache: BuildCache | None = None,
    reuse: Assembled | None = None,
    prints: Fingerprints,
    meanwhile: Callable[[], None] | None = None,
) -> Site:
    """Link the read content into a site. Problems are collected; broken items are left out.

    ``reuse`` holds the posts of the last build in this process (``hubgen serve``), each with
    what it was made of: a post made of the same document, body and links is that same object,
    whose fingerprint is known. It is left holding this build's. ``prints`` learns the
    fingerprint of each post whose body a worker rendered, which made the post and took it
    there: forked later to render the pages, each worker would otherwise take every post's.
    ``meanwhile`` is run by this process while workers render the bodies, if they do.
    """
    posts_docs = [d for d in content.posts if _published(d, drafts, future, now)]
    page_docs = list(content.pages)
    real = _real_paths(d.file for d in (*content.posts, *page_docs))
    doc_urls = {
        real[d.file]: url(config, expand(config.permalinks.post, d.slug, d.date))
        for d in posts_docs
    } | {real[d.file]: url(config, expand(config.permalinks.page, d.slug)) for d in page_docs}
    unpublished = {real[d.file] for d in content.posts} - set(doc_urls)

    group_sources = {g.slug: g for g in content.groups}
    directory = assemble_directory(content.groups, config, problems)
    group_refs = {g.slug: g.ref for g in directory.groups}

    authors = _authors(content, config, posts_docs)
    tags = facets((t for d in posts_docs for t in d.meta.tags), config.permalinks.tag, config)
    tag_refs = {slug: TagRef(t.name, slug, t.url) for slug, t in tags.items()}

    def linked(doc: Document) -> tuple[Any, ...] | None:
        """What the post of ``doc`` links to (see ``make_post``); None for an unknown group."""
        if any(s not in group_refs for s in doc.meta.groups):
            return None
        return (
            tuple(dict.fromkeys(tag_refs[slugify(t)] for t in doc.meta.tags)),
            tuple(
                dict.fromkeys(
                    authors[n if n in authors else slugify(n)] for n in _author_names(doc)
                )
            ),
            tuple(dict.fromkeys(group_refs[s] for s in doc.meta.groups)),
            doc_urls[real[doc.file]],
            doc.date is not None and doc.date > now,
        )

    posts_made = {d.source for d in posts_docs}
    apart = Fingerprints()  # a worker's own: each fills its copy

    def encode(doc: Document, rendered: Rendered) -> bytes | None:
        made = linked(doc) if doc.source in posts_made and doc.date is not None else None
        return apart.of(make_post(doc, rendered, made)) if made is not None else None

    encoded: dict[str, bytes] = {}
    bodies = render_bodies(
        [*posts_docs, *page_docs],
        doc_urls,
        unpublished,
        config,
        problems,
        cache,
        keep_sources=reuse is not None,
        encode=encode,
        encoded=encoded,
        meanwhile=meanwhile,
    )
    posts: list[Post] = []
    assembled: Assembled = {}
    resources: list[tuple[Path, str]] = []
    anchored: list[tuple[str, str, Rendered]] = []
    for doc in posts_docs:
        ok = True
        for index, slug in enumerate(doc.meta.groups):
            if slug not in group_sources:
                line, column = doc.marks.value(("groups", index))
                problems.error(
                    doc.source, line, column, f"unknown group '{slug}'", _hint(slug, group_sources)
                )
                ok = False
        rendered = bodies.get(doc.source)
        made = linked(doc) if ok else None
        if rendered is None or made is None or doc.date is None:  # reading dates every post
            continue
        post_url = doc_urls[real[doc.file]]
        anchored.append((doc.source, post_url, rendered))
        if not doc.meta.tags:
            problems.warning(
                doc.source,
                *doc.marks.start,
                "this post has no tags",
                "add 'tags: [...]' so readers find it",
            )
        known = reuse.get(doc.source) if reuse is not None else None
        if known is not None and known[0] is doc and known[1] is rendered and known[2] == made:
            post = known[3]  # the same object as the last build's (``hubgen serve``)
        else:
            post = make_post(doc, rendered, made)
            if doc.source in encoded:
                prints.learn(post, encoded[doc.source])
        assembled[doc.source] = (doc, rendered, made, post)
        posts.append(post)
        if doc.bundle is not None:
            site_path = expand(config.permalinks.post, doc.slug, doc.date)
            for file in sorted(doc.bundle.rglob("*")):
                if file.is_file() and file != doc.file and not file.name.startswith("."):
                    resources.append((file, site_path + file.relative_to(doc.bundle).as_posix()))
    posts.sort(key=post_order, reverse=True)

    pages = []
    for doc in page_docs:
        rendered = bodies.get(doc.source)
        if rendered is None:
            continue
        anchored.append((doc.source, doc_urls[real[doc.file]], rendered))
        pages.append(
            Page(
                doc.source,
                doc.slug,
                doc_urls[real[doc.file]],
                doc.meta.title,
                doc.meta.summary or rendered.summary,
                rendered.html,
                rendered.toc,
                doc.extra,
            )
        )

    if reuse is not None:
        reuse.clear()
        reuse.update(assembled)
    check_anchors(anchored, problems)
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
        groups=directory.groups,
        authors=tuple(
            sorted(
                (a for a in authors.values() if by_author[a.slug] or a.bio),
                key=lambda a: (a.name.lower(), a.slug),
            )
        ),
        tags=by_name(used_tags.values()),
        topics=directory.topics,
        formats=directory.formats,
        countries=directory.countries,
        posts_by_tag={k: tuple(v) for k, v in sorted(by_tag.items())},
        posts_by_author={k: tuple(v) for k, v in sorted(by_author.items())},
        posts_by_group={k: tuple(v) for k, v in sorted(by_group.items())},
        resources=tuple(resources),
        bodies=Bodies(
            doc_urls,
            frozenset(unpublished),
            {real[d.file]: d.source for d in (*content.posts, *page_docs)},
            tuple(anchored),
        ),
    )


def _hint(name: str, known: Mapping[str, object]) -> str:
    return (
        did_you_mean(name, known) or "groups are the file names in content/groups/, without .yaml"
    )
