"""Step 4b, write: into a sibling folder, published only when the build succeeded.

A full build swaps its folder in with one atomic exchange (Linux renameat2 RENAME_EXCHANGE) where
the system has it, so a build killed at any moment leaves either the old site or the new one,
whole. Elsewhere it is two renames, and a build that finds the old site parked beside a missing
output folder puts it back. An update moves only its changed files in, by a journal: a build
killed while moving them leaves the journal, and the next build completes the move first.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import ctypes.util
import functools
import json
import os
import platform
import shutil
import stat
import subprocess  # nosec B404
import sys
import tempfile
import time
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, Protocol

from hubgen.errors import Problem

MARK = ".hubgen-output"
MARK_TEXT = "This folder is written by hubgen; it is replaced on every build.\n"
JOURNAL = ".hubgen-commit.json"  # an update's list of files to move in and to remove
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# Linux's FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (_IOR/_IOW('f', 1|2, long), as asm-generic
# encodes them: not on the machines that encode ioctls otherwise) and FS_TOPDIR_FL (linux/fs.h)
_LONG = ctypes.sizeof(ctypes.c_long) << 16
_GETFLAGS, _SETFLAGS = 0x80006601 | _LONG, 0x40006602 | _LONG
_TOPDIR = 0x00020000
_FLAGS = sys.platform == "linux" and platform.machine() in {"x86_64", "aarch64", "armv7l", "i686"}


def check_output(out: Path, root: Path) -> Problem | None:
    """Refuse output folders that hubgen did not create, or that hold the site itself."""
    target = out.resolve()
    home = Path.home().resolve()
    site = root.resolve()
    protected = {
        Path("/"),
        home,
        site,
        site / "content",
        site / "themes",
        site / "templates",
        site / "static",
    }
    if (
        target in protected
        or site.is_relative_to(target)
        or target.is_relative_to(site / "content")
    ):
        return Problem(
            str(out),
            0,
            0,
            "refusing to write the site into this folder: it holds files hubgen must not replace",
            "choose an output folder of its own, such as 'public'",
        )
    if target.is_file():
        return Problem(str(out), 0, 0, "the output path is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARK).is_file():
        return Problem(
            str(out),
            0,
            0,
            f"refusing to replace a folder hubgen did not create (it has no {MARK} file)",
            "empty it, remove it, or choose another output folder",
        )
    return None


@functools.cache
def _c_library() -> ctypes.CDLL | None:
    # Found once per process: finding it runs ``ldconfig``, a child process that, forked from a
    # large build, would count as large as the build itself in its peak memory.
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def libc(function: str) -> Any | None:
    """A function of the C library; None where the system has no such library or function."""
    return getattr(_c_library(), function, None)


def give_back_memory() -> None:
    """Return the heap's free pages to the system (glibc), so that forked workers do not start
    with a copy of them in their resident size; elsewhere nothing."""
    trim = libc("malloc_trim")
    if trim is not None:
        trim(0)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    renameat2 = libc("renameat2")
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def recover(out: Path) -> bool:
    """Finish or undo what a killed build left: complete an update's commit, restore a parked
    site, remove abandoned staging folders. True when a commit was completed."""
    out = out.resolve()
    if not out.parent.is_dir():
        return False
    completed = False
    commit = _commit_folder(out)
    if commit.is_dir():
        try:
            _apply(commit, out)
            completed = True
        except (OSError, ValueError, KeyError, TypeError):
            _remove_later(commit)
    for leftover in sorted(out.parent.glob(f".{out.name}.old-*")):
        parked = leftover / "site"
        if not out.exists() and (parked / MARK).is_file():
            parked.replace(out)
        _remove_later(leftover)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        _remove_later(leftover)  # an old site still being deleted, or a killed build's folder
    return completed


def _remove_later(folder: Path) -> None:
    """Delete ``folder`` in a process of its own: a build need not wait for thousands of unlinks.

    Should that process not finish, the next build removes the folder (see ``recover``).
    """
    try:
        subprocess.Popen(  # nosec B603
            [sys.executable, "-c", _REMOVE, str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


_REMOVE = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"


class Recorded(Protocol):
    """What a record says of a published file (``cache.Page``)."""

    @property
    def size(self) -> int: ...

    @property
    def mtime_ns(self) -> int: ...


class Staging:
    """Where a build puts its files before they are published.

    A full build writes every file into a fresh sibling folder, which ``publish`` swaps in whole.
    An update (``previous`` given: every file of the published site, as the cache recorded them)
    writes only the files that changed; ``publish`` moves them into the published folder and
    removes the files this build did not write, following a journal, so that a build killed in
    the middle of it is completed by the next one (see ``recover``). An update of ``hubgen
    serve``'s private folder (``trusted``) writes its files over the published ones instead,
    holding ``lock``, which its server holds to read one (see ``_in_place``).
    """

    def __init__(
        self,
        out: Path,
        previous: Collection[str] | None = None,
        trusted: Mapping[str, Recorded] | None = None,
        lock: AbstractContextManager[object] | None = None,
    ) -> None:
        self.out = out.resolve()
        self._lock = lock
        self.out.parent.mkdir(parents=True, exist_ok=True)  # a build has run ``recover`` first
        self._found: dict[str, tuple[int, int]] = {}
        self._trusted: Mapping[str, Recorded] | None = None
        self.update = False
        if previous is not None and trusted is not None:
            # ``hubgen serve``'s private folder, as this process's last build left it
            self._trusted = trusted
            self.update = True
        elif previous is not None:
            links = _files(self.out, self._found)
            # a link in the published folder could lead outside: a full build replaces it
            self.update = not links and MARK in self._found
        self.previous = frozenset(previous or ()) if self.update else frozenset()
        self._made: set[str] = set()  # folders made (by this process)
        self.marked: os.stat_result | None = None  # the MARK file a full build published
        if self._trusted is not None:
            # in serve's private folder: named by the process, made when a worker or a copy
            # stages a file (a quick build's files are held in memory: see ``write``)
            self.folder = self.out.parent / f".{self.out.name}.new-{os.getpid()}"
        else:
            self.folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=self.out.parent))
            self._made.add(str(self.folder))
            spread(self.folder)
        # each file staged, by where it is published: where in the folder it is staged (by
        # this process, or by a worker that told it: see ``staged`` and ``adopt``)
        self._staged: dict[str, str] = {}
        # serve's files written by this process (not by forked workers): kept here until
        # published, as (the file it is, its bytes, the mtime it will have)
        self._held: list[tuple[str, bytes, int]] = []
        self._pid = os.getpid()
        self.published = False

    def holds(self, records: Mapping[str, Recorded]) -> bool:
        """Whether the published folder is an update's, with exactly the files of ``records``,
        each of its recorded size and mtime (nothing added, removed or changed since)."""
        if not self.update or self._trusted is not None:
            return self.update
        found = self._found
        return len(found) == len(records) + 1 and all(
            found.get(k) == (r.size, r.mtime_ns) for k, r in records.items()
        )

    def intact(self, relative: str, size: int, mtime_ns: int) -> bool:
        """Whether the published file ``relative`` is a plain file of this size and mtime."""
        if self._trusted is not None:
            known = self._trusted.get(relative)
            return known is not None and (known.size, known.mtime_ns) == (size, mtime_ns)
        return self._found.get(relative) == (size, mtime_ns)

    def _target(self, relative: str) -> str:
        # The folder is new and hubgen makes no links in it, so a path without '..' that is not
        # absolute stays inside: checked on the text, not resolved (resolving each is slow).
        # Paths as text: pathlib's objects cost more than the rest of writing a page but the
        # system's calls (15 µs a file).
        parts = _parts(relative)
        folder = str(self.folder)
        target = "/".join((folder, *parts))
        parent = target[: target.rindex("/")]
        if parent not in self._made:
            top = f"{folder}/{parts[0]}"
            if top not in self._made:  # a year's, tags/: see ``spread``
                _folder(top)
                spread(top)
                self._made.add(top)
            if parent != top:
                _folder(parent)
                self._made.add(parent)
        return target

    def write(self, relative: str, data: bytes) -> os.stat_result | Written:
        """Write a file of the new site; an update leaves a published file with these bytes be,
        and an update of serve's folder holds what this process (not a worker) writes in memory
        until it is published."""
        if self.update:
            published = self.out.joinpath(*_parts(relative))
            with contextlib.suppress(OSError):
                if not published.is_symlink() and published.read_bytes() == data:
                    return published.stat()
            if self._trusted is not None and os.getpid() == self._pid:
                mtime = time.time_ns()
                self._held.append((relative, data, mtime))
                return Written(len(data), mtime)
        return _put(self._new(relative), data)

    def staged(self, relative: str) -> str | None:
        """Where this process staged an update's file ``relative``, if it did: what a worker
        tells the process that publishes (``adopt``), which knows only the files it staged
        itself. (A full build's workers write each file where it is published: None.)"""
        return self._staged.get(relative) if self.update else None

    def adopt(self, relative: str, staged: str) -> None:
        """Publish the file ``relative`` that a worker staged at ``staged``."""
        self._staged.setdefault(relative, staged)

    def _new(self, relative: str) -> str:
        """Where the new site's file ``relative`` is written, noted for ``publish``: an update's
        files side by side, under the process's id and a number (no folders to make, and none
        to remove after the move); a full build's where they will be published."""
        if self.update:
            _parts(relative)  # refused before anything is written, as a full build's are
            staged = f"{os.getpid()}-{len(self._staged):06d}"  # workers stage side by side
            target = f"{self.folder}/{staged}"
            if str(self.folder) not in self._made:
                self.folder.mkdir(mode=0o700, exist_ok=True)
                self._made.add(str(self.folder))
        else:
            staged, target = relative, self._target(relative)
        self._staged[relative] = staged
        return target

    def keep(self, relative: str) -> os.stat_result | None:
        """Keep the published file ``relative`` in the new site, unchanged.

        An update has nothing to do (None); a full build links it into the new folder."""
        if self.update:
            return None
        source = self.out.joinpath(*_parts(relative))
        target = self._target(relative)
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links
            shutil.copy2(source, target)
        return Path(target).stat()

    def copy(self, source: Path, relative: str) -> os.stat_result:
        target = self._new(relative)
        shutil.copyfile(source, target)
        return Path(target).stat()

    def publish(self, files: Collection[str]) -> None:
        """Make the new site, of ``files``, the published one."""
        if self.update:
            deleted = sorted(self.previous.difference(files))  # a dict's keys: looked up
            moves = [(self._staged[relative], relative) for relative in sorted(self._staged)]
            if self._trusted is not None:
                self._in_place(moves, deleted)
                return
            journal = {"moves": [list(move) for move in moves], "deletes": deleted}
            (self.folder / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
            commit = _commit_folder(self.out)
            self.folder.replace(commit)
            self.published = True
            _apply(commit, self.out)
            return
        self.marked = _put(self.folder / MARK, MARK_TEXT.encode())
        self.folder.chmod(0o755)  # mkdtemp makes it 0700; a site is world-readable
        if self.out.exists() and _exchange(self.folder, self.out):
            _remove_later(self.folder)  # now holds the previous site
            self.published = True
            return
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old-", dir=self.out.parent))
            self.out.replace(old / "site")
        self.folder.replace(self.out)
        self.published = True
        if old is not None:
            _remove_later(old)

    def _in_place(self, moves: list[tuple[str, str]], deleted: list[str]) -> None:
        """Publish into ``hubgen serve``'s private folder, which nothing but its server reads
        (holding ``lock``), and which goes when the server stops: each changed file's bytes
        (held in memory, or staged by a worker) are written over the published file's, which
        keeps its inode and blocks, with the mtime the records hold. Staging each file anew and
        replacing the published one would make a file and free one: on a virtual disk mounted
        with ``discard`` that is about 0.8 ms a file, most of a quick build's writing. No
        journal: should this fail half way, the session trusts the folder no more, and its next
        build is a whole one into a new folder (see ``Session``)."""
        checked: set[Path] = set()
        with self._lock if self._lock is not None else contextlib.nullcontext():
            for relative in deleted:
                _delete(self.out, relative, checked)
            for relative, data, mtime in self._held:
                target = _inside(self.out, relative, checked)
                if target is not None:
                    _place(self.out, target, data, mtime)
            for staged, relative in moves:
                source = self.folder / staged
                target = _inside(self.out, relative, checked)
                if target is not None:
                    _place(self.out, target, source.read_bytes(), source.stat().st_mtime_ns)
            self.published = True
        shutil.rmtree(self.folder, ignore_errors=True)

    def discard(self) -> None:
        """Remove the folder of a build that was not published."""
        if not self.published:
            shutil.rmtree(self.folder, ignore_errors=True)


def spread(folder: str | Path) -> None:
    """Mark a new folder as the top of unrelated subtrees (ext4's ``chattr +T``), so that the
    file system places each folder made in it where there is room, not beside it; elsewhere
    nothing.

    ext4 without a journal does not reuse an inode freed in the last minute (six, while its
    block is unwritten): making a file or folder in a block group where many were freed first
    tests every one of them, nearly 1 ms at a time after a site of 17,000 files was deleted.
    Every build but the first replaces a site, so its files were freed beside where the new
    ones would go: a cold build of 10,000 posts spent 11–13 s in the kernel, against 2–3 s with
    the site's top folders marked."""
    if not _FLAGS:
        return
    import fcntl  # Linux: see _FLAGS (not on every system Python runs on)

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        flags = array.array("I", [0])
        fcntl.ioctl(fd, _GETFLAGS, flags, True)
        if not flags[0] & _TOPDIR:
            flags[0] |= _TOPDIR
            fcntl.ioctl(fd, _SETFLAGS, flags, True)
    except OSError:  # another file system, or another system: nothing to tell it
        pass
    finally:
        os.close(fd)


def _folder(path: str) -> None:
    """Make the folder ``path`` (and those above it that are missing) if it is not there: by
    its text, as ``Staging._target`` (a ``Path`` made to make it costs more than the call)."""
    try:
        os.mkdir(path)  # noqa: PTH102
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)  # noqa: PTH103
    except FileExistsError:
        if not os.path.isdir(path):  # noqa: PTH112
            raise


def _put(target: str | Path, data: bytes, mtime_ns: int | None = None) -> os.stat_result:
    """Write a new file; its status, read from the open file (no second lookup of the path)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        _write_all(fd, data)
        if mtime_ns is not None:
            os.utime(fd, ns=(mtime_ns, mtime_ns))
        return os.fstat(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Written(NamedTuple):
    """What ``Staging.write`` tells of a file it holds until it is published."""

    st_size: int
    st_mtime_ns: int
    st_ino: int = 0  # not known: the file is not written yet


def _files(top: Path, found: dict[str, tuple[int, int]]) -> int:
    """Fill ``found`` with the size and mtime of each plain file under ``top`` (by relative
    path), never following a link; the number of links (and other non-files) met."""
    others = 0
    folders = [(str(top), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            others += 1
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file(follow_symlinks=False):
                status = entry.stat(follow_symlinks=False)
                found[prefix + entry.name] = (status.st_size, status.st_mtime_ns)
            else:
                others += 1
    return others


def _parts(relative: str) -> tuple[str, ...]:
    parts = PurePosixPath(relative).parts
    if not parts or parts[0] == "/" or ".." in parts or "\0" in relative:
        raise ValueError(f"refusing to write outside the output folder: {relative}")
    return parts


def _commit_folder(out: Path) -> Path:
    return out.parent / f".{out.name}.commit"


def _inside(out: Path, relative: str, checked: set[Path]) -> Path | None:
    """``out/relative`` if no folder on the way there is a link (which could lead outside)."""
    try:
        parts = _parts(relative)
    except ValueError:
        return None
    folder = out
    for part in parts[:-1]:
        folder = folder / part
        if folder not in checked:
            if folder.is_symlink():
                return None
            checked.add(folder)
    return folder / parts[-1]


def _apply(commit: Path, out: Path) -> None:
    """Carry out the journal of an update: remove the files it no longer has, move in the new.

    Each step can be done again, so a commit cut short is completed by running it again."""
    journal = json.loads((commit / JOURNAL).read_text(encoding="utf-8"))
    checked: set[Path] = set()
    for relative in journal["deletes"]:
        _delete(out, relative, checked)
    for move in journal["moves"]:
        # [where it is staged, where it goes]; a name alone in journals of earlier versions
        staged, relative = (move, move) if isinstance(move, str) else move
        target = _inside(out, relative, checked)
        if target is not None:
            _move(commit.joinpath(*_parts(staged)), out, target)
    shutil.rmtree(commit, ignore_errors=True)


def _delete(out: Path, relative: str, checked: set[Path]) -> None:
    """Remove the published file ``relative``, and the folders it leaves empty."""
    target = _inside(out, relative, checked)
    if target is None:
        return
    with contextlib.suppress(OSError):
        target.unlink()
        for folder in target.parents:  # folders left empty go too
            if folder == out:
                break
            folder.rmdir()


def _move(source: Path, out: Path, target: Path) -> None:
    """Move ``source`` to ``target`` in ``out``: at once, as nearly always; else the folder is
    made, or what stands there goes. Nothing when it was moved already (a commit completed)."""
    try:
        source.replace(target)
    except FileNotFoundError:
        if not source.is_file():
            return
        _make_folder(out, target.parent)
        source.replace(target)
    except (IsADirectoryError, NotADirectoryError):
        _make_folder(out, target.parent)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        source.replace(target)


def _place(out: Path, target: Path, data: bytes, mtime_ns: int) -> None:
    """Write ``data`` as the published file ``target`` of ``out``, with this mtime: over the
    file that is there, in place, when it is a plain file of one link (another name of it
    could be anywhere); else as a new file, replacing whatever stands there."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NOFOLLOW)
    except OSError:
        fd = -1
    if fd >= 0:
        try:
            found = os.fstat(fd)
            if stat.S_ISREG(found.st_mode) and found.st_nlink == 1:
                _write_all(fd, data)
                os.ftruncate(fd, len(data))
                os.utime(fd, ns=(mtime_ns, mtime_ns))
                return
        finally:
            os.close(fd)
    _make_folder(out, target.parent)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
    _put(target, data, mtime_ns)


def _make_folder(out: Path, folder: Path) -> None:
    """Make ``folder`` inside ``out``, replacing files that stand where a folder must be."""
    missing = []
    while folder != out and not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        if path.is_file() or path.is_symlink():
            path.unlink()
        path.mkdir()
