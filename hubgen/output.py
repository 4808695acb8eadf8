"""Step 4b, write: into a fresh sibling folder, swapped into place only when the build succeeded."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hubgen.errors import Problem

MARK = ".hubgen-output"
MARK_TEXT = "This folder is written by hubgen; it is replaced on every build.\n"


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
        or (site / "content").resolve().is_relative_to(target)
    ):
        return Problem(
            str(out),
            0,
            0,
            "refusing to write the site into this folder: it holds other files hubgen must not replace",
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


class Staging:
    """A sibling of the output folder that receives every file; ``publish`` swaps it in."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
        self._made: set[Path] = {self.folder}

    def _target(self, relative: str) -> Path:
        target = (self.folder / relative).resolve()
        if not target.is_relative_to(self.folder) or target == self.folder:
            raise ValueError(f"refusing to write outside the output folder: {relative}")
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        return target

    def write(self, relative: str, data: bytes) -> None:
        self._target(relative).write_bytes(data)

    def copy(self, source: Path, relative: str) -> None:
        shutil.copyfile(source, self._target(relative))

    def exists(self, relative: str) -> bool:
        return (self.folder / relative).exists()

    def publish(self) -> None:
        (self.folder / MARK).write_text(MARK_TEXT, encoding="utf-8")
        self.folder.chmod(0o755)  # mkdtemp makes it 0700; a site is world-readable
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old-", dir=self.out.parent))
            self.out.replace(old / "site")
        self.folder.replace(self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
