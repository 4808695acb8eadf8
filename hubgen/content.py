"""Step 1, read: every content file into a typed, validated record. Nothing is rendered here."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator

from hubgen import yamlio
from hubgen.config import SiteConfig
from hubgen.errors import Problem, Problems, did_you_mean, display_path
from hubgen.files import walk
from hubgen.frontmatter import SourceText, split
from hubgen.groupspec import GroupSpec, Url
from hubgen.parallel import parallel_map
from hubgen.schema import CONFIG, Text, When, validate
from hubgen.yamlcache import YamlMemo
from hubgen.yamlio import Marks, decode, load_mapping, read_file

POST_SUFFIXES = (".md", ".markdown", ".html")
_DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_SAFE_SLUG = re.compile(r"^[\w][\w.~-]*$")


def read_list(value: object) -> object:
    """A list, or one comma-separated string of items."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


Names = Annotated[tuple[Text, ...], BeforeValidator(read_list)]


@dataclass(frozen=True)
class FrontMatter:
    """The front matter keys hubgen knows; any other key is kept for templates as ``extra``."""

    __pydantic_config__ = CONFIG
    title: Text
    date: When | None = None
    updated: When | None = None
    slug: str | None = None
    summary: str | None = None
    tags: Names = ()
    authors: Names = ()
    author: str | None = None
    groups: Names = ()
    draft: bool = False
    image: str | None = None
    id: str | None = None


KNOWN_KEYS = frozenset(f.name for f in fields(FrontMatter))


@dataclass(frozen=True)
class AuthorSpec:
    __pydantic_config__ = CONFIG
    name: Text
    bio: str = ""
    links: dict[str, Url] | None = None
    avatar: str | None = None


@dataclass(frozen=True)
class Document:
    """A post or page as read: validated front matter, extra keys, body, and where it goes."""

    kind: str  # "post" or "page"
    source: str  # path as shown in messages, relative to the site
    file: Path
    meta: FrontMatter
    extra: dict[str, Any]
    marks: Marks
    body: str
    body_line: int
    is_html: bool
    slug: str
    date: dt.datetime | None
    updated: dt.datetime | None
    bundle: Path | None  # the folder of a page bundle, whose other files are copied beside it


@dataclass(frozen=True)
class GroupSource:
    source: str
    slug: str
    spec: GroupSpec
    marks: Marks


@dataclass(frozen=True)
class AuthorSource:
    slug: str
    spec: AuthorSpec
    source: str
    line: int


@dataclass(frozen=True)
class Content:
    posts: tuple[Document, ...]
    pages: tuple[Document, ...]
    groups: tuple[GroupSource, ...]
    authors: tuple[AuthorSource, ...]


ReadResult = tuple[Document | None, list[Problem], list[Any]]  # with the YAML memo entries used
ReadKey = tuple[str, Path, str, str]  # kind, file, slug from its path, the site's time zone


@dataclass
class Reads:
    """What reading each post and page gave, kept by a process that reads the same content again
    (``hubgen serve``): a file is read again when its size or mtime differs or it is in
    ``changed`` (what the watcher saw, as an mtime may not move within a clock tick)."""

    results: dict[ReadKey, tuple[int, int, ReadResult]] = field(default_factory=dict)
    changed: set[Path] = field(default_factory=set)
    _now: dict[ReadKey, tuple[int, int, ReadResult]] = field(default_factory=dict)

    def done(self) -> None:
        """After a build: remember only the files it read, and no changes."""
        self.results, self._now = self._now, {}
        self.changed = set()


@functools.lru_cache(maxsize=1 << 16)  # tags and names come again and again
def slugify(text: str) -> str:
    """A URL-safe slug: lower case, words joined by '-'. Unicode letters are kept."""
    slug = re.sub(r"[^\w]+", "-", text.lower().replace("_", "-")).strip("-")
    return slug or "item"


