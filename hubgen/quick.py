"""A session's quick rebuild: one post edited in place, which is what editors do all day.

``hubgen serve`` keeps its last good build (``Snapshot``). When the only file changed since is a
published post, and reading it again leaves it where it was (the same URL, dates, authors, groups
and draft state: its body, title, summary, image, tags or other keys may change), the post is
made again, and only the jobs that show it (its page, its neighbours', the listings and feeds it
is in) are rendered and written. Of those, a page whose template read nothing of the post that
changed when it was last rendered (the session's environment notes what templates read of posts:
see ``theme.Noting``) is the same page, and is kept: an archive that shows titles is not rendered
again for an edited body. A retagged post also has the jobs of the tags listed anew (and the tag
index) made again by the plan's code and spliced in (``_Splice``), and the sitemap written when
their pages moved. Anything else (another file, a post moved, a date come due, a problem of any
kind) returns None, and the build goes the whole way, so what is published is always what a full
build would write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import operator
import threading
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, cast

from hubgen import models, yamlio
from hubgen.cache import BuildCache, Page
from hubgen.config import SiteConfig
from hubgen.content import Document, base_slug, parse_document, slugify
from hubgen.directory import by_name, facets
from hubgen.errors import Problem, Problems
from hubgen.fingerprint import Fingerprints, Unknown
from hubgen.links import Linked, check_anchors
from hubgen.models import Author, Facet, Group, GroupRef, Post, Rendered, TagRef, TocEntry
from hubgen.output import Staging
from hubgen.outputs import FORMATS, Alternate, RenderJob
from hubgen.plan import Paginator, post_job, tag_section, tag_span
from hubgen.render import Renderer, Rendering, render_all
from hubgen.routes import output_file
from hubgen.site import Assembled, Site, make_post, post_order, render_bodies
from hubgen.yamlio import read_file


@dataclass
class Snapshot:
    """A session's last good build: published, without errors."""

    settings: str  # the build options but 'now'
    upto: dt.datetime | None  # the date of the next post to come: then the site changes
    root: Path
    config: SiteConfig
    site: Site
    jobs: list[RenderJob]
    renderer: Renderer
    problems: tuple[Problem, ...]  # warnings only
    pages: int
    files: int
    icon: str | None  # the site path of the site's icon, which its feeds show
    _shown_in: dict[str, list[int]] | None = field(default=None, repr=False)
    _opaque: bool = False
    _folders: set[Path] | None = field(default=None, repr=False)
    _listed: set[int] = field(default_factory=set, repr=False)  # jobs ``_warm_listings`` did
    _linked: Linked | None = field(default=None, repr=False)
    _splices: list[_Splice] = field(default_factory=list, repr=False)  # not yet in ``_shown_in``

    def warm(self, stop: threading.Event) -> None:
        """Do now what the first quick build would otherwise do: index which jobs show each
        post, render the long listings (see ``_warm_listings``) and the feeds of the newest posts
        (``_warm_feeds``). Then fingerprint the posts for the next full build (this one's workers
        fingerprinted them in their own memory), unless ``stop`` says a build has begun: what is
        left, it does itself. Begun again after each quick build, it goes on from there."""
        with contextlib.suppress(_Opaque):
            self.shown_in("")
        self.holds_documents(self.root)
        self.linked()
        self._warm_listings(stop)
        self._warm_feeds(stop)
        for post in self.site.posts:
            if stop.is_set():
                return
            with contextlib.suppress(Unknown):
                self.renderer.prints.of(post)

    def _warm_feeds(self, stop: threading.Event) -> None:
        """Render, for nothing, the feeds that show the newest posts: their entries are then kept
        as written (``feeds.keep_entries``), and an edit of a new post, the usual one, writes its
        feeds from those of the others."""
        if self._shown_in is None:
            return
        for post in self.site.posts[: self.config.feeds.items]:  # newest first
            for index in self._shown_in.get(post.source, []):
                if stop.is_set():
                    return
                if index not in self._listed and self.jobs[index].format in ("rss", "atom", "json"):
                    self.renderer.render(self.jobs[index], self.site, Problems())
                    self._listed.add(index)

    def _warm_listings(self, stop: threading.Event) -> None:
        """Render, for nothing, the pages that list more posts than a page of posts (the archive,
        its years, authors): the cards and lines their templates keep with ``cached`` are then
        ready, and a retitled post renders them again from those of the others."""
        if self._shown_in is None:
            return
        counts = [0] * len(self.jobs)
        for indexes in self._shown_in.values():
            for index in indexes:
                counts[index] += 1
        longest = sorted(
            (
                i
                for i, count in enumerate(counts)
                if count > self.config.posts_per_page
                and FORMATS[self.jobs[i].format].produce is None
            ),
            key=lambda i: -counts[i],
        )
        cached = self.renderer.macros()
        if cached is None:
            return
        cached.stop = stop  # a build waiting stops a listing in the middle, not at its end
        try:
            for index in longest:
                if stop.is_set():
                    return
                if index not in self._listed:
                    self.renderer.render(self.jobs[index], self.site, Problems())
                    if stop.is_set():  # stopped in the middle: done another time
                        return
                    self._listed.add(index)
        finally:
            cached.stop = None

    def respliced(self, splice: _Splice) -> None:
        """Take the jobs of ``splice`` for the snapshot's. Which jobs show each post is moved
        with them at the next need, which is the warming's (see ``shown_in``)."""
        remap = splice.remap
        self.jobs = splice.jobs
        self._listed = {remap[i] for i in self._listed if remap[i] >= 0}
        if self._shown_in is not None:
            self._splices.append(splice)

    def _moved(self) -> None:
        """Move the index of which jobs show each post with the splices made since."""
        for splice in self._splices:
            if self._shown_in is None:
                break
            remap, shown = splice.remap, {}
            for source, indexes in self._shown_in.items():
                moved = [remap[i] for i in indexes if remap[i] >= 0]
                if moved:
                    shown[source] = moved
            seen: dict[int, frozenset[str]] = {}
            touched = set()
            try:
                for index in splice.fresh_at:
                    for found in _posts_in(splice.jobs[index].context, seen):
                        shown.setdefault(found, []).append(index)
                        touched.add(found)
            except _Opaque:
                self._shown_in, self._opaque = None, True
                break
            for source in touched:
                shown[source].sort()
            self._shown_in = shown
        self._splices.clear()

    def holds_documents(self, path: Path) -> bool:
        """Whether ``path`` is (or was) a folder with posts or pages in it, however deep."""
        if self._folders is None:
            sources = self.site.bodies.sources if self.site.bodies is not None else {}
            self._folders = {folder for file in sources for folder in file.parents}
        try:
            return path.resolve() in self._folders
        except OSError:
            return True

    def linked(self) -> Linked:
        """Which of the published documents link into which pages' anchors (made at the first
        need, then kept up to date by each quick build)."""
        if self._linked is None:
            bodies = self.site.bodies
            anchored = bodies.anchored if bodies is not None else ()
            self._linked = Linked((s, u, r.fragments) for s, u, r in anchored)
        return self._linked

    def shown_in(self, source: str) -> list[int]:
        """The jobs that show the post of ``source`` (indexed once, at the first need); _Opaque
        when some job holds a value whose parts cannot be told."""
        if self._splices:
            self._moved()
        if self._shown_in is None:
            if self._opaque:
                raise _Opaque("a job holds values of an unknown kind")
            shown: dict[str, list[int]] = {}
            seen: dict[int, frozenset[str]] = {}
            try:
                for index, job in enumerate(self.jobs):
                    for found in _posts_in(job.context, seen):
                        shown.setdefault(found, []).append(index)
            except _Opaque:
                self._opaque = True
                raise
            self._shown_in = shown
        return self._shown_in.get(source, [])


