"""A real blog of ~2,900 posts (../shared/corpora/carpentries-blog), when it is present."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_build

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared/corpora/carpentries-blog/posts"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora is not here")


def test_real_blog_builds_and_reports_each_broken_file(tmp_path):
    root = tmp_path / "hub"
    shutil.copytree(CORPUS, root / "content/posts")
    (root / "site.yaml").write_text(
        "title: Carpentries\nbase_url: https://blog.example.org/\n", encoding="utf-8"
    )
    result = run_build(root, keep_going=True, future=True)
    errors = [p for p in result.problems if p.severity == "error"]
    assert result.published and result.failed
    sources = list(CORPUS.rglob("*"))
    posts = [
        p for p in sources if p.suffix.lower() in (".md", ".html") and not p.name.startswith("_")
    ]
    broken = {p.path for p in errors}
    assert 0 < len(broken) < 40
    # every problem names its file (inside the hub) and a line
    assert all(p.path.startswith("content/posts/") and p.line >= 1 for p in errors)
    built = list((root / "public").glob("[12][0-9][0-9][0-9]/[01][0-9]/*/index.html"))
    assert len(built) >= len(posts) - len(broken)
    expected = ("missing required field", "link to a missing file", "this writes /")
    assert all(p.message.startswith(expected) for p in errors), [p.format() for p in errors]
