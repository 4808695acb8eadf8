"""One post edited since the last full build, rebuilt by a new process without reading the rest.

``hubgen serve`` rebuilds an edited post from what it keeps in memory (see ``quick``). A build
in a new process (``hubgen build`` after an edit) has only files. So after a full build published
without errors, ``Storing`` writes beside the cache, as plain data in one file of pieces (see
``stored`` and ``cache.writing``), each part loaded only when it is needed:

- the state of every input file (size, modification time, inode) the build started from;
- every job of the plan, with the posts they show referred to by number, and which jobs show
  each post;
- each published post, its body by its key in the body cache, and what placed it (as ``quick``
  says: its URL, dates, tags, authors, groups, draft state);
- how the bodies link: each document's URL, the held-back ones, their links to anchors;
- the build's warnings.

When the next build finds that exactly one input changed, a published post without warnings, and
reading it gives a post in the same place, with no problem, ``rebuild`` renders its body, makes
the post again, renders the jobs that show it with the new post in (but those whose templates
read nothing of the post that changed: see ``quick.unread``), and publishes them as an update.
It checks first that the published folder is exactly as that build left it, and that the cache
is the one it wrote (a token both hold). Anything else, and the build goes the whole way: what is
published is always what a full build would write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import marshal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubgen import inputs
from hubgen.cache import RESUME, BuildCache, Page, Read, Writer, per_output, reading, writing
from hubgen.config import SiteConfig
from hubgen.content import Document, base_slug, parse_document
from hubgen.errors import Problem, Problems
from hubgen.fingerprint import Fingerprints
from hubgen.links import Linked, check_anchors
from hubgen.models import Post, Rendered
from hubgen.output import Staging
from hubgen.outputs import RenderJob
from hubgen.plan import post_job
from hubgen.quick import freshen, kept, placed, publish
from hubgen.render import Renderer
from hubgen.site import Site, make_post, render_bodies
from hubgen.stored import Decoder, Encoder, Missing, Unstorable, job_field
from hubgen.yamlio import read_file


@dataclass(frozen=True)
class Done:
    """What a build published: as counted, rendered, warned, and until when it holds."""

    pages: int
    files: int
    rendered: tuple[str, ...]
    upto: dt.datetime | None  # the date of the next post to come
    warnings: tuple[Problem, ...] = ()


def where(docs: Iterable[Document]) -> dict[str, str]:
    """What placed each document's post, as a digest to compare (see ``quick.placed``)."""
    return {doc.source: _where(doc) for doc in docs}


def _where(doc: Document) -> str:
    # repr names the types of what it shows: a date is not taken for a string
    return hashlib.blake2b(repr(placed(doc)).encode(), digest_size=16).hexdigest()


def forget(folder: Path, output: Path) -> None:
    (folder / per_output(RESUME, output)).unlink(missing_ok=True)