class _Opaque(Exception):
    """A value whose parts this module does not know how to find or replace."""


# Values that hold no post: plain ones, and hubgen's records whose fields are typed without one
# (a home page's paginator holds the URL of each of its thousand pages: not looked through).
_LEAVES = (
    str,
    bytes,
    int,
    float,
    dt.date,
    Path,
    Enum,
    zoneinfo.ZoneInfo,
    Paginator,
    Alternate,
    Facet,
    TagRef,
    GroupRef,
    Author,
    TocEntry,
    Group,
    models.Page,
)


def _parts(value: object) -> Iterable[object]:
    """The values ``value`` is made of: none for a plain value; _Opaque for an unknown kind."""
    if value is None or isinstance(value, _LEAVES):
        return ()
    if isinstance(value, tuple | list | set | frozenset):
        return value
    if isinstance(value, Mapping):
        return [x for item in value.items() for x in item]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    raise _Opaque(type(value).__name__)


_NO_POSTS: frozenset[str] = frozenset()
_SOURCE = operator.attrgetter("source")


def _posts_in(value: object, seen: dict[int, frozenset[str]]) -> frozenset[str]:
    """The sources of the posts ``value`` holds, however deep (``seen``: values walked)."""
    if isinstance(value, Post):
        return frozenset((value.source,))
    if value is None or isinstance(value, _LEAVES):
        return _NO_POSTS
    known = seen.get(id(value))
    if known is not None:
        return known
    listing = _flat_listing(value)
    if listing is not None:  # looked through in C
        items, kinds = listing
        if kinds == {Post}:  # most of them
            seen[id(value)] = frozenset(map(_SOURCE, items))
        else:
            seen[id(value)] = frozenset(v.source for v in items if isinstance(v, Post)) or _NO_POSTS
        return seen[id(value)]
    found: set[str] = set()
    for part in _parts(value):
        if part is None or isinstance(part, _LEAVES):  # most parts: no call for them
            continue
        inner = _posts_in(part, seen)
        if inner:
            found |= inner
    seen[id(value)] = frozenset(found) if found else _NO_POSTS
    return seen[id(value)]


