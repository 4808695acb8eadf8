"""The fast Markdown path: markdown-it-pyrs (Rust) for the bodies it renders exactly as markdown-it-py.

markdown-it-pyrs is about fifteen times faster than markdown-it-py but has no Python plugins, so
hubgen's own steps (heading ids, link checks and rewriting, Pygments) run here as a pass over its
output, guided by its syntax tree. That pass is only sound when every tag in the output came from
Markdown, so a body is taken only when it has no raw HTML and none of the constructs on which the
two engines are known to differ; :func:`render` returns None for the others, and markdown-it-py
renders them. ``tests/test_markdown_engines.py`` holds the two to the same HTML, summary, table of
contents, word count and problems, on the CommonMark spec, the fixtures and random documents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from markdown_it.common.utils import escapeHtml, unescapeAll
from markupsafe import Markup

from hubgen.errors import Problem
from hubgen.markdown_common import (
    MORE,
    LinkResolver,
    anchor_slug,
    clean,
    ended,
    highlight_block,
    link_problem,
    unique_slug,
    unsafe,
)
from hubgen.models import Rendered, TocEntry

try:
    import markdown_it_pyrs
except ImportError:  # pragma: no cover - no wheel for this platform: markdown-it-py does it all
    markdown_it_pyrs = None  # type: ignore[assignment]

AVAILABLE = markdown_it_pyrs is not None

INLINE = frozenset(
    {
        "text",
        "text_special",
        "em",
        "strong",
        "code_inline",
        "link",
        "autolink",
        "image",
        "softbreak",
        "hardbreak",
        "strikethrough",
    }
)
CONTAINERS = frozenset(
    {"blockquote", "bullet_list", "ordered_list", "list_item", "table", "thead", "tbody", "trow"}
)

# Constructs the two engines parse differently, or that need a plugin only markdown-it-py has:
# footnotes, numeric entities (they can spell a URL scheme), task lists, definition lists, and
# URL schemes that markdown-it-py refuses with an error but markdown-it-pyrs leaves as text.
_SLOW_STRINGS = ("[^", "&#")
_TASK = re.compile(r"\[[ xX]\]")
# a line that starts a definition: the first, or one after a line break (faster to search than
# '^' in MULTILINE mode, which is tried at every character)
_DEFINITION = re.compile(r"[ \t>]*[:~][ \t]")
_NEXT_DEFINITION = re.compile(r"\n[ \t>]*[:~][ \t]")
_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")
_PLAIN_START = re.compile(r"[^\s>*+-](?<!\d)|\d+(?![.)])")
# the ends of the names of schemes (javascript, vbscript, data, file) that markdown-it-py refuses:
# looked for before each ':' and '&', found with str.find (a search for the whole pattern tries
# it at every character of the body, and prose says "data" and "file" more than it has colons)
_SCHEME_NAMES = ("script", "data", "file")
_DELIMITER = re.compile(r"[*_~]")
_HTML_TAG = re.compile(r"<(?:[A-Za-z][A-Za-z0-9-]*[\s/>]|/[A-Za-z]|[!?])")
_UNICODE_SPACE = re.compile("[^\\S\\x00-\\x7f]")
_TAG = re.compile(r'<h([1-6])>|<a href="([^"]*)"|<pre><code[^>]*>')
_CODE_END = "</code></pre>\n"
_EMPTY_QUOTE = "<blockquote>\n</blockquote>"
# A '<' that starts none of the tags markdown-it-pyrs writes for what this path takes, images
# aside: HTML without one is read as it is, without a syntax tree (see ``_Read``).
_UNKNOWN_TAG = re.compile(
    r"<(?!/?(?:p|h[1-6]|em|strong|s|code|pre|blockquote|ul|li|table|thead|tbody|tr)>|(?:hr|br)>"
    r'|/(?:ol|a|th|td)>|ol(?: start="\d+")?>|a href="[^"<>]*"(?: title="[^"<>]*")?>'
    r'|t[hd](?: style="text-align:(?:left|center|right)")?>|code class="language-[^"<>]*">)'
)
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.DOTALL)
_CODE_BLOCK = re.compile(
    r'<pre><code(?: class="language-([^"]*)")?>(.*?)</code></pre>\n', re.DOTALL
)
_ANY_TAG = re.compile(r"<[^>]*>")
_CONTAINER = re.compile(r"<(/?)(p|blockquote|ul|ol)[ >]")
# what ends the text of a tight list item, just before a code block that follows it
_TEXT_END = re.compile(r"(?:[^>\n]|</(?:em|strong|s|a|code)>)\n\Z")


def _unicode_differs(body: str) -> bool:
    """Non-ASCII the engines treat differently: spaces (only markdown-it-py strips them from
    line ends) and symbols beside emphasis delimiters (they follow different spec versions)."""
    if body.isascii():
        return False
    if _UNICODE_SPACE.search(body):
        return True
    last = len(body) - 1
    for match in _DELIMITER.finditer(body):
        at = match.start()
        for char in (body[at - 1] if at else "", body[at + 1] if at < last else ""):
            if char and not char.isascii() and unicodedata.category(char)[0] not in "LNM":
                return True
    return False


def _lazy_quote(body: str) -> bool:
    """A line that continues a quote lazily, with fewer '>' than the line before it."""
    depth = 0
    for line in body.split("\n"):
        if not depth and ">" not in line:
            continue  # neither in a quote nor starting one
        text = line.lstrip(" \t>")
        level = line[: len(line) - len(text)].count(">")
        if text.strip() and level < depth:
            return True
        depth = level if text.strip() else 0
    return False


def _plain_tables(body: str) -> bool:
    """Whether every table starts at the margin after a blank line, outside lists and quotes, and
    ends at a blank line: the engines differ on tables that interrupt or run into other blocks."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if "|" not in line or "-" not in line or not _RULE.fullmatch(line):
            continue
        header = lines[index - 1] if index else ""
        before = lines[index - 2] if index > 1 else ""
        if line[0] in " \t" or before.strip() or not _PLAIN_START.match(header):
            return False
        for row in lines[index + 1 :]:
            if not row.strip():
                break
            if "|" not in row:
                return False
    return True


