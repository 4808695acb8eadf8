"""Markdown (and raw HTML) bodies to HTML, with summary, table of contents and checked links.

Two engines give the same pages: markdown-it-pyrs (:mod:`hubgen.markdown_fast`) renders the
bodies it can render exactly, and markdown-it-py, with hubgen's plugins, renders the rest.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from hubgen import markdown_fast
from hubgen.errors import Problem
from hubgen.markdown_common import (
    MORE,
    LinkResolver,
    anchor_slug,
    clean,
    ended,
    highlight_block,
    link_problem,
    unsafe,
    unsafe_problem,
)
from hubgen.models import Rendered, TocEntry

__all__ = ["LinkResolver", "MarkdownRenderer", "PythonMarkdown", "render_html_body"]

_TAGS = re.compile(r"<[^>]*>")
_FIRST_PARAGRAPH = re.compile(r"<p[\s>].*?</p>", re.DOTALL | re.IGNORECASE)


def _highlight_fence(code: str, language: str, _attrs: Any) -> str:
    return highlight_block(code, language.strip().lower()) if language.strip() else ""


def _check_links(state: StateCore) -> None:
    """Refuse unsafe URLs, and point links to source files at their pages."""
    resolve: LinkResolver | None = state.env.get("resolve")
    found: list[Problem] = state.env.setdefault("link_problems", [])
    source: str = state.env["source"]
    for block in state.tokens:
        line = (block.map[0] if block.map else 0) + state.env.get("body_line", 1)
        for token in block.children or ():
            if token.type in ("softbreak", "hardbreak"):
                line += 1  # the line of the link itself, not of its paragraph
                continue
            attribute = (
                "href" if token.type == "link_open" else "src" if token.type == "image" else ""
            )
            if not attribute:
                continue
            value = str(token.attrGet(attribute) or "")
            if unsafe(value):
                found.append(unsafe_problem(source, line, value))
                token.attrSet(attribute, "#")
                continue
            if resolve is None or token.type != "link_open":
                continue
            target = resolve(value)
            if target is None:
                found.append(link_problem(source, line, value))
            elif target:
                token.attrSet("href", target)
            final = str(token.attrGet("href"))
            if "#" in final and final.startswith(("#", "/")):
                state.env.setdefault("fragments", []).append((line, final))


def _text(tokens: Sequence[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_text(token.children))
    return "".join(parts)


def _footnotes_open(*_args: Any) -> str:
    return '<hr class="footnotes-sep">\n<div class="footnotes" role="doc-endnotes">\n<ol class="footnotes-list">\n'


def _footnotes_close(*_args: Any) -> str:
    return "</ol>\n</div>\n"


class PythonMarkdown:
    """markdown-it-py with hubgen's plugins: renders every body; build once, render many."""

    def __init__(self, raw_html: bool) -> None:
        md = MarkdownIt(
            "commonmark", {"html": raw_html, "xhtmlOut": False, "highlight": _highlight_fence}
        )
        md.enable(["table", "strikethrough"])
        md.use(footnote_plugin).use(tasklists_plugin).use(deflist_plugin)
        md.use(anchors_plugin, min_level=1, max_level=6, slug_func=anchor_slug)
        md.validateLink = lambda url: True  # type: ignore[method-assign]  # refused with an error below
        md.core.ruler.push("hubgen_links", _check_links)
        # A <section> without a heading draws a validator warning; footnotes are a list of notes.
        md.add_render_rule("footnote_block_open", _footnotes_open)
        md.add_render_rule("footnote_block_close", _footnotes_close)
        self._md = md

    def render(
        self,
        body: str,
        *,
        source: str,
        body_line: int = 1,
        resolve: LinkResolver | None = None,
        toc_min: int = 3,
    ) -> tuple[Rendered, list[Problem]]:
        body = ended(body)
        env: dict[str, Any] = {"resolve": resolve, "body_line": body_line, "source": source}
        tokens = self._md.parse(body, env)
        content = self._md.renderer.render(tokens, self._md.options, env)
        problems: list[Problem] = env["link_problems"]
        words = 0
        headings: list[TocEntry] = []
        first_paragraph = ""
        for index, token in enumerate(tokens):
            if token.type == "inline":
                words += len(_text([token]).split())
            elif token.type == "heading_open" and token.tag in ("h2", "h3"):
                title = clean(_text([tokens[index + 1]]))
                headings.append(TocEntry(int(token.tag[1]), str(token.attrGet("id") or ""), title))
            elif token.type == "paragraph_open" and token.level == 0 and not first_paragraph:
                first_paragraph = clean(_text([tokens[index + 1]]))
        if MORE in body:
            lead = self._md.parse(body.split(MORE, 1)[0], {"source": source})
            summary = clean(" ".join(_text([t]) for t in lead if t.type == "inline"))
        else:
            summary = first_paragraph
        toc = tuple(headings) if len(headings) >= toc_min else ()
        # markdown-it escapes text itself; raw HTML passes only where the site allows it
        fragments = tuple(env.get("fragments", ()))
        return Rendered(Markup(content), summary, toc, words, fragments), problems  # noqa: S704  # nosec


class MarkdownRenderer:
    """Markdown bodies to HTML: markdown-it-pyrs where it gives the same page, markdown-it-py elsewhere.

    ``HUBGEN_MARKDOWN=python`` keeps every body on markdown-it-py.
    """

    def __init__(self, raw_html: bool) -> None:
        self._raw_html = raw_html
        self._python: PythonMarkdown | None = None  # made at its first need (a few milliseconds)
        fast = markdown_fast.AVAILABLE and os.environ.get("HUBGEN_MARKDOWN") != "python"
        self._fast = markdown_fast.FastMarkdown(raw_html) if fast else None

    def render(
        self,
        body: str,
        *,
        source: str,
        body_line: int = 1,
        resolve: LinkResolver | None = None,
        toc_min: int = 3,
    ) -> tuple[Rendered, list[Problem]]:
        if self._fast is not None:
            done = self._fast.render(
                body, source=source, body_line=body_line, resolve=resolve, toc_min=toc_min
            )
            if done is not None:
                return done
        if self._python is None:
            self._python = PythonMarkdown(self._raw_html)
        return self._python.render(
            body, source=source, body_line=body_line, resolve=resolve, toc_min=toc_min
        )


def render_html_body(body: str) -> Rendered:
    """A raw HTML body (an ``.html`` post): used as is; the summary is plain text."""
    if MORE in body:
        lead = body.split(MORE, 1)[0]
    else:
        match = _FIRST_PARAGRAPH.search(body)
        lead = match.group(0) if match else ""
    summary = clean(html.unescape(_TAGS.sub(" ", lead)))
    words = len(html.unescape(_TAGS.sub(" ", body)).split())
    # editors are trusted with raw HTML in posts
    return Rendered(Markup(body), summary, (), words)  # noqa: S704  # nosec