def _flat_listing(value: object) -> tuple[Sequence[Any], set[type]] | None:
    """``value`` and the types of its items, if it is a listing: a tuple or list (not a named
    tuple) of posts and of values that hold none; else None."""
    if not isinstance(value, tuple | list) or type(value) not in (tuple, list):
        return None
    kinds = set(map(type, value))
    flat = all(k is type(None) or issubclass(k, (Post, *_LEAVES)) for k in kinds)
    return (value, kinds) if flat else None


def _swap(value: Any, swaps: Mapping[int, Post], done: dict[int, Any]) -> Any:
    """``value`` with each post made again put in place of the old one (``swaps``: the new post
    by the id of the old), however deep."""
    if isinstance(value, Post):
        return swaps.get(id(value), value)
    if value is None or isinstance(value, _LEAVES):
        return value
    if id(value) in done:
        return done[id(value)]
    result = value
    if _flat_listing(value) is not None:
        # a listing, of posts and plain values alone: looked through without a call per item
        if not swaps.keys().isdisjoint(map(id, value)):
            items = [swaps.get(id(v), v) for v in value]
            result = tuple(items) if type(value) is tuple else items
    elif type(value) in (tuple, list):
        items = [
            swaps.get(id(v), v) if isinstance(v, Post) else _swap(v, swaps, done) for v in value
        ]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            result = tuple(items) if type(value) is tuple else items
    elif type(value) is dict:
        changed = {k: _swap(v, swaps, done) for k, v in value.items()}
        if any(changed[k] is not v for k, v in value.items()):
            result = changed
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in dataclasses.fields(value)]
        swapped = {n: _swap(getattr(value, n), swaps, done) for n in names}
        if any(swapped[n] is not getattr(value, n) for n in names):
            result = replace(value, **swapped)
    elif _posts_in(value, {}):  # a set, a named tuple, another kind of mapping: with the post
        raise _Opaque(type(value).__name__)
    done[id(value)] = result
    return result


def _place_of(posts: Sequence[Post], key: tuple[dt.datetime, str]) -> int:
    """Where a post of ``key`` (``post_order``'s) goes in ``posts``, newest first: by bisection."""
    low, high = 0, len(posts)
    while low < high:
        middle = (low + high) // 2
        if post_order(posts[middle]) > key:
            low = middle + 1
        else:
            high = middle
    return low


