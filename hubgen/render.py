"""Step 4a, render: each job through its template, errors reported at the template's line."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import overload

import jinja2
from markupsafe import Markup, escape

from hubgen import feeds
from hubgen.cache import Page
from hubgen.errors import Problem, Problems, display_path
from hubgen.fingerprint import Fingerprints, Unknown, code
from hubgen.models import Noted
from hubgen.output import Staging
from hubgen.outputs import FORMATS, RenderJob
from hubgen.parallel import parallel_map
from hubgen.routes import absolute, output_file, quoted, url
from hubgen.site import Site
from hubgen.theme import Cached, Noting, Theme, search_path


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None


def _sitemap_entry(root: str, path: str, lastmod: dt.datetime | None) -> SitemapEntry:
    return SitemapEntry(root + quoted(path), lastmod.date().isoformat() if lastmod else None)


def _sitemap_url(root: str, path: str, lastmod: dt.datetime | None) -> str:
    day = f"    <lastmod>{lastmod.date().isoformat()}</lastmod>\n" if lastmod else ""
    return f"  <url>\n    <loc>{escape(root + quoted(path))}</loc>\n{day}  </url>\n"


# by the job's id: the job (kept, so that no other takes its id), the root it was made for, and
# its element. Looked up without reading the job: 15,000 jobs' memory is slow to go through.
SitemapUrls = dict[int, tuple[RenderJob, str, str]]
_SITEMAP_SPARE = 2000  # elements of jobs gone kept before they are let go
# Characters of ``cached(macro, ...)`` outputs each process rendering a full build keeps: every
# card of 10,000 posts, at one heading level (``theme.Cached.bounded``).
MACROS_KEPT = 12_000_000


class SitemapEntries(Sequence[SitemapEntry]):
    """The sitemap's entries (``loc``, ``lastmod``), for a template to loop over: made when it
    does; and the ``<url>`` elements of ``{{ urls }}``, which hubgen's own template shows, kept
    by a serving process (``kept``): it writes the sitemap of every page again when a tag's
    pages move, nearly all of them as they were (15,000 at 10,000 posts, in 5 ms, not 130)."""

    def __init__(self, root: str, jobs: Sequence[RenderJob], kept: SitemapUrls | None) -> None:
        self._root, self._jobs, self._kept = root, jobs, kept
        self._entries: list[SitemapEntry] | None = None

    def _made(self) -> list[SitemapEntry]:
        if self._entries is None:
            root = self._root
            self._entries = [_sitemap_entry(root, j.path, j.lastmod) for j in self._jobs]
        return self._entries

    @overload
    def __getitem__(self, index: int) -> SitemapEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SitemapEntry]: ...

    def __getitem__(self, index: int | slice) -> SitemapEntry | Sequence[SitemapEntry]:
        return self._made()[index]

    def __len__(self) -> int:
        return len(self._jobs)

    def __iter__(self) -> Iterator[SitemapEntry]:
        return iter(self._made())

    def xml(self) -> Markup:
        """The ``<url>`` element of each entry, as hubgen's template wrote them in a loop."""
        root, kept = self._root, self._kept
        if kept is None:
            urls = [_sitemap_url(root, j.path, j.lastmod) for j in self._jobs]
        else:
            urls = []
            for job in self._jobs:
                found = kept.get(id(job))
                if found is None or found[0] is not job or found[1] != root:
                    found = kept[id(job)] = (job, root, _sitemap_url(root, job.path, job.lastmod))
                urls.append(found[2])
            if len(kept) > len(self._jobs) + _SITEMAP_SPARE:  # those of jobs made again since
                current = {id(job) for job in self._jobs}
                for key in [key for key in kept if key not in current]:
                    del kept[key]
        return Markup("".join(urls))  # noqa: S704  # nosec: each loc is escaped; lastmod a date


class _Urls:
    """``{{ urls }}`` of sitemap.xml: the entries as XML, made when a template shows them."""

    def __init__(self, entries: SitemapEntries) -> None:
        self._entries = entries

    def __html__(self) -> Markup:
        return self._entries.xml()


def _template_frame(tb: TracebackType | None, env: jinja2.Environment) -> tuple[str, int] | None:
    """The innermost traceback frame that is a template (Jinja rewrites them to template lines)."""
    found = None
    while tb is not None:
        if tb.tb_frame.f_globals.get(
            "__jinja_template__"
        ) is not None or tb.tb_frame.f_code.co_filename.endswith(
            (".html", ".xml", ".txt", ".xsl", ".json")
        ):
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


