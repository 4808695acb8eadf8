"""A build killed at any moment loses nothing; the same input gives the same bytes anywhere."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GROUP, POST, run_build

from hubgen.output import MARK, recover


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _hub(make_site, posts: int) -> Path:
    files: dict[str, str | bytes] = {
        f"content/posts/p{i:03d}.md": POST.format(
            title=f"Post {i}", date=f"202{i % 5}-0{1 + i % 9}-1{i % 10}", body="Text " * 50
        )
        for i in range(posts)
    }
    files["content/groups/circle.yaml"] = (
        GROUP.format(name="Circle") + "topics: [Writing, Ünïcode]\n"
    )
    return make_site(files)


def _build(root: Path, out: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hubgen", "build", "-o", str(out)],
        cwd=root,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_at_any_moment_leaves_a_whole_site(make_site):
    """Killed at any moment, a build leaves the old site or the new one, whole; or, killed while
    an update moves its files in, its journal, which the next build completes first."""
    root = _hub(make_site, 150)
    out = root / "public"
    commit = root / ".public.commit"
    assert _build(root, out).wait() == 0
    published = _tree(out)
    started = time.perf_counter()
    assert _build(root, out).wait() == 0
    duration = time.perf_counter() - started
    for attempt in range(12):
        (root / "content/posts/p000.md").write_text(
            POST.format(title=f"Edited {attempt}", date="2020-01-10", body="New text."),
            encoding="utf-8",
        )
        process = _build(root, out)
        time.sleep(duration * attempt / 10)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert out.is_dir(), f"no output after a kill at attempt {attempt}"
        if commit.exists():  # killed while committing: the journal is completed first
            recover(out)
            assert not commit.exists()
        now = _tree(out)
        assert MARK in now
        if now != published:  # the kill came after the swap or the commit: the new site, whole
            assert _build(root, root / "check").wait() == 0
            assert now == _tree(root / "check") | {}, (
                f"a mixed site after a kill at attempt {attempt}"
            )
            published = now
    # the next build cleans up whatever the kills left beside the output (in the background)
    assert _build(root, out).wait() == 0
    for _ in range(300):
        leftovers = sorted(p.name for p in root.iterdir() if p.name.startswith(".public"))
        if not leftovers:
            break
        time.sleep(0.1)
    assert leftovers == []


def test_a_commit_cut_short_is_completed_by_the_next_build(make_site, monkeypatch):
    """An update killed after moving some files in: the next build finishes the move first."""
    root = _hub(make_site, 5)
    assert run_build(root).published
    (root / "content/posts/p001.md").write_text(
        POST.format(title="Renamed", date="2021-02-11", body="Other text."), encoding="utf-8"
    )
    (root / "content/posts/p002.md").unlink()
    moved: list[str] = []
    real_replace = Path.replace

    def cut_short(self: Path, target: Path) -> Path:
        if self.parent.name != "public" and ".public.commit" in str(self):
            if len(moved) == 2:
                raise KeyboardInterrupt  # the process dies here, mid-commit
            moved.append(str(target))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", cut_short)
    with pytest.raises(KeyboardInterrupt):
        run_build(root)
    monkeypatch.setattr(Path, "replace", real_replace)
    assert len(moved) == 2 and (root / ".public.commit").is_dir()
    result = run_build(root)
    assert result.published and not (root / ".public.commit").exists()
    assert run_build(root, out=root / "fresh").published
    assert _tree(root / "public") == _tree(root / "fresh")


def test_a_commit_of_an_earlier_version_is_completed(make_site):
    """A journal that names each file once, staged where it goes (as earlier versions wrote it)."""
    root = _hub(make_site, 2)
    assert run_build(root).published
    commit = root / ".public.commit"
    (commit / "about").mkdir(parents=True)
    (commit / "about/index.html").write_text("<p>moved in</p>", encoding="utf-8")
    moves = {"moves": ["about/index.html"], "deletes": ["robots.txt"]}
    (commit / ".hubgen-commit.json").write_text(json.dumps(moves), encoding="utf-8")
    assert recover(root / "public")
    assert (root / "public/about/index.html").read_text(encoding="utf-8") == "<p>moved in</p>"
    assert not (root / "public/robots.txt").exists() and not commit.exists()


def test_a_commit_moves_files_past_what_stands_in_their_way(make_site):
    """A file where a folder must be, a folder where a file goes, folders not there yet, and a
    file moved in already (by the commit this completes): each move lands, the last is skipped."""
    root = _hub(make_site, 2)
    assert run_build(root).published
    out, commit = root / "public", root / ".public.commit"
    (out / "blocked").write_text("a file where a folder must be", encoding="utf-8")
    (out / "taken/inside").mkdir(parents=True)
    (out / "taken/inside/old.html").write_text("a folder where a file goes", encoding="utf-8")
    commit.mkdir()
    for number, text in enumerate(("first", "second", "third")):
        (commit / f"{number:06d}").write_text(text, encoding="utf-8")
    moves = [
        ["000000", "blocked/index.html"],
        ["000001", "taken"],
        ["000002", "new/deep/page.html"],
        ["000003", "robots.txt"],  # moved already: not in the commit folder
    ]
    robots = (out / "robots.txt").read_bytes()
    journal = {"moves": moves, "deletes": []}
    (commit / ".hubgen-commit.json").write_text(json.dumps(journal), encoding="utf-8")
    assert recover(out)
    assert (out / "blocked/index.html").read_text(encoding="utf-8") == "first"
    assert (out / "taken").read_text(encoding="utf-8") == "second"
    assert (out / "new/deep/page.html").read_text(encoding="utf-8") == "third"
    assert (out / "robots.txt").read_bytes() == robots and not commit.exists()


def test_identical_bytes_across_hash_seeds_locales_and_time_zones(tmp_path):
    root = (
        Path(__file__).resolve().parent.parent
    )  # the example hub: posts, groups, feeds, calendars
    trees = []
    for n, env in enumerate(
        (
            {"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C.UTF-8"},
            {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Kiritimati", "LC_ALL": "C"},
            {"PYTHONHASHSEED": "random", "TZ": "America/St_Johns", "LANG": "de_DE.UTF-8"},
        )
    ):
        out = tmp_path / f"out{n}"
        assert _build(root, out, env).wait() == 0
        trees.append(_tree(out))
    assert trees[0] == trees[1] == trees[2]


def test_links_outside_the_site_are_refused_and_loops_end(make_site, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\ndate: 2024-01-01\n---\nprivate\n", encoding="utf-8")
    root = make_site(
        {"content/posts/ok.md": POST.format(title="Ok", date="2024-01-02", body="Fine.")}
    )
    (root / "content/posts/leak.md").symlink_to(secret)
    (root / "content/posts/outside").symlink_to(tmp_path)
    (root / "content/posts/loop").symlink_to(root / "content/posts")
    result = run_build(root)
    messages = [p.format() for p in result.problems if p.severity == "error"]
    assert "content/posts/leak.md: error: a link here points outside the site" in messages
    assert "content/posts/outside: error: a link here points outside the site" in messages
    assert len(messages) == 2
    assert not (root / "public").exists()
    published = run_build(root, keep_going=True)
    assert published.published
    assert not any(
        "private" in p.read_text(encoding="utf-8") for p in (root / "public").rglob("*.html")
    )


def test_static_links_outside_the_site_are_refused(make_site, tmp_path):
    (tmp_path / "private.txt").write_text("secret", encoding="utf-8")
    root = make_site(
        {
            "content/posts/ok.md": POST.format(title="Ok", date="2024-01-02", body="Fine."),
            "static/_headers": "/*\n  X-Frame-Options: DENY\n",
        }
    )
    (root / "static/leak.txt").symlink_to(tmp_path / "private.txt")
    result = run_build(root, keep_going=True)
    assert [p.format() for p in result.problems if p.severity == "error"] == [
        "static/leak.txt: error: a link here points outside the site"
    ]
    assert not (root / "public/leak.txt").exists()
    assert (root / "public/_headers").is_file()