def _places(posts: Sequence[Post], wanted: Iterable[Post]) -> dict[int, int]:
    """Where in ``posts`` each of ``wanted`` is, by its ``id``, of those there: found by
    bisection, as every listing is sorted by ``post_order``, newest first (14 looks in 10,000
    posts)."""
    places = {}
    for post in wanted:
        at = _place_of(posts, post_order(post))
        if at < len(posts) and posts[at] is post:
            places[id(post)] = at
    return places


def _swap_site(site: Site, swaps: Mapping[int, Post], olds: Iterable[Post]) -> Site:
    """``site`` with the posts made again in place of the old ones (``olds``)."""
    olds = list(olds)

    def listed(posts: tuple[Post, ...]) -> tuple[Post, ...]:
        places = _places(posts, olds)
        if not places:
            return posts
        items = list(posts)
        for key, index in places.items():
            items[index] = swaps[key]
        return tuple(items)

    def by(
        groups: Mapping[str, tuple[Post, ...]], keys: Iterable[str]
    ) -> dict[str, tuple[Post, ...]]:
        swapped = dict(groups)
        for key in set(keys):
            if key in swapped:
                swapped[key] = listed(swapped[key])
        return swapped

    return replace(
        site,
        posts=listed(site.posts),
        posts_by_tag=by(site.posts_by_tag, (t.slug for p in olds for t in p.tags)),
        posts_by_author=by(site.posts_by_author, (a.slug for p in olds for a in p.authors)),
        posts_by_group=by(site.posts_by_group, (g.slug for p in olds for g in p.groups)),
    )


def placed(doc: Document, tags: bool = True) -> tuple[object, ...]:
    """What of a document decides where its post goes and what lists it: its URL, dates, tags
    (unless not ``tags``), authors, groups, draft state (not its title, summary, image, id,
    other keys, or body). Its file is the one its source names."""
    meta = doc.meta
    return (
        doc.kind,
        doc.source,
        doc.slug,
        doc.date,
        doc.updated,
        doc.bundle.resolve() if doc.bundle is not None else None,  # as another reads it
        doc.is_html,
        meta.date,
        meta.updated,
        meta.slug,
        meta.tags if tags else (),
        meta.authors,
        meta.author,
        meta.groups,
        meta.draft,
    )


def _alike(a: Document, b: Document, tags: bool = True) -> bool:
    """Whether two readings of a file put its post in the same place (types and all), but for
    its tags unless ``tags``."""
    try:
        prints = Fingerprints()
        return prints.of(placed(a, tags)) == prints.of(placed(b, tags))
    except Unknown:
        return False


def _anchors_differ(
    anchored: tuple[tuple[str, str, Rendered], ...], linked: Linked, at: int, rendered: Rendered
) -> bool:
    """Whether the links to headings from the post ``anchored[at]``, or from other documents
    into it, fare differently with its body ``rendered``: only those documents are checked."""
    source, page_url, old = anchored[at]
    involved = linked.linking(page_url, (*old.fragments, *rendered.fragments)) - {source}
    documents = [anchored[linked.position[s]] for s in sorted(involved)]
    before, after = Problems(), Problems()
    check_anchors([*documents, (source, page_url, old)], before)
    check_anchors([*documents, (source, page_url, rendered)], after)
    return before.items != after.items


