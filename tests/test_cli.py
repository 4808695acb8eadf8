"""The command line, run as users run it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import POST

from hubgen import __version__


def hubgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # buffered, as a user's pipe is: the command must flush what it says before it leaves
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-m", "hubgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_version(tmp_path):
    result = hubgen("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"hubgen {__version__}"


def test_init_then_build(tmp_path):
    assert hubgen("init", "newhub", cwd=tmp_path).returncode == 0
    result = hubgen("build", cwd=tmp_path / "newhub")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built ") and "into public/" in result.stdout
    assert (tmp_path / "newhub/public/groups/first-circle/index.html").is_file()


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub/notes.txt").write_text("mine", encoding="utf-8")
    result = hubgen("init", "hub", cwd=tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr


def test_new_post_and_group_build(tmp_path):
    hubgen("init", "hub", cwd=tmp_path)
    hub = tmp_path / "hub"
    post = hubgen("new", "post", "Our First Check-in: Notes", cwd=hub)
    group = hubgen("new", "group", "Night Owls Writing Circle", cwd=hub)
    assert post.returncode == 0 and group.returncode == 0
    today = dt.date.today().isoformat()
    post_file = hub / f"content/posts/{today}-our-first-check-in-notes.md"
    assert post_file.is_file()
    assert 'title: "Our First Check-in: Notes"' in post_file.read_text(encoding="utf-8")
    assert (hub / "content/groups/night-owls-writing-circle.yaml").is_file()
    result = hubgen("build", "--drafts", cwd=hub)
    assert result.returncode == 0, result.stderr
    assert (hub / "public/groups/night-owls-writing-circle/index.html").is_file()
    again = hubgen("new", "group", "Night Owls Writing Circle", cwd=hub)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_problems_are_reported_together_with_exit_1_and_no_traceback(tmp_path):
    hubgen("init", "hub", cwd=tmp_path)
    hub = tmp_path / "hub"
    (hub / "content/posts/bad-yaml.md").write_text(
        "---\ntitle: ok\ndate: 2025-01-01\n\ttags: [a]\n---\n", encoding="utf-8"
    )
    (hub / "content/posts/no-title.md").write_text(
        "---\ndate: 2025-01-01\n---\nBody\n", encoding="utf-8"
    )
    (hub / "content/groups/bad.yaml").write_text(
        "name: Bad\nsummary: x\nstatus: closed\n", encoding="utf-8"
    )
    result = hubgen("build", cwd=hub)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert "content/groups/bad.yaml:3:9: error: invalid status 'closed'" in result.stderr
    assert any(line.startswith("content/posts/bad-yaml.md:4:1: error:") for line in lines)
    assert any(
        line.startswith("content/posts/no-title.md:2:1: error: missing required field 'title'")
        for line in lines
    )
    paths = [line.split(":")[0] for line in lines if ": error:" in line]
    assert paths == sorted(paths)
    assert "3 errors" in result.stderr
    assert not (hub / "public").exists()


def test_check_reports_without_writing(tmp_path):
    hubgen("init", "hub", cwd=tmp_path)
    hub = tmp_path / "hub"
    assert hubgen("check", cwd=hub).returncode == 0
    (hub / "content/posts/x.md").write_text(
        POST.format(title="X", date="2025-13-01", body="b"), encoding="utf-8"
    )
    result = hubgen("check", cwd=hub)
    assert result.returncode == 1 and "content/posts/x.md:3:7: error: invalid date" in result.stderr
    assert not (hub / "public").exists()


def test_refusing_the_output_folder_is_a_usage_error(tmp_path):
    hubgen("init", "hub", cwd=tmp_path)
    result = hubgen("build", "-o", ".", cwd=tmp_path / "hub")
    assert result.returncode == 2 and "refusing" in result.stderr


def test_unknown_command_is_a_usage_error(tmp_path):
    assert hubgen("bild", cwd=tmp_path).returncode == 2


def test_base_url_override(tmp_path):
    hubgen("init", "hub", cwd=tmp_path)
    result = hubgen("build", "--base-url", "https://mirror.example.net/hub", cwd=tmp_path / "hub")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "hub/public/index.html").read_text(encoding="utf-8")
    assert 'href="/hub/groups/"' in html and "https://mirror.example.net/hub/" in html


@pytest.mark.parametrize("buffered", [True, False])
def test_output_read_by_a_command_that_left(tmp_path, buffered):
    """'hubgen build | head -0': the site is built, and the closed pipe ends hubgen as it ends
    'cat', with no traceback, whether it is found by a print or by the flush at the end."""
    assert hubgen("init", "newhub", cwd=tmp_path).returncode == 0
    read, write = os.pipe()
    os.close(read)  # the reader is gone before hubgen says anything
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "hubgen", "build"],
        cwd=tmp_path / "newhub",
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=env,
    )
    os.close(write)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""
    assert (tmp_path / "newhub/public/index.html").is_file()
