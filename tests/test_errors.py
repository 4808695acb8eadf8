"""How problems are shown: source excerpts on a terminal, unsafe links, internal errors."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest
from conftest import POST, errors, run_build

from hubgen import cli


def test_terminal_report_shows_the_offending_line_with_a_caret(make_site):
    root = make_site({"content/groups/g.yaml": "name: G\nsummary: S\nstatus: closed\n"})
    leader, follower = pty.openpty()
    process = subprocess.run(
        [sys.executable, "-m", "hubgen", "check"],
        cwd=root,
        stderr=follower,
        stdout=subprocess.DEVNULL,
        timeout=60,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    text = output.decode().replace("\r\n", "\n")
    assert process.returncode == 1
    assert "content/groups/g.yaml:3:9: error: invalid status 'closed'" in text
    assert "    status: closed\n            ^" in text


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](vbscript:msgbox)",
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
    ],
)
def test_unsafe_urls_in_markdown_are_refused(make_site, link):
    root = make_site(
        {
            "content/posts/a.md": POST.format(
                title="A", date="2025-01-01", body=f"Intro.\n\nSee {link} now."
            )
        }
    )
    problems = errors(run_build(root))
    assert len(problems) == 1
    assert problems[0].startswith("content/posts/a.md:9:1: error: unsafe URL refused:")
    result = run_build(root, keep_going=True)
    assert result.published
    assert not (root / "public/2025/01/a").exists()


def test_group_urls_must_be_web_addresses(make_site):
    root = make_site(
        {"content/groups/g.yaml": "name: G\nsummary: S\nlinks:\n  Site: javascript:alert(1)\n"}
    )
    problems = errors(run_build(root))
    assert problems == [
        "content/groups/g.yaml:4:9: error: invalid links.Site 'javascript:alert(1)': expected an absolute http:// or https:// URL"
    ]


def test_a_bug_in_hubgen_shows_a_traceback_and_asks_for_a_report(monkeypatch, capsys, tmp_path):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "build", broken)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["build"]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "please report it" in err
