"""Step 4a, render: each job through its template, errors reported at the template's line."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import jinja2

from hubgen.cache import Page
from hubgen.errors import Problem, Problems, display_path
from hubgen.fingerprint import Fingerprints, Unknown, code
from hubgen.output import Staging
from hubgen.outputs import FORMATS, RenderJob
from hubgen.parallel import parallel_map
from hubgen.routes import absolute, output_file, url
from hubgen.site import Site
from hubgen.theme import Theme, search_path


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None


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
    def __init__(self, env: jinja2.Environment, root: Path, theme: Theme) -> None:
        self.env = env
        self.root = root
        self.theme = theme
        self._templates: dict[str, jinja2.Template | None] = {}
        self._sources: dict[str, bytes] = {}
        self._prints = Fingerprints()

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
        self._sources[name] = self._prints.of(sorted(seen.items()))
        return self._sources[name]

    def fingerprint(self, job: RenderJob, site: Site) -> str | None:
        """What the job's bytes are made of; None when some of it cannot be fingerprinted."""
        produced = FORMATS[job.format].produce is not None
        try:
            return self._prints.combine(
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
        """Load the job's template and fingerprint its sources now, in this process."""
        self._source(job.template)
        self.template(job.template, problems, job)

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
        try:
            return template.render(context).encode("utf-8")
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
        return None


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
    previous: Callable[[str, str], Path | None] | None = None,
) -> Rendering:
    """Render every job, then the sitemap and robots.txt, into ``staging``.

    ``previous(file, fingerprint)`` finds the published file an earlier build rendered for the
    same fingerprint: it is linked into the new site instead of being rendered again. The other
    jobs are spread over worker processes, which write their files themselves.
    """

    def render_one(job: RenderJob) -> tuple[str | None, Page | None, bool, list[Problem]]:
        """(file, its cache record, whether it was rendered, problems) for one job."""
        found = Problems()
        target = output_file(job.path)
        if target is None:
            message = f"the URL {job.path} would be written outside the output folder"
            found.error(job.source, 1, 1, message)
            return None, None, False, found.items
        relative = target.as_posix()
        key = renderer.fingerprint(job, site) if staging is not None else None
        old = previous(relative, key) if previous is not None and key is not None else None
        if old is not None and staging is not None and key is not None:
            status = staging.link(old, relative)
            return relative, Page(key, status.st_size, status.st_mtime_ns), False, []
        data = renderer.render(job, site, found)
        if data is None:
            return None, None, False, found.items
        if staging is None:
            return relative, None, True, found.items
        status = staging.write(relative, data)
        page = Page(key, status.st_size, status.st_mtime_ns) if key is not None else None
        return relative, page, True, found.items

    # Templates are loaded (and their sources fingerprinted) before the workers are forked, so
    # they inherit them instead of each compiling them again.
    first: dict[str, RenderJob] = {}
    for job in jobs:
        if FORMATS[job.format].produce is None:
            first.setdefault(job.template, job)
    for job in first.values():
        renderer.warm(job, problems)
    # Fingerprinting and linking are spread over the workers too: most jobs of a rebuild are that.
    files: dict[str, Page | None] = {}
    rendered = []
    targets = []
    for relative, page, fresh, job_problems in parallel_map(render_one, jobs, progress=progress):
        problems.extend(job_problems)
        targets.append(relative)
        if relative is not None:
            files[relative] = page
            if fresh:
                rendered.append(relative)
    entries = []
    for job, relative in zip(jobs, targets, strict=True):
        if job.in_sitemap and relative in files:
            lastmod = job.lastmod.date().isoformat() if job.lastmod else None
            entries.append(SitemapEntry(absolute(site.config, url(site.config, job.path)), lastmod))
    for path, name, context in (
        ("/sitemap.xml", "sitemap.xml", {"entries": entries}),
        ("/robots.txt", "robots.txt", {}),
    ):
        job = RenderJob(path, name, "data", "the " + name, name, context=context, in_sitemap=False)
        data = renderer.render(job, site, problems)
        if data is not None:
            if staging is not None:
                staging.write(path.lstrip("/"), data)
            files[path.lstrip("/")] = None
            rendered.append(path.lstrip("/"))
    return Rendering(files, tuple(rendered))