def rebuild_post(
    snapshot: Snapshot,
    changed: Path,
    now: dt.datetime,
    cache: BuildCache,
    posts: Assembled,
    staging: Callable[[Mapping[str, Page]], Staging],
) -> tuple[Mapping[str, Page], tuple[str, ...]] | None:
    """Publish the site with the post at ``changed`` made again from its new text: the records of
    the published files, and those rendered; None when it cannot be done this way."""
    site, bodies = snapshot.site, snapshot.site.bodies
    if bodies is None or (snapshot.upto is not None and snapshot.upto <= now):
        return None
    try:
        source = bodies.sources.get(changed.resolve())
    except OSError:
        return None
    known = posts.get(source) if source is not None else None
    if source is None or known is None:
        return None  # not a published post
    old_doc, _, made, _ = known
    if any(p.path == source for p in snapshot.problems):
        return None  # its warnings may go with the old body
    problems = Problems()
    folder = snapshot.root / "content" / "posts"
    raw, read_problems = read_file(old_doc.file, source)
    if raw is None or read_problems:
        return None
    with yamlio.remembering(cache.yaml):
        slug = base_slug("post", old_doc.file, folder)
        doc = parse_document("post", raw, old_doc.file, source, slug, snapshot.config, problems)
    if doc is None or problems.items or not _alike(doc, old_doc, tags=False):
        return None
    retagged = not _alike(doc, old_doc)
    if retagged and not doc.meta.tags:
        return None  # a post without tags is warned of
    rendered = render_bodies(
        [doc], bodies.urls, bodies.unpublished, snapshot.config, problems, cache
    ).get(source)
    if rendered is None or problems.items:
        return None
    linked = snapshot.linked()
    at = linked.position.get(source)
    if at is None or _anchors_differ(bodies.anchored, linked, at, rendered):
        return None  # links from the post, or from others into its headings, fare differently
    page_url = bodies.anchored[at][1]
    anchored = list(bodies.anchored)
    anchored[at] = (source, page_url, rendered)
    # the posts made again: this one, and (retagged) those of a tag whose name changed
    remade = {source: (doc, rendered, made)}
    if retagged:
        remade.update(_retagged(site, posts, doc, rendered, made))
    olds = {src: posts[src][3] for src in remade}
    new = {src: make_post(*parts) for src, parts in remade.items()}
    swaps = {id(olds[src]): new[src] for src in remade}
    new_site = replace(
        _swap_site(site, swaps, olds.values()), bodies=replace(bodies, anchored=tuple(anchored))
    )
    relisted: dict[str, Facet | None] = {}
    if retagged:
        new_site, relisted = _relisted(new_site, site, olds[source], new[source])
    try:
        shows: dict[int, list[str]] = {}
        for src in remade:
            for index in snapshot.shown_in(src):
                shows.setdefault(index, []).append(src)
        indexes = sorted(shows)
        done: dict[int, Any] = {}
        jobs = [_swap(snapshot.jobs[i], swaps, done) for i in indexes]
    except _Opaque:
        return None
    # A post's own page takes more than its context from the post (its description): made again
    # the way the plan makes it, with the context (and the links ``with_links`` added).
    where = _places(new_site.posts, new.values())
    for post in new.values():
        freshen(jobs, post, post_job(snapshot.config, new_site.posts, where[id(post)]))
    everything = list(snapshot.jobs)
    for i, job in zip(indexes, jobs, strict=True):
        everything[i] = job
    splice = _Splice(everything, site, new_site, relisted, snapshot.icon) if relisted else None
    if splice is not None and not splice.ok:
        return None
    records = dict(cache.pages)
    prints = snapshot.renderer.prints
    todo = [
        job
        for i, job in zip(indexes, jobs, strict=True)
        if (splice is None or splice.remap[i] >= 0)
        and not all(kept(records, job.path, job.source, olds[s], new[s], prints) for s in shows[i])
    ]
    if splice is not None and any(f in records for f in splice.added):
        return None  # a new tag page goes where another file is: the full build tells
    box = staging(records)
    sitemap: bool | list[RenderJob] = False
    if splice is not None:
        todo += splice.fresh
        for relative in splice.removed:
            records.pop(relative, None)
        sitemap = splice.jobs if splice.sitemap else False
    rendering = publish(todo, snapshot.renderer, new_site, records, box, sitemap)
    if rendering is None:
        return None
    snapshot.site = new_site
    if splice is None:
        snapshot.jobs = everything
    else:
        snapshot.respliced(splice)
        added, removed = splice.added, splice.removed
        snapshot.pages += sum(f.endswith(".html") for f in added) - sum(
            f.endswith(".html") for f in removed
        )
        snapshot.files += len(added) - len(removed)
    linked.unlinks(source, page_url, bodies.anchored[at][2].fragments)
    linked.links(source, page_url, rendered.fragments)
    for src, (parts_doc, parts_rendered, parts_made) in remade.items():
        posts[src] = (parts_doc, parts_rendered, parts_made, new[src])
    return records, rendering.rendered


