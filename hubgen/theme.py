"""Themes: find a theme and its parents, and build the Jinja environment over them."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import shutil
import threading
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import Any

import jinja2
import markupsafe
from markupsafe import Markup

from hubgen.cache import FOLDER
from hubgen.config import SiteConfig
from hubgen.errors import Problem, display_path
from hubgen.fingerprint import code
from hubgen.groupspec import FORMAT_LABELS, KIND_LABELS, STATUS_LABELS
from hubgen.models import Noted, Post
from hubgen.routes import absolute, url
from hubgen.schema import CONFIG, validate
from hubgen.yamlio import load_mapping, read_file

PACKAGE = Path(__file__).parent
BUILTIN_TEMPLATES = PACKAGE / "templates"  # sitemap.xml and robots.txt; any theme may override them
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def builtin_themes() -> Path:
    """Themes shipped with hubgen: inside the package when installed, beside it in a checkout."""
    installed = PACKAGE / "themes"
    return installed if installed.is_dir() else PACKAGE.parent / "themes"


@dataclass(frozen=True)
class ThemeFile:
    __pydantic_config__ = CONFIG
    name: str
    parent: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Theme:
    name: str
    folders: tuple[Path, ...]  # the theme first, then its parent, and so on

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        return tuple(f / "templates" for f in self.folders)

    @property
    def static_dirs(self) -> tuple[Path, ...]:
        """Static folders in copy order: the furthest parent first, so children override."""
        return tuple(f / "static" for f in reversed(self.folders))


def find_theme(root: Path, name: str) -> Path | None:
    for base in (root / "themes", builtin_themes()):
        folder = base / name
        if (folder / "templates").is_dir():
            return folder
    return None


def load_theme(root: Path, name: str, where: tuple[int, int]) -> tuple[Theme | None, list[Problem]]:
    folders: list[Path] = []
    current: str | None = name
    source, (line, column) = "site.yaml", where
    while current is not None:
        folder = find_theme(root, current)
        if folder is None:
            searched = f"{display_path(root / 'themes', root)}/, {builtin_themes()}"
            return None, [
                Problem(source, line, column, f"unknown theme '{current}'", f"searched {searched}")
            ]
        if folder in folders:
            return None, [Problem(source, line, column, f"theme '{current}' is its own ancestor")]
        folders.append(folder)
        meta_file = folder / "theme.yaml"
        if not meta_file.is_file():
            break
        source = display_path(meta_file, root)
        raw, problems = read_file(meta_file, source)
        data, marks, load_problems = load_mapping(raw or b"", source, "theme.yaml")
        problems += load_problems
        if raw is None or data is None:
            return None, problems
        meta, errors = validate(ThemeFile, data or {"name": current}, marks, source)
        if meta is None:
            return None, errors
        current = meta.parent
        line, column = marks.value(("parent",))
    return Theme(name, tuple(folders)), []


def _date(value: dt.date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _isodate(value: dt.date) -> str:
    return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()


def _datetime_iso(value: dt.date) -> str:
    return value.isoformat()


def search_path(root: Path, theme: Theme) -> list[Path]:
    return [root / "templates", *theme.template_dirs, BUILTIN_TEMPLATES]


def _bytecode_cache(root: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the build cache, checked against each template's source, in a
    folder of hubgen's code and library versions (``fingerprint.code``): Jinja's check is of the
    source alone, and code compiled by another Jinja, or for an environment of other options or
    filters, is never taken. The folders of other code are removed when this one is made."""
    base = root / FOLDER
    folder = base / f"jinja-{code()[:16]}"
    try:
        folder.mkdir(parents=True)
        for other in base.glob("jinja*"):  # other code's, and earlier hubgen's "jinja"
            if other != folder:
                shutil.rmtree(other, ignore_errors=True)
    except FileExistsError:  # made by an earlier build of this code
        pass
    except OSError:  # a hub in a read-only place compiles its templates every time
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


# markupsafe's escape, but for its two most frequent cases: a str escaped and made Markup without
# Markup.__new__ (a Python frame), and Markup, which is safe, as it is. (Its C function is not
# public: without it, markupsafe's escape does it all.)
_escape_inner = getattr(markupsafe, "_escape_inner", None)
_new_markup = str.__new__


