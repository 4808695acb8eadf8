"""What both Markdown engines share: heading ids, link safety, highlighting and plain text."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable

from mdit_py_plugins.anchors.index import unique_slug
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from hubgen.errors import Problem

__all__ = [
    "MORE",
    "LinkResolver",
    "anchor_slug",
    "clean",
    "ended",
    "highlight_block",
    "link_problem",
    "unique_slug",
    "unsafe",
]

MORE = "<!--more-->"
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
RESERVED_IDS = frozenset({"main", "content", "top"})  # ids the theme's layout uses
# Given an href as written in a source file: the URL to use instead, "" to leave it alone,
# or None when it names a source file that does not exist.
LinkResolver = Callable[[str], str | None]
_FORMATTER = HtmlFormatter(nowrap=True)
_SPACES_AND_CONTROLS = dict.fromkeys(range(ord(" ") + 1))  # left out of a URL's scheme
_NOT_IN_SLUG = re.compile(r"[^\w\- ]")
_SLUG_BREAKS = re.compile(r"[\s-]+")


def anchor_slug(text: str) -> str:
    slug = _NOT_IN_SLUG.sub("", text.strip().lower())
    slug = _SLUG_BREAKS.sub("-", slug).strip("-") or "section"
    return f"{slug}-section" if slug in RESERVED_IDS else slug


@functools.lru_cache(maxsize=256)
def _lexer(language: str) -> Lexer | None:
    """Pygments' lexer for a language name (finding one takes a third of a millisecond)."""
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


@functools.lru_cache(maxsize=4096)
def highlight_block(code: str, language: str) -> str:
    """A fenced block highlighted by Pygments, or "" when no lexer knows the language."""
    lexer = _lexer(language)
    if lexer is None:
        return ""
    body = highlight(code, lexer, _FORMATTER)
    lang = html.escape(language, quote=True)
    return f'<pre class="highlight"><code class="language-{lang}">{body}</code></pre>\n'


def unsafe(url: str) -> bool:
    """A URL whose scheme runs code or embeds content: javascript:, vbscript:, data:, file:."""
    if ":" not in url:
        return False
    return url.translate(_SPACES_AND_CONTROLS).lower().startswith(UNSAFE_SCHEMES)


def unsafe_problem(source: str, line: int, url: str) -> Problem:
    return Problem(
        source,
        line,
        1,
        f"unsafe URL refused: {url[:60]}",
        "links must be http(s), mailto or site paths",
    )


def link_problem(source: str, line: int, href: str) -> Problem:
    hint = "links to other posts name their source file, e.g. ../other-post.md"
    return Problem(source, line, 1, f"link to a missing file: {href}", hint)


def ended(body: str) -> str:
    """The body with its last line ended: the engines differ on code left open at the end."""
    return body if body.endswith("\n") else body + "\n"


def clean(text: str) -> str:
    return " ".join(text.split())