def _retagged(
    site: Site, posts: Assembled, doc: Document, rendered: Rendered, made: tuple[object, ...]
) -> dict[str, tuple[Document, Rendered, tuple[object, ...]]]:
    """What the post of ``doc``, retagged, and the others a full build makes again are made of:
    its tags as a full build links them, and those of the posts of a tag whose name (its most
    used spelling) changed, by source. Only the tags whose spellings in the post changed are
    counted again (a popular tag's thousands of posts are not gone through for nothing)."""
    config = site.config
    old_doc, _, _, old = posts[doc.source]
    before = Counter((slugify(t), t.strip()) for t in old_doc.meta.tags)
    after = Counter((slugify(t), t.strip()) for t in doc.meta.tags)
    moved = {slug for slug, _ in (before - after) | (after - before)}
    members = {p.source for s in moved for p in site.posts_by_tag.get(s, ())} - {doc.source}
    docs = [*(posts[m][0] for m in sorted(members)), doc]
    names = (t for d in docs for t in d.meta.tags if slugify(t) in moved)
    renamed = {
        slug: TagRef(f.name, slug, f.url)
        for slug, f in facets(names, config.permalinks.tag, config).items()
    }
    refs = {t.slug: t for t in old.tags} | renamed  # the others' spellings, and names, stay
    tagged = tuple(dict.fromkeys(refs[slugify(t)] for t in doc.meta.tags))  # as ``assemble``
    remade = {doc.source: (doc, rendered, (tagged, *made[1:]))}
    for slug, ref in renamed.items():
        for other in site.posts_by_tag.get(slug, ()):
            if other.source != doc.source and ref not in other.tags:  # renamed
                other_doc, other_body, other_made, _ = posts[other.source]
                tags = tuple(refs.get(t.slug, t) for t in other.tags)
                remade[other.source] = (other_doc, other_body, (tags, *other_made[1:]))
    return remade


def _relisted(
    site: Site, before: Site, old: Post, post: Post
) -> tuple[Site, dict[str, Facet | None]]:
    """``site`` with the tags the retagged post had (``old``) or has listing it where it goes
    now; and those tags, by slug, that it lists otherwise than ``before`` (None: gone)."""
    by_tag = dict(site.posts_by_tag)
    tags = {t.slug: t for t in before.tags}
    relisted: dict[str, Facet | None] = {}
    refs = {t.slug: t for t in post.tags}
    had = {t.slug for t in old.tags}
    for slug in sorted(had | refs.keys()):
        # ``site`` lists the new post where the old one was (see ``_swap_site``), in its place:
        # a retag leaves its date and source, which place it, as they were
        members = by_tag.get(slug, ())
        if slug not in refs:
            members = tuple(p for p in members if p.source != post.source)
        elif slug not in had:
            at = _place_of(members, post_order(post))
            members = (*members[:at], post, *members[at:])
        facet = None
        if members:
            ref = refs.get(slug) or next(t for t in members[0].tags if t.slug == slug)
            facet = Facet(ref.name, slug, ref.url, len(members))
            by_tag[slug] = members
        else:
            del by_tag[slug]
        if facet != tags.get(slug):
            relisted[slug] = facet
            if facet is None:
                del tags[slug]
            else:
                tags[slug] = facet
    return replace(
        site, posts_by_tag=dict(sorted(by_tag.items())), tags=by_name(tags.values())
    ), relisted