def _escape(value: Any) -> Markup:
    kind = type(value)
    if kind is str and _escape_inner is not None:
        return _new_markup(Markup, _escape_inner(value))
    if kind is Markup:
        return value  # type: ignore[no-any-return]
    if kind is int:  # counts and page numbers, ten a page: digits, nothing to escape
        return _new_markup(Markup, str(value))
    return markupsafe.escape(value)


class _Template(jinja2.Template):
    """A template whose output escapes with ``_escape``: every ``{{ }}`` of every page calls
    it (about a hundred times a page), and markupsafe's own escape costs twice as much."""

    @classmethod
    def from_code(cls, *args: Any, **kwargs: Any) -> Any:
        template = super().from_code(*args, **kwargs)
        # the compiled module's functions (root, blocks, macros) share its namespace, where
        # the code's ``from jinja2.runtime import escape`` put markupsafe's
        namespace = template.root_render_func.__globals__
        if namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return template


class _Context(jinja2.runtime.Context):
    """A page's context, whose calls to macros, ``cached`` and plain functions such as ``url``
    (a page's most frequent calls) skip Jinja's search for a context, environment or evaluation
    context to pass them: none takes one, unless a function is marked to (``pass_context`` and
    the like). Anything else is called as Jinja calls it."""

    def call(self, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        kind = type(obj)
        if (
            kind is not jinja2.runtime.Macro
            and kind is not Cached
            and (kind is not FunctionType or "jinja_pass_arg" in obj.__dict__)
        ):
            return super().call(obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return obj(*args, **kwargs)
        except StopIteration:
            return self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class Noting(jinja2.Environment):
    """An environment that notes in ``Noted.reads`` the attributes templates read from posts,
    by name or by item (``post.title``, ``post['title']``, the ``attribute=`` of filters)."""

    template_class = _Template
    context_class = _Context

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals, its own over the environment's, merged into a dict; Jinja's
        ChainMap of the two is read key by key in Python by every page's context (12 µs a page)
        and by every import (``_get_default_module``). A template so made does not see globals
        the environment gains after it is loaded: hubgen sets them all in ``environment``."""
        return {**self.globals, **d} if d else dict(self.globals)

    # Every build renders through these, once for each ``a.b`` of every page: the usual case
    # (an attribute found) is jinja2's own first step, without a second call.
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is Post and Noted.reads is not None:
            Noted.reads.add(attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) is Post and Noted.reads is not None:
            Noted.reads.add(argument if isinstance(argument, str) else "*")
        return super().getitem(obj, argument)


_PLAIN = (str, int, float, bool, type(None))
_MUTABLE = (list, dict, set)  # may change while they are the same object: never cached


class Stopped(Exception):
    """A render for nothing, stopped because a build is waiting (see ``Cached.stop``)."""


class Cached:
    """``cached(macro, *args)`` in templates: the macro's output for the same arguments, made
    once (Hugo's ``partialCached``), when ``keeping``; else the macro's output each time.

    For macros whose output depends on their arguments alone, as a post's card or its line in
    the archive. Arguments are the same when equal (text, numbers) or the same object (a post, a
    tuple of posts: an edited post is a new one, in new tuples); lists, dicts and sets, which can
    change in place, are not cached. What the macro read of posts is noted again for each page
    that shows it. ``hubgen serve`` keeps outputs between its quick builds, where a retitled post
    renders the archive of every post again; a full build's workers keep them up to a budget
    (see ``bounded``).
    """

    def __init__(self) -> None:
        self.keeping = False
        # set: a render for nothing (a session's warming) is to stop at once (see ``Stopped``)
        self.stop: threading.Event | None = None
        self._outputs: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any, frozenset[str]]] = {}
        self._room: int | None = None  # characters of outputs still to keep; None: no limit

    @contextlib.contextmanager
    def bounded(self, room: int) -> Iterator[None]:
        """Within the block, unless outputs are kept already, keep the first ``room``
        characters' worth of them: a full build's workers, each rendering every listing that
        shows a post, make its card once (a tag's page, once the home pages made them, takes
        half the time), without holding a copy of every card of a large hub. Let go after."""
        if self.keeping:
            yield
            return
        self.keeping, self._room = True, room
        try:
            yield
        finally:
            self.keeping, self._room = False, None
            self._outputs.clear()

    def __call__(self, macro: Any, *args: Any, **kwargs: Any) -> Any:
        # A listing of a thousand posts calls this a thousand times: plain loops, no generators.
        if not isinstance(macro, jinja2.runtime.Macro):
            raise TypeError("cached() takes a macro, then its arguments")
        if self.stop is not None and self.stop.is_set():
            raise Stopped
        if not self.keeping:
            return macro(*args, **kwargs)
        values = (
            (*args, *(part for item in sorted(kwargs.items()) for part in item)) if kwargs else args
        )
        # the same macro in every page, though a template may import it anew in each
        parts: list[Any] = [macro._func.__code__, len(args)]
        for value in values:
            if isinstance(value, _MUTABLE):
                return macro(*args, **kwargs)
            # by type too: Markup('<b>') equals '<b>', True equals 1, and they show otherwise
            parts += (type(value), value if isinstance(value, _PLAIN) else id(value))
        key = tuple(parts)
        outer = Noted.reads
        known = self._outputs.get(key)
        if known is not None:
            if outer is not None:
                outer |= known[2]
            return known[1]
        Noted.reads = set()  # noted even for a page that is not: a later one may reuse it
        try:
            output = macro(*args, **kwargs)
        finally:
            inner, Noted.reads = Noted.reads, outer
        reads = frozenset(inner or ())
        if outer is not None:
            outer |= reads
        if self._room is not None:
            if self._room < len(output):
                return output
            self._room -= len(output)
        self._outputs[key] = (values, output, reads)  # the values, so no other takes their ids
        return output


def environment(root: Path, theme: Theme, config: SiteConfig) -> Noting:
    """One environment per build: site templates override the theme's, file by file.

    An override can extend the file it replaces as ``{% extends "!theme/base.html" %}``;
    ``!<theme name>/`` reaches one theme of the chain directly. It notes what templates read
    of posts, for the quick builds of one edited post (``quick``, ``resume``).
    """
    theme_loader = jinja2.FileSystemLoader([*theme.template_dirs, BUILTIN_TEMPLATES])
    prefixes: dict[str, jinja2.BaseLoader] = {"!theme": theme_loader}
    for folder in theme.folders:
        prefixes[f"!{folder.name}"] = jinja2.FileSystemLoader(folder / "templates")
    env = Noting(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PrefixLoader(prefixes, delimiter="/"),
                jinja2.FileSystemLoader(search_path(root, theme)),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(root),
        # A build reads each template once: no stat of every template a page extends, imports
        # or includes, for every page (three per page, 44,000 at 10,000 posts).
        auto_reload=False,
        # Every template kept in a dict: Jinja's default (400, least recently used) takes a lock
        # and moves the name to the end of a queue on each extends, import and include.
        cache_size=-1,
    )
    env.filters["date"] = _date
    env.filters["isodate"] = _isodate
    env.filters["datetime_iso"] = _datetime_iso
    # A page asks for the same few URLs (its navigation, its stylesheets) as every other page.
    known = functools.lru_cache(maxsize=1024)(lambda path: url(config, path))
    env.globals["url"] = lambda path: known(path) if type(path) is str else url(config, path)
    env.globals["abs_url"] = lambda path: absolute(config, url(config, path))
    env.globals["kind_labels"] = KIND_LABELS
    env.globals["format_labels"] = FORMAT_LABELS
    env.globals["status_labels"] = STATUS_LABELS
    env.globals["cached"] = Cached()
    env.globals["menu"] = main_menu(config)
    return env


# The main navigation when site.yaml names none.
DEFAULT_MENU = (("Blog", "/"), ("Groups", "/groups/"), ("Tags", "/tags/"), ("Archive", "/archive/"))


@dataclass(frozen=True)
class MenuLink:
    """An entry of the main navigation, as templates get it (``menu``)."""

    title: str
    url: str  # a site path with the base path, or an external URL as written
    section: bool  # whether the site's pages under ``url`` are in its section


def main_menu(config: SiteConfig) -> tuple[MenuLink, ...]:
    """site.yaml's ``menu`` (or Blog, Groups, Tags, Archive), each URL made once a build: a
    page's navigation is its template's most frequent calls otherwise."""
    home = url(config, "/")
    items = [(i.title, i.url) for i in config.menu] or [
        (t, url(config, p)) for t, p in DEFAULT_MENU
    ]
    links = []
    for title, href in items:
        # site paths ("/groups/") get the base path unless they carry it already
        site_path = href.startswith("/") and not href.startswith("//")
        if site_path and (home == "/" or not href.startswith(home)):
            href = url(config, href)
        section = href != home and href.startswith("/")
        links.append(MenuLink(title, href, section))
    return tuple(links)