def _aware(value: dt.date | dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _document(
    kind: str, file: Path, root: Path, base_slug: str, config: SiteConfig, problems: Problems
) -> Document | None:
    source = display_path(file, root)
    raw, read_problems = read_file(file, source)
    problems.extend(read_problems)
    if raw is None:
        return None
    return parse_document(kind, raw, file, source, base_slug, config, problems)


def parse_document(
    kind: str,
    raw: bytes,
    file: Path,
    source: str,
    base_slug: str,
    config: SiteConfig,
    problems: Problems,
) -> Document | None:
    """A post's or page's bytes into a validated document, or None with the problems recorded."""
    text, decode_problems = decode(raw, source)
    problems.extend(decode_problems)
    if text is None:
        return None
    parsed, split_problems = split(text, source)
    problems.extend(split_problems)
    if parsed is None:
        return None
    return _validate(kind, file, source, parsed, base_slug, config, problems)


def _validate(
    kind: str,
    file: Path,
    source: str,
    parsed: SourceText,
    base_slug: str,
    config: SiteConfig,
    problems: Problems,
) -> Document | None:
    known = {k: v for k, v in parsed.meta.items() if k in KNOWN_KEYS}
    extra = {k: v for k, v in parsed.meta.items() if k not in KNOWN_KEYS}
    for key in extra:
        hint = did_you_mean(key, KNOWN_KEYS, cutoff=0.8)  # only likely typos: 'time' is not 'title'
        if hint:
            problems.warning(
                source, *parsed.marks.key((key,)), f"unknown front matter key '{key}'", hint
            )
    meta, errors = validate(FrontMatter, known, parsed.marks, source)
    if meta is None:
        if not parsed.meta:
            errors = [
                Problem(
                    source,
                    1,
                    1,
                    "missing front matter with a title",
                    "start the file with '---', 'title: ...', '---'",
                )
            ]
        problems.extend(errors)
        return None
    ok = True
    if meta.author and meta.authors:
        problems.error(
            source, *parsed.marks.key(("author",)), "use either 'author' or 'authors', not both"
        )
        ok = False
    slug = base_slug
    dated = _DATED_NAME.match(file.stem if file.stem != "index" else file.parent.name)
    if kind == "post" and dated:
        slug = slugify(dated[4])
    if meta.slug is not None:
        if not _SAFE_SLUG.match(meta.slug) or ".." in meta.slug:
            problems.error(
                source,
                *parsed.marks.value(("slug",)),
                f"slug {meta.slug!r} cannot be used in a URL",
                "use letters, digits, '-', '_', '.' and '~' only",
            )
            ok = False
        else:
            slug = (
                meta.slug if kind == "post" else "/".join([*base_slug.split("/")[:-1], meta.slug])
            )
    zone = zoneinfo.ZoneInfo(config.timezone)
    date = meta.date
    if date is None and kind == "post" and dated:
        try:
            date = dt.date(int(dated[1]), int(dated[2]), int(dated[3]))
        except ValueError:
            problems.error(
                source,
                1,
                1,
                f"the file name's date {dated[1]}-{dated[2]}-{dated[3]} is not a real date",
            )
            ok = False
    if date is None and kind == "post" and ok:
        problems.error(
            source,
            *parsed.marks.start,
            "missing required field 'date'",
            "add 'date: YYYY-MM-DD' or start the file name with the date",
        )
        ok = False
    if not ok:
        return None
    return Document(
        kind=kind,
        source=source,
        file=file,
        meta=meta,
        extra=extra,
        marks=parsed.marks,
        body=parsed.body,
        body_line=parsed.body_line,
        is_html=file.suffix.lower() == ".html",
        slug=slug,
        date=_aware(date, zone) if date else None,
        updated=_aware(meta.updated, zone) if meta.updated else None,
        bundle=file.parent if file.stem == "index" and kind == "post" else None,
    )


def base_slug(kind: str, file: Path, folder: Path) -> str:
    """The slug a post or page takes from its path in ``folder``, unless its front matter says."""
    if kind == "post":  # the last part of what a page's would be, without making the others
        last = slugify(file.stem)
        return slugify(file.parent.name) if last == "index" and file.parent != folder else last
    parts = [slugify(p) for p in file.relative_to(folder).with_suffix("").parts]
    if parts[-1] == "index" and len(parts) > 1:
        parts = parts[:-1]
    return "/".join(parts)


def _read_again(
    reads: Reads,
    key: ReadKey,
    read: Callable[[tuple[Path, str]], ReadResult],
) -> ReadResult:
    """What reading a file gives: remembered while the file is as it was, else read now."""
    file = key[1]
    try:
        status = file.stat()
    except OSError:
        return read((file, key[2]))
    known = reads.results.get(key)
    same = known is not None and known[:2] == (status.st_size, status.st_mtime_ns)
    if known is None or not same or file in reads.changed:
        known = (status.st_size, status.st_mtime_ns, read((file, key[2])))
    reads._now[key] = known
    return known[2]


def _read_documents(
    kind: str,
    folder: Path,
    root: Path,
    config: SiteConfig,
    problems: Problems,
    reads: Reads | None = None,
    forked: Callable[[], None] | None = None,
) -> list[Document]:
    """The documents of ``folder``; ``forked`` is called once workers reading them are forked,
    if they are."""
    documents = []
    bundles = (
        {p.parent for p in folder.glob("**/index.*") if p.suffix.lower() in POST_SUFFIXES}
        if kind == "post"
        else set()
    )
    files = []
    for file in walk(folder, root, problems):
        if file.suffix.lower() not in POST_SUFFIXES:
            continue
        if any(file.parent == b or b in file.parents for b in bundles) and file.stem != "index":
            continue  # files of a page bundle are resources of its index, not documents
        files.append((file, base_slug(kind, file, folder)))

    memo = yamlio.current_memo()

    def read(item: tuple[Path, str]) -> ReadResult:
        """The document, its problems, and the memo's entries it used (for a worker's parent)."""
        found = Problems()
        before = len(memo.log) if memo is not None else 0
        document = _document(kind, item[0], root, item[1], config, found)
        return document, found.items, memo.log[before:] if memo is not None else []

    # Parsing YAML is slow, so it is spread over worker processes; once the memo knows most of
    # it (a rebuild), reading is not worth shipping the documents back from workers.
    remembered = memo is not None and len(memo.known) >= len(files)
    if reads is not None:
        results = [_read_again(reads, (kind, *item, config.timezone), read) for item in files]
    elif remembered:
        results = [read(f) for f in files]
    else:
        results = parallel_map(read, files, min_items=500, forked=forked)
    for document, found, used in results:
        problems.extend(found)
        if memo is not None:
            for name, entry in used:  # what a worker process used or learnt
                memo.use(name, entry)
        if document is not None:
            documents.append(document)
    return documents


def _read_groups(folder: Path, root: Path, problems: Problems) -> list[GroupSource]:
    groups = []
    for file in walk(folder, root, problems):
        if file.suffix.lower() not in (".yaml", ".yml"):
            continue
        source = display_path(file, root)
        raw, read_problems = read_file(file, source)
        problems.extend(read_problems)
        group = parse_group(raw, source, slugify(file.stem), problems) if raw is not None else None
        if group is not None:
            groups.append(group)
    return groups


def parse_group(raw: bytes, source: str, slug: str, problems: Problems) -> GroupSource | None:
    """One group file's bytes into a validated group, or None with the problems recorded."""
    data, marks, load_problems = load_mapping(raw, source, "a group file")
    problems.extend(load_problems)
    if data is None:
        return None
    spec, errors = validate(GroupSpec, data, marks, source)
    problems.extend(errors)
    if spec is None:
        return None
    meetings = spec.meetings
    actual = meetings.starts_off_weekday() if meetings else None
    if meetings and meetings.starts and actual:
        line, column = marks.value(("meetings", "starts"))
        message = f"starts ({meetings.starts.isoformat()}) is a {actual}, not a {meetings.weekday}"
        problems.error(source, line, column, message, "the first meeting falls on the weekday")
        return None
    return GroupSource(source, slug, spec, marks)


def _read_authors(file: Path, root: Path, problems: Problems) -> list[AuthorSource]:
    if not file.is_file():
        return []
    source = display_path(file, root)
    raw, read_problems = read_file(file, source)
    problems.extend(read_problems)
    if raw is None:
        return []
    data, marks, load_problems = load_mapping(raw, source, "authors.yaml")
    problems.extend(load_problems)
    if data is None:
        return []
    authors = []
    for slug, profile in data.items():
        line, column = marks.key((str(slug),))
        if isinstance(profile, str):
            profile = {"name": profile}
        spec, errors = validate(AuthorSpec, profile, _sub_marks(marks, str(slug)), source)
        problems.extend(errors)
        if spec is None:
            continue
        if not _SAFE_SLUG.match(str(slug)):
            problems.error(source, line, column, f"author slug {slug!r} cannot be used in a URL")
            continue
        authors.append(AuthorSource(str(slug), spec, source, line))
    return authors


def _sub_marks(marks: Marks, key: str) -> Marks:
    """The marks of one entry of a mapping, re-rooted at that entry."""
    n = 1
    keys = {k[n:]: v for k, v in marks.keys.items() if k[:n] == (key,)}
    values = {k[n:]: v for k, v in marks.values.items() if k[:n] == (key,)}
    return Marks(keys, values, marks.value((key,)))


def read_content(
    root: Path,
    config: SiteConfig,
    problems: Problems,
    memo: YamlMemo | None = None,
    reads: Reads | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Content:
    """Read every post, page, group and author of the site at ``root``; YAML loaded before is
    taken from ``memo``, which learns the rest; posts and pages read before from ``reads``.
    ``meanwhile`` is run by this process while workers read the posts, if they do (else once
    the groups and authors are read)."""
    with yamlio.remembering(memo if memo is not None else YamlMemo()):
        return _read_content(root, config, problems, reads, meanwhile)


def _read_content(
    root: Path,
    config: SiteConfig,
    problems: Problems,
    reads: Reads | None,
    meanwhile: Callable[[], None] | None,
) -> Content:
    content = root / "content"
    if not content.is_dir():
        problems.error(
            "content",
            0,
            0,
            "there is no content/ folder",
            "run 'hubgen init' or create content/posts/",
        )
        return Content((), (), (), ())
    read: list[tuple[list[GroupSource], list[AuthorSource]]] = []

    def others() -> None:  # read by this process while workers read the posts, if they do
        groups = _read_groups(content / "groups", root, problems)
        read.append((groups, _read_authors(root / config.authors_file, root, problems)))
        if meanwhile is not None:
            meanwhile()

    posts = _read_documents("post", content / "posts", root, config, problems, reads, others)
    pages = _read_documents("page", content / "pages", root, config, problems, reads)
    if not read:
        others()
    [(groups, authors)] = read
    if not (posts or pages or groups) and not problems.errors:
        problems.error(
            "content",
            0,
            0,
            "content/ holds no posts, pages or groups",
            "add content/posts/first-post.md",
        )
    return Content(tuple(posts), tuple(pages), tuple(groups), tuple(authors))
