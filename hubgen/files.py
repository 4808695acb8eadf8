"""Walking the site's folders safely: stable order, no links out of the site, no link loops."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from hubgen.errors import Problems, display_path


def walk(
    folder: Path,
    root: Path,
    problems: Problems,
    boundary: Path | None = None,
    skip: tuple[str, ...] = (".", "_"),
) -> Iterator[Path]:
    """Files below ``folder`` in a stable order, refusing links that lead outside ``boundary``.

    ``boundary`` defaults to the site's ``root``; paths in messages are relative to ``root``.
    Names starting with ``skip`` are passed over: by default hidden files, and Hugo's
    _index.md and the like.
    """
    if not folder.is_dir():
        return
    real_root = (boundary or root).resolve()
    visited: set[Path] = set()

    def visit(here: Path) -> Iterator[Path]:
        # as os.walk(followlinks=True) goes, top down; but whether an entry is a link is read
        # from the folder's listing, not asked of the system file by file
        real = here.resolve()
        if not real.is_relative_to(real_root):
            problems.error(display_path(here, root), 0, 0, "a link here points outside the site")
            return
        if real in visited:  # a link back to a folder already read: a loop
            return
        visited.add(real)
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:  # gone, or not readable: passed over, as os.walk does
            return
        folders = []
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if is_folder:
                if not entry.name.startswith("."):
                    folders.append(entry.name)
                continue
            if entry.name.startswith(skip):
                continue
            path = here / entry.name
            if entry.is_symlink() and not path.resolve().is_relative_to(real_root):
                problems.error(
                    display_path(path, root), 0, 0, "a link here points outside the site"
                )
                continue
            yield path
        for name in folders:
            yield from visit(here / name)

    yield from visit(folder)


def static_files(
    folders: Iterable[tuple[Path, Path]], root: Path, problems: Problems
) -> dict[str, Path]:
    """Files to copy, by output path: later folders override earlier ones, file by file.

    ``folders`` are (static folder, the folder its links may not leave) pairs: a theme's files
    stay inside the theme, the site's inside the site.
    """
    found: dict[str, Path] = {}
    for folder, boundary in folders:
        for file in walk(folder, root, problems, boundary, skip=(".",)):
            found[file.relative_to(folder).as_posix()] = file
    return found
