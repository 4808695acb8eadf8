"""Links between pages: source-file links become URLs, site paths get the base path, anchors exist."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hubgen.errors import Problems
from hubgen.markdown import LinkResolver
from hubgen.models import Rendered

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SOURCE_SUFFIXES = (".md", ".markdown")
_ID = re.compile(r"""\sid=["']([^"']+)["']""")


def site_paths(base_path: str) -> LinkResolver:
    """Links to site paths get base_url's path, so '/groups/' works when the hub is under '/hub/'."""
    prefix = base_path.rstrip("/")

    def resolve(href: str) -> str | None:
        if prefix and href.startswith("/") and not href.startswith(("//", prefix + "/")):
            return prefix + href
        return ""

    return resolve


def source_links(
    folder: Path, targets: Mapping[Path, str], unpublished: AbstractSet[Path], base_path: str
) -> LinkResolver:
    """Resolve links written in a file in ``folder``: ``../other.md#x`` becomes that page's URL.

    ``targets`` maps each published source file to its URL. A link to a ``.md`` file that is
    neither published nor held back (a draft, a future post) is broken: None.
    """
    site_path = site_paths(base_path)

    def resolve(href: str) -> str | None:
        if not href or _SCHEME.match(href) or href.startswith(("/", "#", "?")):
            return site_path(href)
        parts = urlsplit(href)
        if not parts.path.lower().endswith((*_SOURCE_SUFFIXES, ".html")):
            return ""
        target = (folder / unquote(parts.path)).resolve()
        if target in targets:
            return targets[target] + (f"#{parts.fragment}" if parts.fragment else "")
        if target in unpublished or not parts.path.lower().endswith(_SOURCE_SUFFIXES):
            return ""
        return None

    return resolve


def anchor_targets(page_url: str, fragments: Iterable[tuple[int, str]]) -> set[str]:
    """The pages that links to anchors (line, href) on the page ``page_url`` point into."""
    return {str(href).partition("#")[0] or page_url for _, href in fragments}


class Linked:
    """Of documents (source, URL, links to anchors as (line, href)), which link into each
    page's anchors, and where each is in their sequence. A change of one page's body may make
    links fare otherwise (see ``check_anchors``) only in the documents ``linking`` names; a
    session keeps this up to date, to find those without going over all the others."""

    def __init__(self, documents: Iterable[tuple[str, str, Sequence[tuple[int, str]]]]) -> None:
        self.position: dict[str, int] = {}
        self._source_at: dict[str, str] = {}
        self._into: dict[str, set[str]] = {}
        for index, (source, page_url, fragments) in enumerate(documents):
            self.position[source] = index
            self._source_at[page_url] = source
            self.links(source, page_url, fragments)

    def links(self, source: str, page_url: str, fragments: Iterable[tuple[int, str]]) -> None:
        """Note that the document at ``source`` links to anchors with ``fragments``."""
        for target in anchor_targets(page_url, fragments):
            self._into.setdefault(target, set()).add(source)

    def unlinks(self, source: str, page_url: str, fragments: Iterable[tuple[int, str]]) -> None:
        """Note that it no longer does."""
        for target in anchor_targets(page_url, fragments):
            self._into.get(target, set()).discard(source)

    def linking(self, page_url: str, fragments: Iterable[tuple[int, str]]) -> set[str]:
        """The documents whose anchors the page at ``page_url`` with links ``fragments`` may
        point to, and those that link into it (the page itself among them, if it does)."""
        wanted = anchor_targets(page_url, fragments)
        found = {self._source_at[u] for u in wanted if u in self._source_at}
        return found | self._into.get(page_url, set())


def check_anchors(rendered: Iterable[tuple[str, str, Rendered]], problems: Problems) -> None:
    """Warn about links to '#anchors' that their page does not have; takes (source, url, body)."""
    documents = list(rendered)
    bodies = {page_url: body for _, page_url, body in documents}
    ids: dict[str, set[str]] = {}  # found only in the pages that links point into

    def ids_of(page_url: str) -> set[str]:
        if page_url not in ids:
            ids[page_url] = set(_ID.findall(bodies[page_url].html))
        return ids[page_url]

    for source, page_url, body in documents:
        for line, href in body.fragments:
            target, _, fragment = href.partition("#")
            target = target or page_url
            if fragment and target in bodies and unquote(fragment) not in ids_of(target):
                problems.warning(
                    source,
                    line,
                    1,
                    f"link to a missing anchor: {href}",
                    "anchors are headings' ids",
                )