def _slow(body: str) -> bool:
    """Whether markdown-it-py must render this body: see ``_SLOW_STRINGS``."""
    if any(text in body for text in _SLOW_STRINGS):
        return True
    if (
        _TASK.search(body)
        or _DEFINITION.match(body)
        or _NEXT_DEFINITION.search(body)
        or _unicode_differs(body)
    ):
        return True
    if ">" in body and _lazy_quote(body):
        return True
    if "|" in body and not _plain_tables(body):
        return True
    return _scheme(body.lower())


def _scheme(lower: str) -> bool:
    """Whether a scheme's name is followed by what may end it: spaces or backslashes, then ':'
    or '&' (an entity may spell the colon)."""
    for end in ":&":
        at = lower.find(end)
        while at >= 0:
            name = at
            while name and (lower[name - 1].isspace() or lower[name - 1] == "\\"):
                name -= 1
            if lower.endswith(_SCHEME_NAMES, 0, name):
                return True
            at = lower.find(end, at + 1)
    return False


class _Walk:
    """What hubgen needs from one syntax tree, in document order; ``ok`` is False to refuse it."""

    def __init__(self, body: bytes, body_line: int) -> None:
        self.ok = True
        self.body = body
        self.body_line = body_line
        self.words = 0
        self.texts: list[str] = []  # the plain text of each run of inline content
        self.first_paragraph = ""
        self.headings: list[tuple[int, str, str]] = []  # level, text for the id, title
        self.links: list[int] = []  # the line of each link (line breaks before it in its run)
        # each code block: a fence's code (None when indented), its language (lower case, "" for
        # none), and whether it follows the text of a tight list item, where markdown-it-py
        # writes no line break before it
        self.codes: list[tuple[str | None, str, bool]] = []

    def block(self, children: Iterable[Any], depth: int) -> None:
        run: list[Any] = []
        for child in children:
            name = child.name
            if name in INLINE:
                run.append(child)
                continue
            glued = bool(run)
            if run:
                self.run(run)
                run = []
            if name == "paragraph":
                text = self.run(child.children)
                if depth == 0 and not self.first_paragraph:
                    self.first_paragraph = clean(text)
            elif name in ("heading", "lheading"):
                text = self.run(child.children)
                self.headings.append((int(child.meta["level"]), _slug_text(child.children), text))
            elif name == "fence":
                self.codes.append((child.meta["content"], _language(child.meta["info"]), glued))
            elif name == "code_block":
                self.codes.append((None, "", glued))
            elif name == "tcell":
                self.run(child.children)
            elif name in CONTAINERS:
                self.block(child.children, depth + 1)
            elif name not in ("hr", "definition"):  # a link reference definition writes nothing
                self.ok = False
                return
        if run:
            self.run(run)

    def run(self, nodes: Sequence[Any]) -> str:
        """One run of inline content (markdown-it-py's inline token): its text, links and words."""
        if not nodes:
            self.texts.append("")
            return ""
        parts: list[str] = []
        links = len(self.links)
        self._inline(nodes, parts, [0], linking=True)
        if len(self.links) > links:  # make the links' lines absolute, as markdown-it-py counts them
            line = self.body_line + self.body.count(b"\n", 0, nodes[0].srcmap[0])
            self.links[links:] = [line + breaks for breaks in self.links[links:]]
        text = "".join(parts)
        self.texts.append(text)
        self.words += len(text.split())
        return text

    def _inline(
        self, nodes: Iterable[Any], parts: list[str], line: list[int], linking: bool
    ) -> None:
        for node in nodes:
            name = node.name
            if name in ("text", "text_special"):
                parts.append(node.meta["content"])
            elif name in ("softbreak", "hardbreak"):
                parts.append(" ")
                if linking:
                    line[0] += 1
            elif name not in INLINE:
                self.ok = False
            else:
                if name in ("link", "autolink") and linking:
                    self.links.append(line[0])
                elif name == "image":
                    if unsafe(str(node.meta.get("url", ""))):
                        self.ok = False
                    self._inline(node.children, parts, line, linking=False)
                    continue
                self._inline(node.children, parts, line, linking)


