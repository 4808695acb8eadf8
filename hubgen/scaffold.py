"""``hubgen init`` and ``hubgen new``: files from templates, never over existing ones."""

from __future__ import annotations

import datetime as dt
import shutil
import string
from pathlib import Path

from hubgen.content import slugify

PACKAGE = Path(__file__).parent
SKELETON = PACKAGE / "skeleton"
SCAFFOLDS = PACKAGE / "scaffolds"


class ScaffoldError(Exception):
    """A usage problem: the target exists, or the folder is not a hub."""


def init_site(target: Path) -> None:
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} is not empty; choose a new folder for the hub")
    shutil.copytree(
        SKELETON, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    (target / ".gitignore").write_text("/public/\n/.hubgen-cache/\n", encoding="utf-8")


def _scaffold(root: Path, name: str) -> string.Template:
    """The site's own scaffolds/<name> if it has one, else hubgen's."""
    own = root / "scaffolds" / name
    return string.Template((own if own.is_file() else SCAFFOLDS / name).read_text(encoding="utf-8"))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _create(path: Path, text: str) -> Path:
    if path.exists():
        raise ScaffoldError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _require_hub(root: Path) -> None:
    if not (root / "site.yaml").is_file():
        raise ScaffoldError(
            f"{root} has no site.yaml; run this inside a hub, or 'hubgen init' first"
        )


def new_post(root: Path, title: str, today: dt.date) -> Path:
    _require_hub(root)
    slug = slugify(title)
    text = _scaffold(root, "post.md").substitute(
        title=_quote(title), date=today.isoformat(), slug=slug
    )
    return _create(root / "content" / "posts" / f"{today.isoformat()}-{slug}.md", text)


def new_group(root: Path, name: str) -> Path:
    _require_hub(root)
    slug = slugify(name)
    text = _scaffold(root, "group.yaml").substitute(name=_quote(name), slug=slug)
    return _create(root / "content" / "groups" / f"{slug}.yaml", text)