_TAG = re.compile(r"\{%[-+]?\s*(extends|include|import|from)\b(.*?)[-+]?%\}", re.DOTALL)
_LITERAL = re.compile(r"""\s*(["'])([^"'{}]*)\1(.*)""", re.DOTALL)
_CONTEXT = r"(?:\s+(?:with|without)\s+context)?"
_REST = {  # what may follow the template name, for the name to be all the tag depends on
    "extends": re.compile(r"\s*"),
    "include": re.compile(rf"(?:\s+ignore\s+missing)?{_CONTEXT}\s*"),
    "import": re.compile(rf"\s+as\s+\w+{_CONTEXT}\s*"),
    "from": re.compile(
        rf"\s+import\s+\w+(?:\s+as\s+\w+)?(?:\s*,\s*\w+(?:\s+as\s+\w+)?)*,?{_CONTEXT}\s*"
    ),
}


def referenced_templates(source: str) -> list[str] | None:
    """The templates ``source`` extends, includes or imports; None if a name is computed.

    Read from the tags' text, not by parsing the template (much slower): anything but a plain
    string literal, even in a comment, counts as computed, so this never finds too few.
    """
    names = []
    for tag in _TAG.finditer(source):
        literal = _LITERAL.fullmatch(tag.group(2))
        if literal is None or not _REST[tag.group(1)].fullmatch(literal.group(3)):
            return None
        names.append(literal.group(2))
    return names


class Renderer:
    def __init__(
        self,
        env: jinja2.Environment,
        root: Path,
        theme: Theme,
        prints: Fingerprints | None = None,
        serving: bool = False,
    ) -> None:
        self.env = env
        # a serving process's: the sitemap's elements, kept for its next builds
        self.sitemap: SitemapUrls | None = {} if serving else None
        self.root = root
        self.theme = theme
        self._templates: dict[str, jinja2.Template | None] = {}
        self._sources: dict[str, bytes] = {}
        self._uses: dict[str, tuple[str, ...]] = {}  # the templates each one reaches
        self.prints = prints if prints is not None else Fingerprints()
        # What the templates read from posts in the last render, when the environment notes it
        # (see ``quick``); None: not known (not noted, or a format made by a producer).
        self.reads: frozenset[str] | None = None

    def macros(self) -> Cached | None:
        """The ``cached(macro, ...)`` of the templates (see ``theme.Cached``), if it is hubgen's."""
        cached = self.env.globals.get("cached")
        return cached if isinstance(cached, Cached) else None

    def keep_macros(self) -> None:
        """From now on, keep the outputs of ``cached(macro, ...)``, and feed entries as written
        (``feeds.keep_entries``)."""
        cached = self.macros()
        if cached is not None:
            cached.keeping = True
        feeds.keep_entries()

    def _source(self, name: str) -> bytes:
        """A digest of template ``name`` and of every template it extends, includes or imports."""
        if name in self._sources:
            return self._sources[name]
        loader = self.env.loader
        seen: dict[str, str] = {}
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen or loader is None:
                continue
            try:
                seen[current], _, _ = loader.get_source(self.env, current)
            except jinja2.TemplateNotFound:
                seen[current] = "\0missing"
                continue
            references = referenced_templates(seen[current])
            if references is None:  # a template name computed at run time: any of them
                references = self.env.list_templates()
            todo += references
        self._sources[name] = self.prints.of(sorted(seen.items()))
        self._uses[name] = tuple(n for n, text in seen.items() if text != "\0missing")
        return self._sources[name]

    def fingerprint(self, job: RenderJob, site: Site) -> str | None:
        """What the job's bytes are made of; None when some of it cannot be fingerprinted."""
        produced = FORMATS[job.format].produce is not None
        try:
            return self.prints.combine(
                (
                    code(),
                    site.config,
                    job,
                    site.newest if produced else None,  # feeds date themselves by the site
                    b"" if produced else self._source(job.template),
                )
            )
        except Unknown:
            return None

    def _where(self, filename: str | None) -> str:
        return display_path(Path(filename), self.root) if filename else "templates"

    def warm(self, job: RenderJob, problems: Problems) -> None:
        """Load the job's template, and those it extends, includes or imports, and fingerprint
        their sources now, in this process (workers forked after have them all compiled)."""
        self._source(job.template)
        if self.template(job.template, problems, job) is None:
            return
        for name in self._uses[job.template]:
            with contextlib.suppress(jinja2.TemplateError):  # met again, and told, when rendered
                self.env.get_template(name)

    def template(self, name: str, problems: Problems, job: RenderJob) -> jinja2.Template | None:
        if name in self._templates:
            return self._templates[name]
        template = None
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.error(
                self._where(error.filename),
                error.lineno,
                1,
                f"template syntax error: {error.message}",
            )
        except jinja2.TemplateNotFound as error:
            searched = ", ".join(
                display_path(p, self.root) for p in search_path(self.root, self.theme)
            )
            problems.error(
                job.source if "/" in job.source else "templates",
                0,
                0,
                f"template '{error.name}' not found (needed for {job.path})",
                f"searched {searched}",
            )
        self._templates[name] = template
        return template

    def render(self, job: RenderJob, site: Site, problems: Problems) -> bytes | None:
        """The job's bytes: through its format's producer (feeds, calendars) or its template."""
        produce = FORMATS[job.format].produce
        self.reads = None
        if produce is not None:
            try:
                return bytes(produce(job.path, job.context, site))
            except Exception as error:  # a bug, or input the producer's library refuses
                problems.error(
                    job.source, 0, 0, f"could not write {job.path}: {type(error).__name__}: {error}"
                )
                return None
        template = self.template(job.template, problems, job)
        if template is None:
            return None
        config = site.config
        page_url = url(config, job.path)
        context = {
            "site": config,
            "page_url": page_url,
            "page_title": job.title,
            "page_description": job.description,
            "page_kind": job.kind,
            "canonical_url": absolute(config, page_url),
            **job.context,
        }
        noting = isinstance(self.env, Noting)
        try:
            if noting:
                Noted.reads = set()
            data = template.render(context).encode("utf-8")
            if Noted.reads is not None:
                self.reads = frozenset(Noted.reads)
            return data
        except jinja2.TemplateSyntaxError as error:  # raised when an include or import is loaded
            problems.error(
                self._where(error.filename),
                error.lineno,
                1,
                f"template syntax error: {error.message}",
            )
        except jinja2.TemplateNotFound as error:
            problems.error(
                self._where(template.filename), 0, 0, f"template '{error.name}' not found"
            )
        except Exception as error:
            frame = _template_frame(sys.exc_info()[2], self.env)
            where, line = (
                (self._where(frame[0]), frame[1]) if frame else (self._where(template.filename), 0)
            )
            message = (
                str(error)
                if isinstance(error, jinja2.UndefinedError)
                else f"{type(error).__name__}: {error}"
            )
            problems.error(
                where, line, 1, f"{message} (while rendering {job.path} from {job.source})"
            )
        finally:
            Noted.reads = None
        return None


