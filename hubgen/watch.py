"""The dev server's watch loop: which files it watches, how bursts coalesce, what a rebuild tells.

Two watchfiles watchers feed one queue: one over ``content/``, ``themes/``, ``templates/`` and
``static/`` (recursively), one over the hub's own folder alone (``site.yaml``, and those folders
appearing or going, which restarts the first). The hub folder itself is not watched recursively:
it may hold a large ``public/`` or ``.git/`` that has nothing to do with the build.

A burst (a ``git checkout`` of 500 files, an editor's save-rename-delete) arrives as one batch:
watchfiles groups changes until none came for ``step`` ms (5; it looks once a step, so a change
is reported 5 to 10 ms after it), and ``batches`` then keeps draining the queue until it stays
quiet for ``settle`` seconds, so the two watchers' batches merge too. A save (a file or two, at
most an editor's three, whose steps come microseconds apart) settles in 5 ms more; once a batch
holds more, it is a burst, and waits until the queue has been quiet for 250 ms: a checkout that
pauses for the disk is still one. So does a change in the hub's own folder (``site.yaml``),
which rebuilds everything anyway: its watcher, with one file to report, may report it before the
other has reported the rest of a checkout. Changes made during a build wait in the queue and
make one more build after it.
"""

from __future__ import annotations

import datetime as dt
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TextIO

import watchfiles

from hubgen.build import BuildOptions, BuildResult, Session, build
from hubgen.cli import report
from hubgen.errors import Problem, display_path
from hubgen.livereload import Broker, shown

WATCHED = ("content", "themes", "templates", "static")
SETTLE_SECONDS = 0.005
BURST_FILES, BURST_SECONDS = 3, 0.25  # a batch of more files is a burst, given longer to settle

Changes = frozenset[Path]