def _language(info: str) -> str:
    """A fence's language, from its info string, as markdown-it names it in the class."""
    info = unescapeAll(info).strip()
    return info.split(maxsplit=1)[0].strip().lower() if info else ""


def _slug_text(nodes: Iterable[Any]) -> str:
    """The text anchors_plugin makes a heading's id from: text and code, not images' alt text."""
    parts: list[str] = []
    for node in nodes:
        if node.name in ("text", "text_special"):
            parts.append(node.meta["content"])
        elif node.name != "image":
            parts.append(_slug_text(node.children))
    return "".join(parts)


def _text(fragment: str) -> str:
    """The text of HTML as markdown-it writes it, line breaks and all."""
    return unescape_attribute(_ANY_TAG.sub("", fragment))


def _depth(html: str, end: int) -> int:
    """How many lists and quotes are open at ``end`` of ``html``."""
    depth = 0
    for match in _CONTAINER.finditer(html, 0, end):
        if match.group(2) != "p":
            depth += -1 if match.group(1) else 1
    return depth


class _Read:
    """What :class:`_Walk` finds, read from the HTML of a body instead, which costs less than
    the syntax tree (its objects cost more to make than the HTML). Only for HTML of the tags
    ``_UNKNOWN_TAG`` does not find: no images, whose alt text counts as text; ``ok`` is False for others.
    The lines of links are not known (None): a body that needs one is walked after all. Of a
    ``lead`` (the part before <!--more-->), only the words, and their text as ``summary``."""

    def __init__(self, html: str, lead: bool = False) -> None:
        # <!--more--> alone on its line, outside lists and quotes, is the one raw HTML let through
        if "<!--" in html:
            at = ("\n" + html).find(f"\n{MORE}\n")
            if at >= 0 and _depth(html, at):
                self.ok = False
                return
            html = ("\n" + html).replace(f"\n{MORE}\n", "\n", 1)[1:]
        self.ok = _UNKNOWN_TAG.search(html) is None
        if not self.ok:
            return
        # the text of every run: code blocks are none
        words = _text(_CODE_BLOCK.sub("\n", html) if "<pre>" in html else html).split()
        self.words = len(words)
        if lead:
            self.summary = " ".join(words)
            return
        self.links: list[int | None] = [None] * html.count("<a href=")
        self.headings: list[tuple[int, str, str]] = []
        for level, inner in _HEADING.findall(html):
            text = _text(inner)
            # a line break is a space in the title, nothing in the id (as _slug_text)
            self.headings.append((int(level), text.replace("\n", ""), text.replace("\n", " ")))
        self.codes: list[tuple[str | None, str, bool]] = []
        for match in _CODE_BLOCK.finditer(html):
            language = unescape_attribute(match.group(1) or "")
            if any(char.isspace() for char in language):
                self.ok = False  # where str.split and markdown-it-pyrs may part words otherwise
                return
            glued = _TEXT_END.search(html, max(0, match.start() - 12), match.start()) is not None
            self.codes.append((unescape_attribute(match.group(2)), language.lower(), glued))
        self.first_paragraph = ""
        depth = 0
        for match in _CONTAINER.finditer(html):
            closing, name = match.groups()
            if name != "p":
                depth += -1 if closing else 1
            elif not closing and not depth:
                end = html.find("</p>", match.end())
                self.first_paragraph = clean(_text(html[match.end() : end]))
                if self.first_paragraph:
                    break


