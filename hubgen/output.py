"""Step 4b, write: into a fresh sibling folder, swapped into place only when the build succeeded.

The swap is one atomic exchange (Linux renameat2 RENAME_EXCHANGE) where the system has it, so
a build killed at any moment leaves either the old site or the new one, whole. Elsewhere it is two
renames, and a build that finds the old site parked beside a missing output folder puts it back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path, PurePosixPath

from hubgen.errors import Problem

MARK = ".hubgen-output"
MARK_TEXT = "This folder is written by hubgen; it is replaced on every build.\n"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


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


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        renameat2 = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def recover(out: Path) -> None:
    """Undo what a killed build left: restore a parked site, remove abandoned staging folders."""
    out = out.resolve()
    if not out.parent.is_dir():
        return
    for leftover in sorted(out.parent.glob(f".{out.name}.old-*")):
        parked = leftover / "site"
        if not out.exists() and (parked / MARK).is_file():
            parked.replace(out)
        _remove_later(leftover)
    for leftover in out.parent.glob(f".{out.name}.new-*"):
        _remove_later(leftover)  # an old site still being deleted, or a killed build's folder


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


class Staging:
    """A sibling of the output folder that receives every file; ``publish`` swaps it in."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        recover(self.out)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
        self._made: set[Path] = {self.folder}
        self.published = False

    def _target(self, relative: str) -> Path:
        # The folder is new and hubgen makes no links in it, so a path without '..' that is not
        # absolute stays inside: checked on the text, not resolved (resolving each is slow).
        parts = PurePosixPath(relative).parts
        if not parts or parts[0] == "/" or ".." in parts or "\0" in relative:
            raise ValueError(f"refusing to write outside the output folder: {relative}")
        target = self.folder.joinpath(*parts)
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        return target

    def write(self, relative: str, data: bytes) -> os.stat_result:
        target = self._target(relative)
        target.write_bytes(data)
        return target.stat()

    def link(self, source: Path, relative: str) -> os.stat_result:
        """``source``, a file of the published site, in the new one too (never changed in place)."""
        target = self._target(relative)
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links
            shutil.copy2(source, target)
        return target.stat()

    def copy(self, source: Path, relative: str) -> None:
        shutil.copyfile(source, self._target(relative))

    def publish(self) -> None:
        (self.folder / MARK).write_text(MARK_TEXT, encoding="utf-8")
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

    def discard(self) -> None:
        """Remove the folder of a build that was not published."""
        if not self.published:
            shutil.rmtree(self.folder, ignore_errors=True)