class Storing:
    """What a quick rebuild in a new process needs of this build, kept (see above) in two
    steps: all that rendering does not change (the posts, the jobs, the inputs…) is encoded and
    written by ``start``, in a thread of this process while workers render the pages (the build
    waits on them then: 0.9 s of its end at 10,000 posts, with the cache's bodies, saved the
    same way); the index, which names the cache's token, the counts and the warnings, by
    ``finish``, once the build is published without errors. ``abandon`` leaves the file of the
    last such build as it was. Without ``start`` (nothing was forked), ``finish`` does it all.
    """

    def __init__(
        self,
        folder: Path,
        output: Path,
        cache: BuildCache,
        state: inputs.State,
        site: Site,
        jobs: Sequence[RenderJob],
        places: Mapping[str, str],
    ) -> None:
        self._file = folder / per_output(RESUME, output)
        self._output, self._cache, self._state = output, cache, state
        self._site, self._jobs, self._places = site, jobs, places
        self._thread: threading.Thread | None = None
        self._writer: Writer | None = None
        self._parts: dict[str, int] = {}
        self._newest: Any = None
        self._failed: BaseException | None = None

    def start(self) -> None:
        """Save the cache's bodies and encode the build, in a thread (see ``wait``)."""
        self._thread = threading.Thread(target=self._encode, name="hubgen-store", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait for ``start``'s thread, before anything else touches the cache."""
        if self._thread is not None:
            self._thread.join()

    def _encode(self, background: bool = True) -> None:
        try:
            if background:
                self._cache.save_bodies()
            if self._site.bodies is None:
                return
            self._writer = Writer(self._file, self._cache.code, str(self._output))
            encoder = Encoder(self._cache.keys_by_html(), self._writer.chunks.put)
            for post in self._site.posts:  # numbered by their places, newest first
                encoder.add(post)
            encoded = []
            shown: dict[int, list[int]] = {}
            for index, job in enumerate(self._jobs):
                found: set[int] = set()
                encoded.append(encoder.value(job, found))
                for number in found:
                    shown.setdefault(number, []).append(index)
            self._newest = encoder.value(self._site.newest, set())
            # the parts, each a piece, each made and written in turn: not all held at once
            made = _parts(self._state, self._site, self._places, encoder, encoded, shown)
            put = self._writer.chunks.put
            self._parts = {name: put(marshal.dumps(make())) for name, make in made}
        except BaseException as error:  # told by ``finish``, in the build's own thread
            self._failed = error

    def finish(self, settings: str, done: Done) -> None:
        """Keep the build, published without errors, once the cache is saved."""
        if self._thread is None:
            self._encode(background=False)
        self.wait()
        writer, failed = self._writer, self._failed
        self._writer = None
        try:
            if failed is not None:
                raise failed
            if writer is None or not self._cache.token:
                raise Unstorable("no bodies, or no record of the pages")
            writer.chunks.index = {
                "token": self._cache.token,
                "settings": settings,
                "upto": done.upto.isoformat() if done.upto is not None else None,
                "counts": [done.pages, done.files],
                "warnings": [dataclasses.astuple(p) for p in done.warnings],
                "newest": self._newest,
                "published": len(self._site.posts),  # the first posts: the site's, newest first
                "parts": self._parts,
            }
            writer.commit()
            writer = None
        except Unstorable:
            self._file.unlink(missing_ok=True)
        except OSError:
            pass  # without it, the next build goes the whole way
        finally:
            if writer is not None:
                writer.abandon()

    def abandon(self) -> None:
        """Keep nothing of this build: the last one kept stays as it was."""
        self.wait()
        if self._writer is not None:
            self._writer.abandon()
            self._writer = None


def _parts(
    state: inputs.State,
    site: Site,
    places: Mapping[str, str],
    encoder: Encoder,
    jobs: list[Any],
    shown: dict[int, list[int]],
) -> Iterator[tuple[str, Callable[[], Any]]]:
    bodies = site.bodies
    assert bodies is not None  # nosec: ``Storing`` checked
    keys = encoder.bodies
    yield "inputs", lambda: state.files
    yield "numbers", lambda: encoder.numbers
    yield "posts", lambda: encoder.posts
    yield "placed", lambda: {p.source: places.get(p.source, "") for p in site.posts}
    yield "records", lambda: encoder.records
    yield "jobs", lambda: jobs
    yield "shown", lambda: shown
    yield "urls", lambda: {str(k): v for k, v in bodies.urls.items()}
    yield "unpublished", lambda: sorted(map(str, bodies.unpublished))
    yield "sources", lambda: {str(k): v for k, v in bodies.sources.items()}
    yield (
        "anchors",
        lambda: {
            source: [page_url, keys.get(id(body.html)), [list(f) for f in body.fragments]]
            for source, page_url, body in bodies.anchored
        },
    )


class _Parts:
    """The parts of a stored build, each loaded at its first need."""

    def __init__(self, read: Read, at: Mapping[str, int]) -> None:
        self._read = read
        self.at = dict(at)
        self._loaded: dict[str, Any] = {}

    def load(self, offset: int) -> Any:
        return self._read.load(offset)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            self._loaded[name] = self._read.load(self.at[name])
        return self._loaded[name]


class _ByName(Mapping[Path, str]):
    """A mapping by path of one stored by the paths' text: looked up, not made again whole."""

    def __init__(self, data: Mapping[str, str]) -> None:
        self._data = data

    def __getitem__(self, key: Path) -> str:
        return self._data[str(key)]

    def __contains__(self, key: object) -> bool:
        return str(key) in self._data

    def __iter__(self) -> Iterator[Path]:
        return map(Path, self._data)

    def __len__(self) -> int:
        return len(self._data)


class _NameSet(AbstractSet[Path]):
    def __init__(self, names: Iterable[str]) -> None:
        self._names = frozenset(names)

    def __contains__(self, key: object) -> bool:
        return str(key) in self._names

    def __iter__(self) -> Iterator[Path]:
        return map(Path, self._names)

    def __len__(self) -> int:
        return len(self._names)


def _changed(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """The input files whose state differs (or was taken while it could still change, unless
    the text read then is known, and is the same)."""
    changed = [
        name
        for name, status in now.items()
        if status is None or before.get(name) != status
        if not (isinstance(before.get(name), str) and _digest_of(name) == before[name])
    ]
    changed += [name for name in before if name not in now]
    return changed


def _known(before: Mapping[str, Any], now: Mapping[str, Any]) -> dict[str, Any]:
    """The state of the files now, where a file known by its text (unchanged) stays so."""
    return {
        k: before[k] if v is None and isinstance(before.get(k), str) else v for k, v in now.items()
    }


def _published(output: Path, records: Mapping[str, Page]) -> bool:
    staging = Staging(output, records.keys())
    try:
        return staging.holds(records)
    finally:
        staging.discard()


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _digest_of(name: str) -> str | None:
    try:
        return _digest(Path(name).read_bytes())
    except OSError:
        return None


def rebuild(
    root: Path,
    output: Path,
    state: inputs.State,
    settings: str,
    now: dt.datetime,
    config: SiteConfig,
    renderer: Renderer,
    cache: BuildCache,
) -> Done | None:
    """Publish the site with the one post edited since the stored build made again, if that is
    all that changed and the post stays where it was (see above); None when it is not."""
    file = cache.folder / per_output(RESUME, output)
    read = reading(file, cache.code, str(output))
    if read is None or not isinstance(read.index, dict) or not cache.token:
        return None
    if read.index.get("token") != cache.token:
        return None
    try:
        return _rebuild(read, file, root, output, state, settings, now, config, renderer, cache)
    except (Missing, KeyError, IndexError, TypeError, ValueError, EOFError):
        return None  # a body gone from the cache, or data not as this code writes it


def _rebuild(
    read: Read,
    file: Path,
    root: Path,
    output: Path,
    state: inputs.State,
    settings: str,
    now: dt.datetime,
    config: SiteConfig,
    renderer: Renderer,
    cache: BuildCache,
) -> Done | None:
    data: dict[str, Any] = read.index
    parts = _Parts(read, data["parts"])
    upto = dt.datetime.fromisoformat(data["upto"]) if data["upto"] is not None else None
    if data["settings"] != settings or (upto is not None and now >= upto):
        return None
    # the stored build's warnings: those of other files than the post still hold
    warnings = tuple(Problem(*w) for w in data["warnings"])
    changed = _changed(parts["inputs"], state.files)
    if not changed:  # files saved again as they were: the site is as published, if it is there
        if not _published(output, cache.pages):
            return None
        with contextlib.suppress(OSError), writing(file, cache.code, str(output)) as chunks:
            chunks.put(read.pieces[: read.at])
            inputs_now = _known(parts["inputs"], state.files)
            at = chunks.put(marshal.dumps(inputs_now))
            chunks.index = data | {"parts": parts.at | {"inputs": at}}
        pages, files = data["counts"]
        return Done(pages, files, (), upto, warnings)
    if len(changed) != 1 or changed[0] not in state.files:
        return None
    path = Path(changed[0])
    try:
        source = parts["sources"].get(str(path.resolve()))
    except OSError:
        return None
    number = parts["numbers"].get(source)
    if number is None or number >= data["published"]:
        return None  # not a published post
    if any(w.path == source for w in warnings):
        return None  # they may go with the old text
    problems = Problems()
    raw, read_problems = read_file(path, source)
    if raw is None or read_problems:
        return None
    slug = base_slug("post", path, root / "content" / "posts")
    doc = parse_document("post", raw, path, source, slug, config, problems)
    if doc is None or problems.items or _where(doc) != parts["placed"][source]:
        return None
    urls, unpublished = _ByName(parts["urls"]), _NameSet(parts["unpublished"])
    rendered = render_bodies([doc], urls, unpublished, config, problems, cache).get(source)
    if rendered is None or problems.items:
        return None

    def body(key: str) -> Rendered | None:
        return cache.body(key, None)

    load, records, posts = read.load, parts["records"], parts["posts"]
    old = Decoder(load, records, posts, body).post(number)
    if _anchors_fail(parts["anchors"], source, old.url, rendered, body):
        return None
    post = make_post(doc, rendered, (old.tags, old.authors, old.groups, old.url, old.future))
    published = dict(cache.pages)
    staging = Staging(output, published.keys())
    try:
        jobs, own = _jobs(parts, data, number, old, post, published, staging, config, body)
        if jobs is None:
            return None
        site = Site(config, (), (), (), (), (), (), (), (), {}, {}, {}, ())
        # feeds date themselves by the site's newest post, which did not move
        site.__dict__["newest"] = Decoder(load, records, posts, body).value(data["newest"])
        rendering = publish(jobs, renderer, site, published, staging)
    finally:
        staging.discard()  # nothing, once published
    if rendering is None:
        return None
    cache.update(output, published)
    # what the next quick build needs of this one: the post, its page's job, its anchors
    with contextlib.suppress(OSError), writing(file, cache.code, str(output)) as chunks:
        chunks.put(read.pieces[: read.at])  # the pieces as they were, where they were
        encoder = Encoder(cache.keys_by_html(), chunks.put, len(records), parts["numbers"])
        posts[number] = chunks.put(marshal.dumps(encoder.post(post)))
        changes: dict[str, Any] = {"posts": posts, "records": records, "anchors": parts["anchors"]}
        if own is not None:
            parts["jobs"][own[1]] = encoder.value(jobs[own[0]], set())
            changes["jobs"] = parts["jobs"]
        records += encoder.records
        parts["anchors"][source][1:] = [
            encoder.bodies.get(id(rendered.html)),
            [list(f) for f in rendered.fragments],
        ]
        changes["inputs"] = _known(parts["inputs"], state.files)
        if state.files[changed[0]] is None:  # it may change again unseen: known by its text
            changes["inputs"][changed[0]] = _digest(raw)
        moved = {name: chunks.put(marshal.dumps(value)) for name, value in changes.items()}
        chunks.index = data | {"token": cache.token, "parts": parts.at | moved}
    pages, files = data["counts"]
    return Done(pages, files, rendering.rendered, upto, warnings)


def _jobs(
    parts: _Parts,
    data: Mapping[str, Any],
    number: int,
    old: Post,
    post: Post,
    published: dict[str, Page],
    staging: Staging,
    config: SiteConfig,
    body: Callable[[str], Rendered | None],
) -> tuple[list[RenderJob] | None, tuple[int, int] | None]:
    """The jobs to render for the post ``number``, now ``post``, and its own page's (its place
    in them and its number among the stored jobs); None
    when the published folder is not as the stored build left it. The pages whose templates read
    nothing of the post that changed are kept (see ``quick.kept``), known by their jobs' paths
    and sources before any job is made again."""
    if not staging.holds(published):
        return None, None
    load, records, stored = parts.load, parts["records"], parts["posts"]
    prints = Fingerprints()
    indexes = [
        index
        for index in parts["shown"].get(number, [])
        if not kept(
            published,
            job_field(load, records, parts["jobs"][index], "path"),
            job_field(load, records, parts["jobs"][index], "source"),
            old,
            post,
            prints,
        )
    ]
    decoder = Decoder(load, records, stored, body, {number: post})
    jobs = [decoder.value(parts["jobs"][i]) for i in indexes]
    around = range(max(0, number - 1), min(number + 2, data["published"]))
    own = freshen(jobs, post, post_job(config, [decoder.post(n) for n in around], min(number, 1)))
    return jobs, ((own, indexes[own]) if own is not None else None)


def _anchors_fail(
    anchors: Mapping[str, list[Any]],
    source: str,
    page_url: str,
    rendered: Rendered,
    body: Any,
) -> bool:
    """Whether links to anchors now fail that did not (the stored build had no problem): from
    the post, or from other documents into it."""

    linked = Linked((other, at, fragments) for other, (at, _, fragments) in anchors.items())
    involved = {source, *linked.linking(page_url, rendered.fragments)}
    documents: list[tuple[str, str, Rendered]] = []
    for other in sorted(involved):
        at, key, _ = anchors[other]
        found = rendered if other == source else body(key) if key is not None else None
        if found is None:
            return True  # an HTML body, or one the cache lost: the full build will tell
        documents.append((other, at, found))
    problems = Problems()
    check_anchors(documents, problems)
    return bool(problems.items)