class FastMarkdown:
    """markdown-it-pyrs, configured as :class:`hubgen.markdown.MarkdownRenderer` configures markdown-it-py."""

    def __init__(self, raw_html: bool) -> None:
        if markdown_it_pyrs is None:  # pragma: no cover
            raise RuntimeError("markdown-it-pyrs is not installed")
        self._raw_html = raw_html
        self._md = markdown_it_pyrs.MarkdownIt("commonmark")
        self._md.enable_many(["table", "strikethrough", "footnote", "tasklist", "deflist"])

    def _eligible(self, body: str) -> bool:
        # Raw HTML is declined once parsed, so it is not parsed at all; this also catches the
        # HTML comments and declarations that markdown-it-pyrs, unlike markdown-it-py, leaves as
        # text. <!--more--> alone on its line is the one raw HTML let through (see _walk).
        if "<" in body and _HTML_TAG.search(body.replace(MORE, "")):
            return False
        return not _slow(body)

    def _walk(self, body: str, body_line: int) -> _Walk | None:
        tree = self._md.tree(body)
        walk = _Walk(body.encode(), body_line)
        children = tree.children
        if self._raw_html:  # <!--more--> alone on its line is the one raw HTML let through
            children = [
                c for c in children if c.name != "html_block" or c.meta["content"].strip() != MORE
            ]
        walk.block(children, 0)
        return walk if walk.ok else None

    def render(
        self,
        body: str,
        *,
        source: str,
        body_line: int = 1,
        resolve: LinkResolver | None = None,
        toc_min: int = 3,
    ) -> tuple[Rendered, list[Problem]] | None:
        """The body rendered, or None when markdown-it-py must render it."""
        body = ended(body)
        if not self._eligible(body):
            return None
        # markdown-it-py writes an empty quote on one line; with no raw HTML, only a quote can
        html = self._md.render(body, xhtml=False).replace(_EMPTY_QUOTE, "<blockquote></blockquote>")
        # else <!--more--> is raw HTML, which _walk refuses
        read = _Read(html) if self._raw_html or MORE not in body else None
        done = self._finish(html, read, source, resolve) if read is not None and read.ok else None
        walk: _Walk | _Read
        if done is not None and read is not None:
            walk = read
        else:  # a link's line is needed, or the HTML holds more than _Read reads
            tree = self._walk(body, body_line)
            if tree is None:
                return None
            done = self._finish(html, tree, source, resolve)
            if done is None:
                return None
            walk = tree
        content, ids, problems, fragments = done
        summary = walk.first_paragraph
        if MORE in body:
            lead = body.split(MORE, 1)[0]
            read = _Read(self._md.render(lead, xhtml=False), lead=True)
            if read.ok:
                summary = read.summary
            else:
                lead_walk = self._walk(lead, body_line)
                if lead_walk is None:
                    return None
                summary = clean(" ".join(lead_walk.texts))
        toc = tuple(
            TocEntry(level, ids[index], clean(title))
            for index, (level, _, title) in enumerate(walk.headings)
            if level in (2, 3)
        )
        rendered = Rendered(
            content,
            summary,
            toc if len(toc) >= toc_min else (),
            walk.words,
            tuple(fragments),
        )
        return rendered, problems

    def _finish(
        self,
        html: str,
        walk: _Walk | _Read,
        source: str,
        resolve: LinkResolver | None,
    ) -> tuple[Markup, list[str], list[Problem], list[tuple[int, str]]] | None:
        """The HTML with headings' ids, links resolved and code highlighted, the ids, problems and
        links to anchors; None if the HTML and ``walk`` disagree, or a link's line is needed and
        ``walk`` does not know it."""
        slugs: set[str] = set()
        ids = [unique_slug(anchor_slug(text), slugs) for _, text, _ in walk.headings]
        problems: list[Problem] = []
        fragments: list[tuple[int, str]] = []
        out: list[str] = []
        position = headings = links = codes = 0
        for match in _TAG.finditer(html):
            level, href = match.group(1), match.group(2)
            if level is not None:
                if headings >= len(ids):
                    return None
                out += (
                    html[position : match.start()],
                    f'<h{level} id="{escapeHtml(ids[headings])}">',
                )
                headings += 1
                position = match.end()
            elif href is not None:
                if links >= len(walk.links):
                    return None
                line = walk.links[links]
                links += 1
                value = unescape_attribute(href)
                if unsafe(value):
                    return None
                target = resolve(value) if resolve is not None else ""
                final = target or value
                anchored = "#" in final and final.startswith(("#", "/"))
                if line is None and (target is None or anchored):
                    return None
                if target is None:
                    problems.append(link_problem(source, line or 0, value))
                elif target:
                    out += (html[position : match.start()], f'<a href="{escapeHtml(target)}"')
                    position = match.end()
                if anchored:
                    fragments.append((line or 0, final))
            else:
                if codes >= len(walk.codes):
                    return None
                code, language, glued = walk.codes[codes]
                codes += 1
                start = match.start()
                if glued:
                    if html[start - 1 : start] != "\n":
                        return None
                    out.append(html[position : start - 1])
                    position = start
                highlighted = (
                    highlight_block(code, language) if code is not None and language else ""
                )
                if highlighted:
                    end = html.find(_CODE_END, match.end())
                    out += (html[position:start], highlighted, "\n")
                    position = end + len(_CODE_END)
        if (headings, links, codes) != (len(ids), len(walk.links), len(walk.codes)):
            return None
        out.append(html[position:])
        # markdown-it escapes text itself, and raw HTML never takes this path
        return Markup("".join(out)), ids, problems, fragments  # noqa: S704  # nosec


def unescape_attribute(value: str) -> str:
    """An attribute value as markdown-it escaped it, back to its text."""
    if "&" not in value:
        return value
    return (
        value.replace("&quot;", '"').replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    )