@dataclass
class _Rendered:
    """One job rendered by ``render_all``: whether it was, its problems; once its file is
    written (see ``_Writes``), the cache's record of it and where it was staged."""

    done: bool
    problems: list[Problem]
    page: Page | None = None
    staged: str | None = None


# Files waiting to be written, at most: the kernel's work of making files and folders evicts the
# interpreter's from the processor's caches, and pages rendered between writes took 8% longer
# (every page of 10,000 posts, serially: 5.4 s written each in turn, 5.0 s in batches; a build
# 12.6 -> 12.3 s, 0.5 CPU-seconds less, its peak memory the same).
_BATCH_FILES = 100
_BATCH_BYTES = 1_000_000


class _Writes:
    """Rendered files written a batch at a time, each job's record filled in as its file is."""

    def __init__(self, staging: Staging) -> None:
        self.staging = staging
        self._waiting: list[tuple[str, bytes, str | None, frozenset[str] | None, _Rendered]] = []
        self._size = 0

    def add(
        self,
        relative: str,
        data: bytes,
        key: str | None,
        reads: frozenset[str] | None,
        rendered: _Rendered,
    ) -> None:
        self._waiting.append((relative, data, key, reads, rendered))
        self._size += len(data)
        if len(self._waiting) >= _BATCH_FILES or self._size >= _BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        staging = self.staging
        for relative, data, key, reads, rendered in self._waiting:
            status = staging.write(relative, data)
            if key is not None:
                rendered.page = Page(key, status.st_size, status.st_mtime_ns, reads, status.st_ino)
            rendered.staged = staging.staged(relative)
        self._waiting.clear()
        self._size = 0


@dataclass(frozen=True)
class Rendering:
    """What render_all wrote: every file, with what the cache records of it, and which it rendered."""

    files: Mapping[str, Page | None]  # path relative to the output folder -> its cache record
    rendered: tuple[str, ...]  # the files rendered this time; the others came from the last build


