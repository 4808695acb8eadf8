"""The build: read, assemble, plan, write. Each step is a plain function; this module runs them."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from hubgen import inputs, parallel
from hubgen.cache import FOLDER, RESUME, BuildCache, Page, per_output
from hubgen.config import SiteConfig, load_config
from hubgen.content import POST_SUFFIXES, Reads, read_content
from hubgen.errors import Problem, Problems, display_path
from hubgen.files import static_files
from hubgen.fingerprint import Fingerprints, code
from hubgen.output import MARK, Staging, check_output, give_back_memory, libc, recover
from hubgen.theme import Theme, environment, load_theme

# What only assembling, planning and rendering need (Markdown, Pygments, the feeds and calendars,
# the render and quick-build steps) is imported by ``_Ready``, while workers read the posts.
if TYPE_CHECKING:
    from hubgen.quick import Snapshot
    from hubgen.site import Assembled

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path | None = None  # default: <root>/public
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    keep_going: bool = False
    strict: bool = False
    write: bool = True  # False: check everything, write nothing
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def output(self) -> Path:
        return self.out if self.out is not None else self.root / "public"


@dataclass(frozen=True)
class BuildResult:
    problems: tuple[Problem, ...]
    pages: int = 0
    files: int = 0
    seconds: float = 0.0
    published: bool = False
    rendered: tuple[str, ...] = ()  # files rendered; the others came unchanged from the last build

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass
class Session:
    """What a process that builds one hub again and again (``hubgen serve``) keeps between its
    builds, so each redoes only what changed: the posts and pages read, the cache with its bodies
    as objects, the posts assembled, the fingerprints of what they show. Nothing in it changes
    what a build writes; ``close`` saves the cache for the next process.
    """

    reads: Reads = field(default_factory=Reads)
    posts: Assembled = field(default_factory=dict)
    cache: BuildCache | None = None
    prints: Fingerprints | None = None
    snapshot: Snapshot | None = None  # the last good build, for a quick one (see ``quick``)
    pending: set[Path] = field(default_factory=set)  # changed since the last build
    # held while a build changes the published folder in place, and by a server reading it
    publishing: threading.Lock = field(default_factory=threading.Lock)
    _warming: threading.Thread | None = None
    # the snapshot the last warming froze with the rest (not kept alive by this)
    _frozen: weakref.ref[Snapshot] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def _warm(self) -> None:
        """Warm the snapshot in the background, while the editor reads what was built."""
        if self.snapshot is None:
            return
        self._stop = threading.Event()
        self._warming = threading.Thread(
            target=self._warm_and_freeze,
            args=(self.snapshot, self._stop),
            name="hubgen-warm",
            daemon=True,
        )
        self._warming.start()

    def _warm_and_freeze(self, snapshot: Snapshot, stop: threading.Event) -> None:
        """Warm ``snapshot`` with the cycle collector paused, and keep what lives out of later
        collections: a collection of the whole heap (0.4 s at 10,000 posts) holds every thread,
        so one that came by chance would hold up the next edit. That one collection is made
        first for a new snapshot, just after its whole build, while the browser reloads (an
        earlier snapshot, its Jinja environment and all, may be garbage now); once warm, what is
        new since is frozen too (collected first only when small: see below).

        After a quick build, whose warming is short, it begins ``_WARM_AFTER`` seconds later:
        the thread that built goes on at once (``Thread.start`` waited for the new thread to
        hand the interpreter back: 1.3–2.7 ms of each build), and the browser's reload is served
        meanwhile without waiting on the warming's turns with the interpreter. A whole build's
        warming, seconds long, begins at once: the sooner it ends, the sooner edits are quick."""
        new = self._frozen is None or self._frozen() is not snapshot
        if not new and stop.wait(_WARM_AFTER):
            return  # another build began: it does what it needs itself
        collecting = gc.isenabled()
        gc.disable()
        try:
            if new:
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                self._frozen = weakref.ref(snapshot)
            snapshot.warm(stop)
            if not stop.is_set():
                # What a warming makes (the listings' lines and cards, the feeds' entries, the
                # posts' fingerprints) is kept, not garbage: a collection of it all took 55 ms at
                # 10,000 posts, in which an edit saved then waited. It is collected only when
                # small (a quick build's and a short warming's); else frozen with the rest, and
                # collected with it at the next whole build.
                if gc.get_count()[0] < _SMALL_COLLECTION:
                    gc.collect()
                gc.freeze()
        finally:
            if collecting:
                gc.enable()

    def wait(self) -> None:
        """Wait for the warming (which uses the fingerprints a build goes on with) to end: what
        a quick build needs of it, then no more."""
        if self._warming is not None:
            self._stop.set()
            self._warming.join()
            self._warming = None

    def untrust(self) -> None:
        """After a build that failed with an exception: the next one goes the whole way, into a
        new folder, as the published one may be half written."""
        self.snapshot = None
        if self.cache is not None:
            self.cache.pages = {}

    def changed(self, paths: Iterable[Path]) -> None:
        """Files the watcher saw change: read again even if their size and mtime look the same."""
        paths = set(paths)
        self.reads.changed |= paths
        self.pending |= paths

    def _quick(self, options: BuildOptions) -> tuple[Mapping[str, Page], tuple[str, ...]] | None:
        """The quick build of one post edited in place, when that is all that changed."""
        changed, self.pending = self.pending, set()
        snapshot, cache = self.snapshot, self.cache
        if snapshot is None or cache is None:
            return None
        # One post, and maybe files beside it that no build reads: an editor's backup or swap
        # file, vim's '4913' (not in a bundle, whose files are all the post's resources, and not
        # a folder of posts moved away).
        posts = [p for p in changed if p.suffix.lower() in POST_SUFFIXES and p.name[0] not in "._"]
        if len(posts) != 1:
            return None
        (file,) = posts
        others = changed - {file}
        if others and (
            file.stem.lower() == "index"
            or any(p.parent != file.parent or snapshot.holds_documents(p) for p in others)
        ):
            return None
        if snapshot.settings != _settings(options):
            return None
        output = options.output.resolve()

        def staging(records: Mapping[str, Page]) -> Staging:
            return Staging(output, records.keys(), records, self.publishing)

        from hubgen.quick import rebuild_post  # imported by the session's first build

        done = rebuild_post(snapshot, file, options.now, cache, self.posts, staging)
        if done is not None:
            self.cache = cache.carry(str(output), done[0], partial=True)
        return done

    def close(self) -> None:
        self.wait()
        if self.cache is not None:
            self.cache.save(None, {})


# how long a warming waits after its build: long enough for the browser's reload, which asks
# for the page some 50 ms after it is told; short beside the time an editor takes to save again
_WARM_AFTER = 0.25

# objects made since the last collection (``gc.get_count``) that a warming still collects: a few
# milliseconds' worth
_SMALL_COLLECTION = 100_000

# glibc's mallopt parameters
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP = 4 * 1024 * 1024


def _keep_memory() -> None:
    """Have the C heap keep what it frees, and serve blocks up to 4 MiB itself (glibc).

    A build allocates and frees pages, feeds and bodies of up to megabytes, over and over. By
    default glibc maps many of them afresh and hands them back when freed, and trims the heap
    whenever its top is free, so the same memory is faulted in again and again, which is costly
    on a virtual machine. Larger blocks (the bodies coming back from workers, in chunks of tens
    of megabytes) are still mapped and handed back, so they leave no holes in the heap: kept,
    they added 30 MB to the peak. ``give_back_memory`` still returns what is free, once, before
    workers are forked. Elsewhere nothing.
    """
    mallopt = libc("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, _KEEP)
        mallopt(_M_TRIM_THRESHOLD, 4 * _KEEP)


def _failed(problems: Problems, strict: bool) -> bool:
    return bool(problems.errors) or (strict and bool(problems.warnings))


def _settings(options: BuildOptions) -> str:
    """Everything but the files that decides what a build writes."""
    chosen = (options.drafts, options.future, options.base_url, options.keep_going, options.strict)
    return json.dumps([code(), str(options.output.resolve()), *chosen])


def _static(staging: Staging, published: Mapping[str, Page], file: Path, relative: str) -> Page:
    """A static file into the new site: kept when the published copy is of the same source."""
    status = file.stat()
    key = f"static {status.st_size} {status.st_mtime_ns} {file}"
    old = published.get(relative)
    if (
        old is not None
        and old.fingerprint == key
        and staging.intact(relative, old.size, old.mtime_ns)
    ):
        kept = staging.keep(relative)
        return old if kept is None else Page(key, kept.st_size, kept.st_mtime_ns, None, kept.st_ino)
    copied = staging.copy(file, relative)
    return Page(key, copied.st_size, copied.st_mtime_ns, None, copied.st_ino)


class _Ready:
    """The rest of hubgen imported, and the Jinja environment made with every template compiled,
    while workers read the posts or render their bodies, on the processor this process would
    otherwise leave idle: before, it was 0.35 s of each cold build, with both processors' work
    waiting for it (0.2 s of imports before reading, 0.15 s of compiling before rendering).

    The imports come first, while the posts are read: the workers that render the bodies are
    forked with them. The templates are compiled then only while the readers are still at work
    (a small hub's are done before this process is: at 1,000 posts it kept them waiting 0.25 s),
    and the rest while the bodies are rendered. A template that does not compile is left for the
    build to report where it is used.
    """

    def __init__(self, root: Path, theme: Theme, config: SiteConfig) -> None:
        import hubgen.resume  # noqa: F401 - and with it every step after reading

        self.env = environment(root, theme, config)
        names = self.env.list_templates(filter_func=lambda name: not name.startswith("!"))
        self._left = names[::-1]  # taken from the end

    def compile(self, until: Callable[[], bool] | None = None) -> None:
        """Compile the templates not compiled yet, or as many as there are before ``until``."""
        while self._left and not (until is not None and until()):
            with contextlib.suppress(jinja2.TemplateError, UnicodeDecodeError, OSError):
                self.env.get_template(self._left.pop())


# What whole builds made, left to the end of a process that ends once its build is done (the
# ``hubgen`` command: see ``cli.run``), not freed one object at a time as the build returns
# (0.09 s after 10,000 posts); None in any other process, which frees it as usual.
_left: list[object] | None = None


def leave_to_the_exit() -> None:
    """From now on, leave what each whole build made to the end of the process."""
    global _left
    _left = []


def build(
    options: BuildOptions, progress: Progress | None = None, session: Session | None = None
) -> BuildResult:
    """Build the hub ``options`` name; problems are in the result, never raised.

    Reading and assembling make millions of objects that live to the end and form no cycles: the
    cyclic garbage collector would go over them again and again for nothing (a third of a
    rebuild). It is paused for the build; workers collect what each chunk of pages left (see
    ``parallel``), and a session after its warming (see ``Session``).
    """
    if session is not None:
        session.wait()  # its warming pauses the collector too
    collecting = gc.isenabled()
    gc.disable()
    _keep_memory()
    try:
        return _build(options, progress, session)
    except BaseException:
        if session is not None:  # what the published folder holds is not known now
            session.untrust()
        raise
    finally:
        if collecting:
            gc.enable()
        if session is not None:  # after any build that left a snapshot, quick or not
            session._warm()


def _build(
    options: BuildOptions, progress: Progress | None, session: Session | None
) -> BuildResult:
    started = time.perf_counter()
    problems = Problems()

    def result(
        pages: int = 0, files: int = 0, published: bool = False, rendered: tuple[str, ...] = ()
    ) -> BuildResult:
        items = problems.items
        if options.strict:
            items = [Problem(p.path, p.line, p.column, p.message, p.hint, "error") for p in items]
        seconds = time.perf_counter() - started
        return BuildResult(tuple(sorted(set(items))), pages, files, seconds, published, rendered)

    root = options.root.resolve()
    cache_folder = root / FOLDER
    output = options.output.resolve()
    state = None
    completed = False
    if options.write:  # only a build that publishes can find it has nothing to do
        completed = recover(output)  # a commit cut short is completed before anything else
        leftovers = [
            p for kind in ("new", "old") for p in output.parent.glob(f".{output.name}.{kind}-*")
        ]
        leftovers.append(output.parent / f".{output.name}.commit")
    if options.write and session is not None and not completed:
        quick = session._quick(options)
        if quick is not None and session.snapshot is not None:
            problems.extend(session.snapshot.problems)
            return result(session.snapshot.pages, session.snapshot.files, True, quick[1])
    if session is not None:
        session.snapshot = None  # this build goes the whole way: it makes the next one
    if options.write and session is None:  # a session builds only when something changed
        state = inputs.take(
            [root], _settings(options), skip=[output, cache_folder, root / ".git", *leftovers]
        )
        done = inputs.unchanged(cache_folder, state, options.output, options.now)
        if done is not None:  # the same input as the published site was built from
            return result(done.pages, done.files, published=True)

    overrides: dict[str, object] | None = (
        {"base_url": options.base_url} if options.base_url else None
    )
    loaded, config_problems = load_config(options.root, overrides)
    problems.extend(config_problems)
    if loaded is None:
        return result()
    config = loaded.config
    theme, theme_problems = load_theme(options.root, config.theme, loaded.theme_position)
    problems.extend(theme_problems)
    if options.write:
        refused = check_output(options.output, options.root)
        if refused is not None:
            problems.add(refused)
    if theme is None or problems.errors:
        return result()

    carried = session.cache if session is not None else None
    cache = carried or BuildCache.load(options.root, code(), output)
    stored = cache_folder / per_output(RESUME, output)  # what the last build kept for ``resume``
    if state is not None and not completed and stored.is_file():  # maybe one post was edited
        from hubgen import resume
        from hubgen.render import Renderer

        env = environment(options.root, theme, config)
        renderer = Renderer(env, options.root, theme)
        settings = _settings(options)
        again = resume.rebuild(root, output, state, settings, options.now, config, renderer, cache)
        if again is not None:
            problems.extend(again.warnings)
            done_now = inputs.Done(again.pages, again.files) if not again.warnings else None
            inputs.save(cache_folder, state, options.output, again.upto, done_now)
            return result(again.pages, again.files, True, again.rendered)
        if cache.used_bodies:  # what the attempt used is not what this build uses
            cache = BuildCache.load(options.root, code(), output)
    if completed:  # the published files are not those the cache recorded
        cache.pages = {}
    reads = session.reads if session is not None else None
    ready: list[_Ready] = []

    def meanwhile() -> None:  # while the posts are read (once they are, if not in parallel)
        ready.append(_Ready(options.root, theme, config))
        ready[0].compile(until=lambda: not parallel.busy())

    content = read_content(
        options.root,
        config,
        problems,
        cache.yaml,
        reads,
        meanwhile,
    )
    if reads is not None:
        reads.done()
    else:  # in its own process: the remembered YAML is saved now, and its memory freed
        cache.let_go_of_yaml()
    # imported by ``_Ready`` while the posts were read (if there were any to read)
    from hubgen import calendars, resume
    from hubgen.outputs import find_icon
    from hubgen.plan import plan
    from hubgen.quick import Snapshot
    from hubgen.render import Renderer, render_all
    from hubgen.site import assemble

    prints = Fingerprints(session.prints) if session is not None else Fingerprints()
    places: dict[str, str] = {}  # what placed each post, for ``resume``
    documents = [content.posts]  # held no longer than ``content``
    zones = [g.spec.timezone or config.timezone for g in content.groups if g.spec.meetings]

    def with_the_bodies() -> None:  # while workers render the bodies, if they do
        if ready:
            ready[0].compile()
        if state is not None:
            places.update(resume.where(documents[0]))  # not their bodies: 0.13 s at 10,000
        calendars.warm(zones)  # for the page workers

    site = assemble(
        content,
        config,
        problems,
        drafts=options.drafts,
        future=options.future,
        now=options.now,
        cache=cache,
        reuse=session.posts if session is not None else None,
        prints=prints,
        meanwhile=with_the_bodies,
    )
    # the date of the next post to come, when the site changes by itself
    coming = min((d.date for d in content.posts if d.date and d.date > options.now), default=None)
    if state is not None and not places:  # the bodies were not rendered in parallel
        places.update(resume.where(documents[0]))
    documents.clear()
    del content  # the sources, bodies and all, are in the site now as what they became
    give_back_memory()  # before workers are forked with a copy of it
    icon = config.feeds.icon or find_icon((*theme.static_dirs, options.root / "static"))
    jobs = plan(site, problems, icon)
    if ready:
        ready[0].compile()  # what is left (if the bodies were not rendered in parallel)
    env = ready[0].env if ready else environment(options.root, theme, config)
    renderer = Renderer(env, options.root, theme, prints, serving=session is not None)

    static = static_files(
        [*((d, d.parent) for d in theme.static_dirs), (options.root / "static", options.root)],
        options.root,
        problems,
    )
    static |= {path.lstrip("/"): file for file, path in site.resources}
    # what the cache knows of the published site: every file, with the fingerprint it was made for
    published = cache.pages if cache.output == str(output) else {}
    # a session's own last build left the folder as its records say (and nobody else writes it)
    trusted = published if carried is not None else None
    staging = (
        Staging(
            options.output,
            published.keys() or None,
            trusted,
            session.publishing if session is not None else None,
        )
        if options.write
        else None
    )
    storing = None
    if state is not None:  # for the next build, when one post is all that changes
        storing = resume.Storing(cache_folder, output, cache, state, site, jobs, places)
    try:
        rendering = render_all(
            jobs,
            renderer,
            site,
            problems,
            staging,
            progress,
            published,
            forked=storing.start if storing is not None else None,
        )
        written = set(rendering.files)
        records = dict(rendering.files)
        for relative, file in sorted(static.items()):
            if relative in written:
                shown = display_path(file, options.root)
                problems.error(shown, 0, 0, f"this file would replace the page /{relative}")
            elif staging is not None:
                records[relative] = _static(staging, published, file, relative)
        publish = staging is not None and (
            not _failed(problems, options.strict) or options.keep_going
        )
        kept = {k: v for k, v in records.items() if v is not None}
        if publish and staging is not None:
            staging.publish(records)
        if storing is not None:
            storing.wait()  # it saves the cache's bodies
        if session is not None:  # the files are saved when the session closes
            session.cache = cache.carry(
                *((str(output), kept) if publish else (cache.output, published))
            )
            session.prints = renderer.prints
        elif publish:
            cache.save(output, kept)
        else:  # the published site is as it was: keep what the cache says of it
            cache.save(None, {})
    except BaseException:
        if storing is not None:
            storing.abandon()
        raise
    finally:
        if staging is not None:
            staging.discard()
    pages = sum(r.endswith(".html") for r in written)
    files = len(written | static.keys())
    if storing is not None and publish and not problems.errors:
        made = resume.Done(pages, files, (), coming, tuple(problems.items))
        storing.finish(_settings(options), made)
    elif storing is not None:
        storing.abandon()
        if publish:  # published all the same (--keep-going): not a build to go on from
            resume.forget(cache_folder, output)
    if session is not None and publish and not problems.errors:
        session.snapshot = Snapshot(
            _settings(options),
            coming,
            options.root,
            config,
            site,
            jobs,
            renderer,
            tuple(problems.items),
            pages,
            files,
            icon,
        )
        renderer.keep_macros()  # for the quick builds of this session: see ``Cached``
    if state is not None:
        clean = publish and not problems.items
        done = inputs.Done(pages, files) if clean else None
        # every file a full build published, as written: what the folder holds, not walked
        known = None
        if staging is not None and staging.marked is not None and len(kept) == len(records):
            mark = staging.marked
            known = {k: (p.size, p.mtime_ns, p.inode) for k, p in kept.items()}
            known[MARK] = (mark.st_size, mark.st_mtime_ns, mark.st_ino)
        inputs.save(cache_folder, state, options.output, coming, done, known)
    if _left is not None and session is None:
        _left.append(locals())  # the site, its jobs, the renderer…: left to the process's end
    return result(pages, files, publish, tuple(sorted(rendering.rendered)))