class Watcher:
    """Puts each batch of changed paths under the hub's watched files into ``changes``."""

    def __init__(self, root: Path, step_ms: int = 5) -> None:
        self.root = root.resolve()
        self.step_ms = step_ms
        self.changes: queue.Queue[set[Path]] = queue.Queue()
        self._stop = threading.Event()
        self._tree_stop = threading.Event()

    def _watch(
        self, paths: list[Path], stop: threading.Event, recursive: bool, ready: threading.Event
    ) -> None:
        try:
            # Timeouts yield empty batches: the first one says the watches are in place.
            for batch in watchfiles.watch(
                *paths,
                step=self.step_ms,
                stop_event=stop,
                recursive=recursive,
                rust_timeout=100,
                yield_on_timeout=True,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                ready.set()
                found = {Path(name) for _, name in batch}
                if not recursive:
                    # In the hub's own folder only site.yaml matters (and other YAML files, which
                    # it may name as its authors_file), and watched folders that appear or go:
                    # then the recursive watcher starts over with the new set.
                    moved = {
                        Path(name)
                        for change, name in batch
                        if change != watchfiles.Change.modified and Path(name).name in WATCHED
                    }
                    found = {p for p in found if p.suffix in (".yaml", ".yml")} | moved
                    if moved:
                        self._restart_tree()
                if found:
                    self.changes.put(found)
        except Exception:  # a watched folder went away: keep serving, say so
            print(f"hubgen: stopped watching {', '.join(map(str, paths))}:", file=sys.stderr)
            traceback.print_exc()
        finally:
            ready.set()

    def _start(self, paths: list[Path], stop: threading.Event, recursive: bool) -> threading.Event:
        ready = threading.Event()
        threading.Thread(
            target=self._watch,
            args=(paths, stop, recursive, ready),
            name="hubgen-watch",
            daemon=True,
        ).start()
        return ready

    def _restart_tree(self) -> threading.Event | None:
        self._tree_stop.set()
        self._tree_stop = threading.Event()
        folders = [self.root / name for name in WATCHED if (self.root / name).is_dir()]
        return self._start(folders, self._tree_stop, recursive=True) if folders else None

    def start(self, timeout: float = 10.0) -> None:
        """Start watching; returns once the watches are in place."""
        tree = self._restart_tree()
        top = self._start([self.root], self._stop, recursive=False)
        for ready in (tree, top):
            if ready is not None:
                ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._tree_stop.set()

    def waits_long(self, batch: AbstractSet[Path]) -> bool:
        """Whether ``batch`` waits for a burst's quiet: more files than a save, or a change in the
        hub's own folder (see the module's text)."""
        return len(batch) > BURST_FILES or any(path.parent == self.root for path in batch)


def batches(
    changes: queue.Queue[set[Path]],
    stop: threading.Event,
    settle: float = SETTLE_SECONDS,
    waits_long: Callable[[AbstractSet[Path]], bool] = lambda batch: len(batch) > BURST_FILES,
) -> Iterator[Changes]:
    """Each burst of changes as one set: drained until the queue stays empty for ``settle``, or
    for ``BURST_SECONDS`` once ``waits_long`` says so of what it holds."""
    while not stop.is_set():
        try:
            pending = set(changes.get(timeout=0.25))
        except queue.Empty:
            continue
        while True:
            try:
                wait = max(settle, BURST_SECONDS) if waits_long(pending) else settle
                pending |= changes.get(timeout=wait)
            except queue.Empty:
                break
        yield frozenset(pending)


def describe(changed: Changes, root: Path) -> str:
    names = sorted(display_path(p, root) for p in changed)
    more = f" and {len(names) - 1} more" if len(names) > 1 else ""
    return f"{names[0]}{more}" if names else "nothing"


Build = Callable[[BuildOptions], BuildResult]


class Rebuilder:
    """Runs one build per batch of changes, prints it like ``hubgen build``, tells the broker.

    Never raises for anything the build raises: the error is printed and shown in the browser,
    and the last good build stays served.
    """

    def __init__(
        self,
        options: BuildOptions,
        broker: Broker,
        stream: TextIO = sys.stdout,
        errors: TextIO = sys.stderr,
        run: Build | None = None,
        publishing: threading.Lock | None = None,
    ) -> None:
        self.options = options
        # One session for all the builds: each redoes only what the changes call for.
        self.session = Session(publishing=publishing or threading.Lock())
        self.broker = broker
        self.stream = stream
        self.errors = errors
        self.run = run if run is not None else partial(build, session=self.session)
        self.unpublished: set[Path] = set()  # changes not yet in a published build
        self.builds = 0
        self.published = 0

    def __call__(self, changed: Changes, verb: str = "Rebuilt") -> bool:
        """Build once; True when the build was published."""
        self.unpublished |= changed
        self.session.changed(changed)
        self.builds += 1
        root = self.options.root
        started = time.perf_counter()
        try:
            # A new 'now' each time: a post whose date has come appears without a restart.
            result = self.run(replace(self.options, now=dt.datetime.now(dt.UTC)))
        except Exception as error:
            traceback.print_exc(file=self.errors)
            problem = Problem(
                "hubgen",
                0,
                0,
                f"internal error: {type(error).__name__}: {error}",
                "this is a bug in hubgen; the traceback is in the terminal",
            )
            result = BuildResult((problem,))
        milliseconds = (time.perf_counter() - started) * 1000
        report(result.problems, root, self.errors)
        if result.published:
            css_only = bool(self.unpublished) and all(
                p.suffix.lower() == ".css" for p in self.unpublished
            )
            what = f" ({describe(frozenset(self.unpublished), root)})" if changed else ""
            self.unpublished = set()
            self.published += 1
            self.broker.published(css_only)
            counts = f"{result.pages} pages, {result.files} files, {len(result.rendered)} rendered"
            print(f"{verb} in {milliseconds:.0f} ms: {counts}{what}", file=self.stream, flush=True)
            return True
        self.broker.failed(shown(result.problems, root))
        still = (
            "still serving the last good build"
            if self.published
            else "the site is served once it builds"
        )
        print(f"Build failed in {milliseconds:.0f} ms; {still}.", file=self.errors, flush=True)
        return False