def render_all(
    jobs: Sequence[RenderJob],
    renderer: Renderer,
    site: Site,
    problems: Problems,
    staging: Staging | None = None,
    progress: Callable[[int, int], None] | None = None,
    previous: Mapping[str, Page] | None = None,
    sitemap: bool | Sequence[RenderJob] = True,
    fingerprints: bool = True,
    forked: Callable[[], None] | None = None,
) -> Rendering:
    """Render every job, then the sitemap and robots.txt, into ``staging``.

    ``previous`` holds the cache's record of each published file: one rendered for the same
    fingerprint, and still as recorded, is kept instead of being rendered again. This process
    fingerprints the jobs an earlier build rendered (the posts they share are fingerprinted once
    that way); the jobs left are spread over worker processes, which fingerprint them when no
    earlier build did, render them and write their files themselves. Without ``fingerprints``
    (a quick build, which knows its jobs changed) every job is rendered, and recorded with an
    empty fingerprint, which the next build's never matches. ``sitemap``: whether ``jobs`` are
    the site's, whose sitemap and robots.txt are written; or the site's jobs, when ``jobs`` are
    some of them and the sitemap alone is written again. ``forked`` is called once workers are
    forked, if they are: this process has little to do until they are done.
    """

    writes = _Writes(staging) if staging is not None else None

    def render_one(item: tuple[RenderJob, str, str | None]) -> _Rendered:
        """One job rendered, its file to be written with the next batch."""
        job, relative, key = item
        found = Problems()
        if key is None and staging is not None:
            key = renderer.fingerprint(job, site) if fingerprints else ""
        data = renderer.render(job, site, found)
        rendered = _Rendered(data is not None, found.items)
        if data is not None and writes is not None:
            writes.add(relative, data, key, renderer.reads, rendered)
        return rendered

    files: dict[str, Page | None] = {}
    targets: list[str | None] = []
    todo: list[tuple[RenderJob, str, str | None]] = []
    for job in jobs:
        relative = output_file(job.path)
        targets.append(relative)
        if relative is None:
            message = f"the URL {job.path} would be written outside the output folder"
            problems.error(job.source, 1, 1, message)
            continue
        key = None
        old = previous.get(relative) if staging is not None and previous is not None else None
        if old is not None and staging is not None and fingerprints:  # an earlier build wrote it
            key = renderer.fingerprint(job, site)
            if key == old.fingerprint and staging.intact(relative, old.size, old.mtime_ns):
                kept = staging.keep(relative)
                files[relative] = (
                    old
                    if kept is None
                    else Page(key, kept.st_size, kept.st_mtime_ns, old.reads, kept.st_ino)
                )
                continue
        todo.append((job, relative, key))
    # Templates are loaded (and their sources fingerprinted) before the workers are forked, so
    # they inherit them instead of each compiling them again.
    first: dict[str, RenderJob] = {}
    for job, _, _ in todo:
        if FORMATS[job.format].produce is None:
            first.setdefault(job.template, job)
    for job in first.values():
        renderer.warm(job, problems)
    # The feeds first, in one chunk: a post's entry is in the feeds of its tags, its authors and
    # its groups, in each format, and a process makes it once (at 1,000 posts, the two workers
    # that shared the feeds made 1,618 entries of 966, two thirds of them twice). Half the jobs
    # at most, so that the other worker is not left idle by a hub whose feeds are most of it.
    feed = [FORMATS[job.format].role == "feed" for job, _, _ in todo]
    order = sorted(range(len(todo)), key=lambda i: not feed[i])  # stable: else in their order
    macros = renderer.macros()
    with macros.bounded(MACROS_KEPT) if macros is not None else contextlib.nullcontext():
        worked = parallel_map(
            render_one,
            [todo[i] for i in order],
            progress=progress,
            forked=forked,
            ended=writes.flush if writes is not None else None,
            together=min(sum(feed), len(order) // 2),
        )
    results = list(worked)  # back in the order of the jobs
    for i, result in zip(order, worked, strict=True):
        results[i] = result
    rendered = []
    for (_, relative, _), result in zip(todo, results, strict=True):
        problems.extend(result.problems)
        if result.done:
            files[relative] = result.page
            rendered.append(relative)
        if result.staged is not None and staging is not None:
            staging.adopt(relative, result.staged)
    if sitemap is False:  # ``jobs`` are not all the site's: its sitemap is left as it is
        return Rendering(files, tuple(rendered))
    if sitemap is True:
        listed = [j for j, t in zip(jobs, targets, strict=True) if j.in_sitemap and t in files]
    else:  # the site's jobs, of which ``jobs`` are some: all of them published
        listed = [job for job in sitemap if job.in_sitemap]
    root = absolute(site.config, url(site.config, ""))  # what each page's URL begins with
    entries = SitemapEntries(root, listed, renderer.sitemap)
    made = [("/sitemap.xml", "sitemap.xml", {"entries": entries, "urls": _Urls(entries)})]
    if sitemap is True:  # (robots.txt depends on the config alone)
        made.append(("/robots.txt", "robots.txt", {}))
    for path, name, context in made:
        job = RenderJob(path, name, "data", "the " + name, name, context=context, in_sitemap=False)
        data = renderer.render(job, site, problems)
        if data is not None:
            written = staging.write(path.lstrip("/"), data) if staging is not None else None
            files[path.lstrip("/")] = (
                Page("", written.st_size, written.st_mtime_ns, None, written.st_ino)
                if written is not None
                else None
            )
            rendered.append(path.lstrip("/"))
    return Rendering(files, tuple(rendered))
