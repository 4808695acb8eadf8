"""Fixtures that build real small hubs from inline files."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hubgen import feeds
from hubgen.build import BuildOptions, BuildResult, Session, build

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads a browser
CHROMIUM_ARGS = [  # headless on a machine with no network beyond the package registries
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _warmings_done() -> Iterator[None]:
    """After each test, the background warmings of its sessions (``hubgen serve`` has one at a
    time) are let finish: one left running holds the next test's threads up (the watcher's).
    The feed entries this process kept, and as written, are forgotten."""
    yield
    for thread in threading.enumerate():
        if thread.name == "hubgen-warm":
            thread.join(timeout=30)
    # what a session's renderer kept of feed entries is for that session's process alone
    feeds._KEEPER = None
    feeds._WRITTEN.clear()
    feeds._ENTRIES.clear()


SITE_YAML = """\
title: Test Hub
description: A hub for tests.
base_url: https://hub.example.org/
timezone: UTC
posts_per_page: 2
"""

POST = """\
---
title: {title}
date: {date}
tags: [Mentoring]
---

{body}
"""

GROUP = """\
name: {name}
summary: A small peer group.
kind: peer-group
status: open
format: online
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(
                textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8"
            )
    return root


MakeSite = Callable[..., Path]


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """make_site({"content/posts/a.md": "..."}) -> the hub's root; site.yaml is added unless given."""

    def make(files: dict[str, str | bytes], *, with_config: bool = True, name: str = "hub") -> Path:
        root = tmp_path / name
        root.mkdir(exist_ok=True)
        if with_config and "site.yaml" not in files:
            files = {"site.yaml": SITE_YAML, **files}
        return write_files(root, files)

    return make


def run_build(root: Path, session: Session | None = None, **options: object) -> BuildResult:
    """Build ``root`` into ``root/public`` at a fixed 'now'."""
    options.setdefault("now", NOW)
    return build(BuildOptions(root=root, **options), session=session)  # type: ignore[arg-type]


def errors(result: BuildResult) -> list[str]:
    return [p.format() for p in result.problems if p.severity == "error"]


def read(root: Path, relative: str) -> str:
    return (root / "public" / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium for the browser tests; in CI a missing Chromium fails them."""
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip("Debian's chromium is not installed (CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
