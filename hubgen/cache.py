"""The build cache, ``.hubgen-cache/`` beside site.yaml: what earlier builds already made.

It holds three things, each keyed by fingerprints of everything it was made from:

- **bodies**: each Markdown body rendered to HTML, keyed by its text, its file, the Markdown
  options and hubgen's code; with the links it resolved, checked again before it is used, since
  another post's URL may have changed since;
- **pages**: for each file of the published site, the fingerprint of the job that rendered it and
  the size and modification time it was written with, so an unchanged job's file is kept
  instead of being rendered again;
- **yaml**: what loading each front matter and YAML file gave, keyed by its text (see
  ``yamlcache``), so a rebuild parses only the files that changed.

The cache never changes what a build writes: deleting it gives byte-identical output. Each file
(bodies in 256 shards, pages one file per output folder, yaml one file) holds its data in
marshal's format (about ten times faster than JSON both ways), with a checksum and the
fingerprint of the code and the Python that wrote it; one that is truncated, damaged or written
by other code is ignored before its data is loaded. Files are replaced atomically, so a killed
build leaves the old one or the new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import secrets
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from markupsafe import Markup

from hubgen.models import Rendered, TocEntry
from hubgen.yamlcache import YamlMemo

FOLDER = ".hubgen-cache"
BODIES = "bodies"  # bodies-<first two hex digits of their keys>.bin: a rebuild rewrites few
PAGES = "pages"  # pages-<digest of the output folder>.bin: one record per output folder
RESUME = "resume"  # what ``resume`` keeps of a build for the next: resume-<same digest>.bin
YAML = "yaml.bin"
OLD = ("bodies-*.json", "pages-*.json", "yaml.json")  # the files of format 1, removed
FORMAT = 2  # 2: marshal, not JSON

# (href as written, what it resolved to: a URL, "" for left alone, None for a missing file)
LinkCall = tuple[str, str | None]


@dataclass(frozen=True)
class Page:
    """A published file: the job fingerprint it was rendered for, its size and mtime then, and
    what its template read of posts (see ``theme.Noting``: None when not known, '*' for all);
    its inode when this process knows it (0: not known, as in the cache, which keeps none)."""

    fingerprint: str
    size: int
    mtime_ns: int
    reads: frozenset[str] | None = None
    inode: int = field(default=0, compare=False)


@dataclass
class BuildCache:
    folder: Path
    code: str  # fingerprint of hubgen and its libraries: any change empties the cache
    output: str = ""  # the published folder ``pages`` describe
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    used_bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    yaml: YamlMemo = field(default_factory=YamlMemo)
    _kept: set[str] = field(default_factory=set)  # shards with a newly rendered body
    _shards: dict[str, set[str]] = field(default_factory=dict)  # shard file -> keys it held
    _rendered: dict[str, Rendered] = field(default_factory=dict)  # bodies as objects, by key
    _yaml_kept: bool = False  # saved already (``let_go_of_yaml``)
    _unread: dict[str, Path] = field(default_factory=dict)  # bodies' files not read yet
    token: str = ""  # new with each record of pages: a stored build (``resume``) names it
    _bodies_saved: bool = False  # by ``save_bodies``, before ``save``

    @classmethod
    def load(cls, root: Path, code: str, output: Path) -> BuildCache:
        """The cache of the hub at ``root`` for builds into ``output`` (resolved)."""
        cache = cls(root / FOLDER, code)
        cache._unread = {f.name: f for f in sorted(cache.folder.glob(f"{BODIES}-*.bin"))}
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            known = _read(cache.folder / YAML, code)
            if isinstance(known, dict):
                cache.yaml = YamlMemo(known)
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            pages = _read(cache.folder / per_output(PAGES, output), code)
            if isinstance(pages, dict):
                cache.output = str(pages["output"])
                cache.token = str(pages.get("token", ""))
                sets = [frozenset(map(str, r)) for r in pages["reads"]]
                cache.pages = {
                    str(k): Page(str(f), int(s), int(m), sets[r] if r >= 0 else None)
                    for k, (f, s, m, r) in pages["pages"].items()
                }
        return cache

    def _read_bodies(self) -> None:
        """The bodies' files, read at the first need: after the sources are read, so that the
        two are not in memory at once longer than they must be."""
        for name in list(self._unread):
            self._read_shard(name)

    def _read_shard(self, name: str) -> None:
        file = self._unread.pop(name, None)
        if file is None:
            return
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError, EOFError):
            self._shards[name] = set()  # rewritten or removed unless it is as wanted
            bodies = _read(file, self.code)
            if isinstance(bodies, dict):
                shard = {str(k): dict(v) for k, v in bodies.items() if _shard(str(k)) == name}
                self.bodies |= shard
                self._shards[name] = set(shard)

    def _make_folder(self) -> None:
        self.folder.mkdir(exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# hubgen's build cache: safe to delete\n*\n", encoding="utf-8")

    def _save_yaml(self) -> None:
        if self.yaml.used.keys() != self.yaml.loaded:
            _write(self.folder / YAML, self.code, self.yaml.used)

    def let_go_of_yaml(self) -> None:
        """Keep the YAML this build used now, and free its memory: the reading is over. (For a
        build in its own process; a session's next build reads with it.)"""
        with contextlib.suppress(OSError):
            self._make_folder()
            self._save_yaml()
        self.yaml = YamlMemo()
        self._yaml_kept = True

    def save(self, output: Path | None, pages: dict[str, Page]) -> None:
        """Keep this build's bodies (unless ``save_bodies`` did) and, when it published
        ``output``, its pages."""
        if not self._bodies_saved:
            self.save_bodies()
        with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
            self._make_folder()
            if not self._yaml_kept:
                self._save_yaml()
            if output is not None:
                self._save_pages(output, pages)
                _forget_gone(self.folder)

    def save_bodies(self) -> None:
        """Keep the bodies this build used (and no others): all there is to save of them once
        the site is assembled, so a build does it while its pages render (see ``resume``)."""
        self._bodies_saved = True
        self._read_bodies()  # to know which files are as wanted
        with contextlib.suppress(OSError):
            self._make_folder()
            shards: dict[str, dict[str, Any]] = {name: {} for name in self._shards}
            for key, entry in self.used_bodies.items():
                shards.setdefault(_shard(key), {})[key] = entry
            for name, entries in shards.items():
                if not entries:
                    (self.folder / name).unlink(missing_ok=True)
                elif name in self._kept or entries.keys() != self._shards.get(name):
                    # marshal writes str, not its subclass Markup: a copy, one shard at a time
                    plain = {k: {**e, "html": str(e["html"])} for k, e in entries.items()}
                    _write(self.folder / name, self.code, plain)

    def _save_pages(self, output: Path, pages: Mapping[str, Page]) -> None:
        self.token = secrets.token_hex(8)
        sets: dict[frozenset[str], int] = {}  # pages read alike: one set for many
        records = {
            k: [p.fingerprint, p.size, p.mtime_ns, -1 if p.reads is None else _index(sets, p.reads)]
            for k, p in pages.items()
        }
        reads = [sorted(r) for r in sets]
        data = {"output": str(output), "pages": records, "reads": reads, "token": self.token}
        _write(self.folder / per_output(PAGES, output), self.code, data, str(output))

    def update(self, output: Path, pages: Mapping[str, Page]) -> None:
        """Keep the bodies this build rendered beside those kept already, and the pages of
        ``output``: the save of a build that read only what changed (``resume``)."""
        with contextlib.suppress(OSError):
            for name in sorted(self._kept):
                self._read_shard(name)
                entries = {
                    k: self.bodies[k] for k in self._shards.get(name, ()) if k in self.bodies
                }
                entries |= {k: e for k, e in self.used_bodies.items() if _shard(k) == name}
                plain = {k: {**e, "html": str(e["html"])} for k, e in entries.items()}
                _write(self.folder / name, self.code, plain)
            self._save_pages(output, pages)

    def keys_by_html(self) -> dict[int, str]:
        """The key of each body this build used, by the identity of its HTML (a post's
        ``content``)."""
        return {id(r.html): k for k, r in self._rendered.items() if k in self.used_bodies}

    def carry(self, output: str, pages: Mapping[str, Page], partial: bool = False) -> BuildCache:
        """The cache of the next build in this process (``hubgen serve``), without a round trip
        through its files: the bodies and YAML this build used (and, after a ``partial`` build,
        which read only what changed, all it knew too), and ``pages``, the files of the site
        published in ``output``. The files on disk are left as they were, to be brought up to
        date by a ``save``. After a ``partial`` build, the new cache takes over this one's
        bodies and YAML as they are (a quick build's pass over all of them cost milliseconds):
        this one is not to be used again.
        """
        self._read_bodies()
        if partial:
            self.bodies.update(self.used_bodies)
            self.yaml.known.update(self.yaml.used)
            bodies, known, rendered = self.bodies, self.yaml.known, self._rendered
        else:
            bodies, known = dict(self.used_bodies), dict(self.yaml.used)
            rendered = {k: v for k, v in self._rendered.items() if k in bodies}
        memo = YamlMemo(known, self.yaml.loaded)
        return BuildCache(
            self.folder,
            self.code,
            output,
            bodies,
            dict(pages),
            yaml=memo,
            _kept=set(self._kept),
            _shards=self._shards,
            _rendered=rendered,  # bodies made by ``keep_body`` or ``body``: all in ``bodies``
        )

    # --- bodies ---------------------------------------------------------------------------------

    def has_bodies(self) -> bool:
        """Whether ``body`` can find any body."""
        return bool(self.bodies or self._unread)

    def body(self, key: str, resolve: Callable[[str], str | None] | None) -> Rendered | None:
        """The body rendered under ``key``, if every link it resolved still resolves the same."""
        if self._unread:
            self._read_shard(_shard(key))
        entry = self.bodies.get(key)
        if entry is None:
            return None
        try:
            links = [(str(href), target) for href, target in entry["links"]]
            if resolve is not None and any(resolve(href) != target for href, target in links):
                return None
            known = self._rendered.get(key)
            if known is not None:  # the same object as the last build's, in ``hubgen serve``
                self.used_bodies[key] = entry
                return known
            html = Markup(entry["html"])  # noqa: S704  # nosec
            entry["html"] = html  # one copy of the body, not two
            rendered = Rendered(
                html,
                str(entry["summary"]),
                tuple(TocEntry(int(a), str(b), str(c)) for a, b, c in entry["toc"]),
                int(entry["words"]),
                tuple((int(line), str(href)) for line, href in entry["fragments"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        self.used_bodies[key] = entry
        self._rendered[key] = rendered
        return rendered

    def keep_body(self, key: str, links: list[LinkCall], rendered: Rendered) -> None:
        self._kept.add(_shard(key))
        self.used_bodies[key] = {
            "links": links,
            "html": rendered.html,  # Markup is a str: written as one
            "summary": rendered.summary,
            "toc": [[t.level, t.id, t.title] for t in rendered.toc],
            "words": rendered.word_count,
            "fragments": [list(f) for f in rendered.fragments],
        }
        self._rendered[key] = rendered

    # --- pages ----------------------------------------------------------------------------------


def _index(known: dict[frozenset[str], int], value: frozenset[str]) -> int:
    return known.setdefault(value, len(known))


def _shard(key: str) -> str:
    return f"{BODIES}-{key[:2]}.bin"


def per_output(name: str, output: Path) -> str:
    """The file name of ``name``'s record for one output folder (``hubgen serve`` has its own)."""
    return f"{name}-{hashlib.blake2b(str(output).encode(), digest_size=8).hexdigest()}.bin"


def _read(file: Path, code: str) -> object:
    """A cache file's data; None when it is missing, cut short, damaged or for other code.

    A file is three lines: what wrote it (JSON), the data (marshal), and the data's SHA-256. The
    data is loaded only once its checksum matches: marshal is not meant for damaged input.
    """
    try:
        raw = file.read_bytes()
    except OSError:
        return None
    start, end = raw.find(b"\n"), raw.rfind(b"\n")
    if start < 0 or end <= start:
        return None
    payload = memoryview(raw)[start + 1 : end]  # not a copy: a file can be tens of megabytes
    meta = json.loads(raw[:start])
    if (
        meta != _meta(code) | ({"output": meta["output"]} if "output" in meta else {})
        or raw[end + 1 :] != hashlib.sha256(payload).hexdigest().encode()
    ):
        return None
    # marshal only once the checksum matched: it is not meant for damaged input
    return marshal.loads(payload)  # noqa: S302  # nosec


class Chunks:
    """A file of the cache's folder written piece by piece, each piece marshalled apart and
    found again by its offset: what ``resume`` keeps, tens of megabytes, is never held whole.

    The file is: what wrote it (JSON), the pieces, then a last line with the offset of the
    index (the last piece: what the writer set as ``index``) and the SHA-256 of all pieces.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0
        self.index: Any = None

    def put(self, data: bytes | memoryview) -> int:
        """Write a piece (marshalled already); its offset."""
        offset = self.size
        self._stream.write(data)
        self.digest.update(data)
        self.size += len(data)
        return offset


class Writer:
    """A file of pieces (``chunks``) written beside ``file``, which it replaces once committed:
    its index written last. Abandoned, it leaves ``file`` as it was."""

    def __init__(self, file: Path, code: str, output: str) -> None:
        self._file = file
        fd, self._temporary = tempfile.mkstemp(prefix=file.name + ".", dir=file.parent)
        self._stream = os.fdopen(fd, "wb")
        self.chunks = Chunks(self._stream)
        try:
            self._stream.write(json.dumps(_meta(code) | {"output": output}).encode() + b"\n")
        except BaseException:
            self.abandon()
            raise

    def commit(self) -> None:
        try:
            chunks = self.chunks
            at = chunks.put(marshal.dumps(chunks.index))
            self._stream.write(f"\n{at} {chunks.digest.hexdigest()}".encode())
            self._stream.close()
            Path(self._temporary).replace(self._file)
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> None:
        self._stream.close()
        Path(self._temporary).unlink(missing_ok=True)


@contextlib.contextmanager
def writing(file: Path, code: str, output: str) -> Iterator[Chunks]:
    """Write ``file`` (atomically) in pieces; its index is written last."""
    writer = Writer(file, code, output)
    try:
        yield writer.chunks
    except BaseException:
        writer.abandon()
        raise
    writer.commit()


@dataclass(frozen=True)
class Read:
    """A file written by ``writing``: its pieces, not loaded but the index, which starts at
    ``at`` (where the next version of the file can go on writing)."""

    pieces: memoryview
    index: Any
    at: int

    def load(self, offset: int) -> Any:
        # marshal only once the checksum matched: it is not meant for damaged input
        return marshal.loads(self.pieces[offset:])  # noqa: S302  # nosec


def reading(file: Path, code: str, output: str) -> Read | None:
    """The file ``writing`` wrote for ``output`` with this code; None when it is missing, cut
    short, damaged or another's."""
    try:
        raw = file.read_bytes()
        start, end = raw.find(b"\n"), raw.rfind(b"\n")
        if start < 0 or end <= start or json.loads(raw[:start]) != _meta(code) | {"output": output}:
            return None
        at, digest = raw[end + 1 :].split(b" ")
        pieces = memoryview(raw)[start + 1 : end]
        if hashlib.sha256(pieces).hexdigest().encode() != digest:
            return None
        return Read(pieces, Read(pieces, None, 0).load(int(at)), int(at))
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _meta(code: str) -> dict[str, object]:
    # marshal's format is the interpreter's own
    return {"format": FORMAT, "code": code, "python": sys.implementation.cache_tag}


def _write(file: Path, code: str, data: dict[str, Any], output: str = "") -> None:
    """Replace a cache file atomically: a killed build leaves the old one or the new one."""
    meta = _meta(code)
    if output:
        meta["output"] = output
    payload = marshal.dumps(data)
    fd, temporary = tempfile.mkstemp(prefix=file.name + ".", dir=file.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(json.dumps(meta).encode() + b"\n")
            stream.write(payload)
            stream.write(b"\n" + hashlib.sha256(payload).hexdigest().encode())
        Path(temporary).replace(file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _forget_gone(folder: Path) -> None:
    """Remove the records of output folders that are gone (those of past ``hubgen serve`` runs)."""
    for file in folder.glob(f"{PAGES}-*.bin"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            with file.open("rb") as stream:
                output = Path(json.loads(stream.readline())["output"])
            if not output.is_dir():
                file.unlink()
                inputs = file.name.replace(PAGES, "inputs", 1).replace(".bin", ".json")
                (folder / inputs).unlink(missing_ok=True)
                (folder / file.name.replace(PAGES, "resume", 1)).unlink(missing_ok=True)
    for pattern in OLD:
        for file in folder.glob(pattern):
            file.unlink(missing_ok=True)


def body_key(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()
