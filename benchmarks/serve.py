"""How long `hubgen serve` takes to show an edit: from saving a post to the browser showing it.

    python benchmarks/serve.py [--posts 10000] [--groups 500] [--edits 5] [--post newest]

The corpus is the runner's (``benchmarks/run.py``: generated once, cached under
``/tmp/hubgen-bench-corpus/``) copied into a temporary folder. The script starts
``python -m hubgen serve`` on it, opens the edited post in headless Chromium (Debian's
``/usr/bin/chromium``), then makes ``--edits`` edits of each kind, in turn. The edited post is the
one ``run.py`` edits, the middle one (``--post middle``), which at 10,000 posts is in no feed; or
the newest (``--post newest``), the one an editor is most likely writing, which is in the site's
feeds and those of its tags and author:

- **body**: a sentence appended to the post's Markdown;
- **title**: the post's title changed in its front matter;
- **tag**: a new tag added to the post: the new tag's pages and feeds, the tag index and the
  sitemap are written besides the pages that show the post (all three are quick builds of one
  post edited in place),

and measures from the save to

- **rebuilt**: the server's terminal line ``Rebuilt in X ms`` arriving (X, the build alone, is
  shown as well);
- **in the browser**: the page, reloaded by the server's live reload, containing the sentence.

It prints each edit and the medians. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # siblings, not a package
import run

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


KINDS = ("body", "title", "tag")


@dataclass(frozen=True)
class Edit:
    kind: str
    rebuilt_ms: float  # save -> 'Rebuilt' line read
    build_ms: float  # what the line says the build took
    browser_ms: float  # save -> the sentence in the page


class Lines:
    """The server's output lines, each with the time it was read."""

    def __init__(self, *streams: IO[str]) -> None:
        self.queue: queue.Queue[tuple[float, str]] = queue.Queue()
        for stream in streams:
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put((time.perf_counter(), line.rstrip("\n")))

    def wait_for(self, pattern: str, timeout: float) -> tuple[float, re.Match[str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                when, line = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            run.log(f"  server: {line}")
            found = re.search(pattern, line)
            if found:
                return when, found
        raise SystemExit(f"the server printed no line matching {pattern!r} in {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def measure(site: Path, edits: int, timeout: float, post: str) -> tuple[float, list[Edit]]:
    """Start the server on ``site``; the first build's seconds and one ``Edit`` per edit."""
    from playwright.sync_api import sync_playwright

    posts = site / "content/posts"
    # the corpus's file names start with the post's date
    source = max(posts.glob("*.md")) if post == "newest" else run._edit_target(posts)
    path = "/" + run._post_page(source).removesuffix("index.html")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hubgen", "serve", "-s", str(site), "--port", str(port)],
        cwd=REPO,  # so that ``-m hubgen`` runs this working tree
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stderr is not None
    lines = Lines(server.stdout, server.stderr)
    results: list[Edit] = []
    original = source.read_bytes()
    try:
        started = time.perf_counter()
        _, built = lines.wait_for(r"^Built in (\d+) ms", timeout)
        first = int(built[1]) / 1000
        _, serving = lines.wait_for(r"^Serving (\S+)", timeout)
        run.log(f"First build: {time.perf_counter() - started:.1f} s; editing {source.name}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(serving[1] + path.lstrip("/"))
            for number in range(1, edits * len(KINDS) + 1):
                kind = KINDS[(number - 1) % len(KINDS)]
                sentence = f"The serve benchmark's edit {number}, of the {kind}."
                time.sleep(1.0)  # let the previous reload settle
                text = source.read_text(encoding="utf-8")
                if kind == "title":
                    head, _, rest = text.partition("\ntitle:")
                    text = f'{head}\ntitle: "{sentence}"\n{rest.split(chr(10), 1)[1]}'
                elif kind == "tag":
                    sentence = f"Bench tag {number}"
                    text = text.replace("tags: [", f'tags: ["{sentence}", ', 1)
                else:
                    text += f"\n{sentence}\n"
                saved = time.perf_counter()
                source.write_text(text, encoding="utf-8")
                when, rebuilt = lines.wait_for(r"^Rebuilt in (\d+) ms", timeout)
                page.wait_for_function(
                    "text => document.body && document.body.innerText.includes(text)",
                    arg=sentence,
                    timeout=timeout * 1000,
                )
                shown = time.perf_counter()
                edit = Edit(kind, (when - saved) * 1000, float(rebuilt[1]), (shown - saved) * 1000)
                run.log(
                    f"Edit {number} ({kind}): rebuilt after {edit.rebuilt_ms:.0f} ms "
                    f"(build {edit.build_ms:.0f} ms), in the browser after {edit.browser_ms:.0f} ms"
                )
                results.append(edit)
            browser.close()
    finally:
        source.write_bytes(original)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    return first, results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time hubgen serve from saving a post to the rebuild and to the browser."
    )
    parser.add_argument("--posts", type=int, default=corpus.DEFAULT_POSTS)
    parser.add_argument(
        "--groups", type=int, help="default: 500 for 10,000 posts, in proportion otherwise"
    )
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument(
        "--edits", type=int, default=5, help="edits of each kind to time (medians are shown)"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for a step")
    parser.add_argument(
        "--post",
        choices=("middle", "newest"),
        default="middle",
        help="which post to edit: the middle one (as run.py) or the newest",
    )
    parser.add_argument(
        "--corpus-cache",
        type=Path,
        default=run.DEFAULT_CACHE,
        metavar="DIR",
        help=f"where generated corpora are kept (default: {run.DEFAULT_CACHE})",
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is not there (apt-get install chromium)")
    groups = args.groups
    if groups is None:
        groups = max(1, round(args.posts * corpus.DEFAULT_GROUPS / corpus.DEFAULT_POSTS))
    source = run.ensure_corpus(args.corpus_cache, args.posts, groups, args.seed)
    work = Path(tempfile.mkdtemp(prefix="hubgen-bench-serve-"))
    try:
        shutil.copytree(source / "hubgen", work / "hubgen")
        first, edits = measure(work / "hubgen", args.edits, args.timeout, args.post)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"## hubgen serve: {args.posts} posts, {groups} groups, {len(edits)} edits"
        f" of the {args.post} post\n"
    )
    print(run.machine())
    print(f"- first build (cold, no cache): {first:.1f} s\n")
    rows = [
        [str(n), e.kind, f"{e.rebuilt_ms:.0f}", f"{e.build_ms:.0f}", f"{e.browser_ms:.0f}"]
        for n, e in enumerate(edits, start=1)
    ]
    for kind in KINDS:
        chosen = [e for e in edits if e.kind == kind]
        rows.append(
            [
                "**median**",
                f"**{kind}**",
                f"**{statistics.median(e.rebuilt_ms for e in chosen):.0f}**",
                f"**{statistics.median(e.build_ms for e in chosen):.0f}**",
                f"**{statistics.median(e.browser_ms for e in chosen):.0f}**",
            ]
        )
    header = [
        "edit",
        "kind",
        "save → rebuilt (ms)",
        "of which the build (ms)",
        "save → in the browser (ms)",
    ]
    print(run.markdown_table(header, rows) + "\n")
    print(f"Load average at the end: {run.load()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