class _Splice:
    """The site's jobs with those of the tag index and of the relisted tags made again, in the
    places the plan gives them: ``ok`` when the jobs are as the plan made them."""

    def __init__(
        self,
        jobs: list[RenderJob],
        before: Site,
        after: Site,
        relisted: Mapping[str, Facet | None],
        icon: str | None,
    ) -> None:
        self.ok = False
        config = after.config
        try:  # (looked for in C: there are as many jobs as pages)
            start = list(map(operator.attrgetter("kind"), jobs)).index("tags")
        except ValueError:
            return
        spans: dict[str, range] = {}
        at = start + 1
        for tag in before.tags:
            spans[tag.slug] = range(at, at + tag_span(config, tag.count))
            at = spans[tag.slug].stop
        if at >= len(jobs) or jobs[at].kind != "authors":
            return  # not as the plan made them
        made = iter(tag_section(after, [t for t in after.tags if t.slug in relisted], icon))
        self.remap = [-1] * len(jobs)  # each old job's new index; -1: made again, or gone
        self.remap[:start] = range(start)
        self.jobs = jobs[:start]
        self.fresh_at = [start]  # the indexes of the jobs made again
        self.jobs.append(next(made))
        for tag in after.tags:
            if tag.slug in relisted:
                span = tag_span(config, tag.count)
                self.fresh_at.extend(range(len(self.jobs), len(self.jobs) + span))
                self.jobs.extend(itertools.islice(made, span))
            else:
                old = spans[tag.slug]
                self.remap[old.start : old.stop] = range(len(self.jobs), len(self.jobs) + len(old))
                self.jobs.extend(jobs[old.start : old.stop])
        self.remap[at:] = range(len(self.jobs), len(self.jobs) + len(jobs) - at)
        self.jobs.extend(jobs[at:])
        self.fresh = [self.jobs[i] for i in self.fresh_at]
        gone = [
            jobs[start],
            *(jobs[i] for t in before.tags if t.slug in relisted for i in spans[t.slug]),
        ]
        before_files = {output_file(job.path) for job in gone}
        after_files = {output_file(job.path) for job in self.fresh}
        if None in before_files or None in after_files:
            return
        self.added = cast(set[str], after_files - before_files)
        self.removed = cast(set[str], before_files - after_files)
        # the sitemap lists the pages in the plan's order, each with its date
        self.sitemap = [(j.path, j.lastmod) for j in gone if j.in_sitemap] != [
            (j.path, j.lastmod) for j in self.fresh if j.in_sitemap
        ]
        self.ok = True


def freshen(jobs: list[RenderJob], post: Post, fresh: RenderJob) -> int | None:
    """Put ``fresh``, the post's own page as the plan makes it, in place of its job in ``jobs``,
    keeping the old job's context (and the links ``with_links`` added): the page takes more than
    its context from the post (its title, description). Its index, if it is there."""
    for k, job in enumerate(jobs):
        if job.source == post.source and job.format == "html" and job.context.get("post") is post:
            jobs[k] = replace(fresh, context={**job.context, **fresh.context})
            return k
    return None


def kept(
    records: dict[str, Page], path: str, shown: str, old: Post, new: Post, prints: Fingerprints
) -> bool:
    """Whether the published file of a job at ``path`` (of the page of ``shown``) that shows the
    post ``old``, now ``new``, stays as it is: its template read nothing of the post that
    changed (not the post's own page). Its record is then kept with an empty fingerprint: the
    next full build fingerprints it again (it shows a post that changed); fingerprinting it here
    would take every post it shows."""
    relative = output_file(path)
    known = records.get(relative) if relative is not None else None
    if known is None or relative is None or shown == new.source:
        return False
    if not unread(known.reads, old, new, prints):
        return False
    records[relative] = Page("", known.size, known.mtime_ns, known.reads)
    return True


def publish(
    jobs: list[RenderJob],
    renderer: Renderer,
    site: Site,
    records: dict[str, Page],
    staging: Staging,
    sitemap: Sequence[RenderJob] | bool = False,
) -> Rendering | None:
    """Render ``jobs`` into ``staging`` and publish the site of ``records``, brought up to date
    with what they wrote: the last step of a quick build. ``sitemap``: the site's jobs, when its
    sitemap changed. None, and nothing published, when a job fails."""
    problems = Problems()
    try:
        rendering = render_all(
            jobs,
            renderer,
            site,
            problems,
            staging,
            None,
            records,
            sitemap=sitemap,
            fingerprints=False,
        )
        if problems.items or len(rendering.files) != len(jobs) + (sitemap is not False):
            return None
        records.update({k: v for k, v in rendering.files.items() if v is not None})
        staging.publish(records)
        return rendering
    finally:
        staging.discard()


def unread(reads: frozenset[str] | None, old: Post, new: Post, prints: Fingerprints) -> bool:
    """Whether a page whose template read ``reads`` of posts when it was rendered last read
    nothing that differs between ``old`` and ``new`` (the same page of the same values is the
    same)."""
    if reads is None or "*" in reads:
        return False
    for name in reads:
        try:
            if prints.of(getattr(old, name)) != prints.of(getattr(new, name)):
                return False
        except (AttributeError, Unknown):
            return False
    return True
