"""Count the instructions hubgen takes to render a fixed sample of pages, under callgrind.

    python benchmarks/instructions.py [--posts 1000] [--groups 50] [--tree PATH ...]

On a shared virtual machine a build's time moves by 10-30% from one run to the next, more than
most changes to rendering are worth; the instructions a process runs do not move (to within a
few in a hundred thousand, with Python's hash seed fixed). This script builds a site of the
benchmark corpus once (read, assemble, plan), pickles it with a sample of its jobs (post pages,
tag pages, home pages and RSS feeds), then runs, under ``valgrind --tool=callgrind``, a Python
that loads the pickle, makes the Jinja environment, renders a few pages to compile the
templates, and renders the sample; and again without the sample. The difference is the
rendering's instructions. ``--tree`` names other working trees of hubgen to count the same way
(``git worktree add /tmp/before HEAD~1``), each run with it first on ``PYTHONPATH``.

It needs valgrind (``apt-get install valgrind``). Nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # the runner's corpus cache, a sibling script

REPO = Path(__file__).resolve().parent.parent
# What the sample holds of each kind of job: (template or format, how many).
SAMPLE = (("post.html", 400), ("tag.html", 150), ("index.html", 50), ("rss", 40))

# The child's program: make the site's pickle ("make"), or load it and render ("setup", "render").
CHILD = r"""
import ast, datetime as dt, gc, pickle, sys
sys.setrecursionlimit(100000)
from pathlib import Path
from hubgen.errors import Problems
from hubgen.fingerprint import Fingerprints
mode, site_root, pickled = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if mode == "make":
    from hubgen.config import load_config
    from hubgen.content import read_content
    from hubgen.plan import plan
    from hubgen.site import assemble
    sample = ast.literal_eval(sys.argv[4])
    config = load_config(site_root)[0].config
    problems = Problems()
    content = read_content(site_root, config, problems)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    site = assemble(content, config, problems, now=now, prints=Fingerprints())
    jobs = plan(site, problems, None)
    chosen = []
    for name, count in sample:
        chosen += [j for j in jobs if name in (j.template, j.format)][:count]
    with open(pickled, "wb") as out:
        pickle.dump((site_root, config, site, chosen), out, protocol=5)
    sys.exit(0)
from hubgen.render import MACROS_KEPT, Renderer
from hubgen.theme import environment, load_theme
with open(pickled, "rb") as file:
    site_root, config, site, jobs = pickle.load(file)
theme, _ = load_theme(site_root, config.theme, (1, 1))
env = environment(site_root, theme, config)
renderer = Renderer(env, site_root, theme, Fingerprints())
problems = Problems()
gc.disable()
for job in jobs[:5]:  # templates compiled, before what is counted
    renderer.render(job, site, problems)
if mode == "render":
    with env.globals["cached"].bounded(MACROS_KEPT):
        for job in jobs:
            renderer.render(job, site, problems)
"""


def child(tree: Path, *args: str, valgrind: bool) -> int | None:
    """Run the child program with ``tree`` first on the path; under callgrind, its count."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    python = os.path.realpath(sys.executable)  # not a shim: callgrind would count the shell
    command = [python, "-P", "-c", CHILD, *args]  # -P: not the folder it runs in, but ``tree``
    if valgrind:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} in {tree}: exit {done.returncode}\n{done.stderr}")
    if not valgrind:
        return None
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no count from callgrind:\n{done.stderr[-2000:]}")
    return int(found[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--seed", type=int, default=run.corpus.DEFAULT_SEED)
    parser.add_argument("--tree", type=Path, action="append", default=[], help="also count this")
    parser.add_argument("--corpus-cache", type=Path, default=run.DEFAULT_CACHE)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    source = run.ensure_corpus(args.corpus_cache, args.posts, args.groups, args.seed)
    sample = repr(SAMPLE)
    print(f"## Instructions to render {sum(n for _, n in SAMPLE)} pages of {source.name}\n")
    print("| tree | setup | setup and rendering | rendering |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="hubgen-instructions-") as work:
        site = Path(work) / "site"  # the same path for every tree: paths are in what is rendered
        shutil.copytree(source / "hubgen", site)
        pickled = str(Path(work) / "site.pickle")
        for tree in [REPO, *args.tree]:
            child(tree, "make", str(site), pickled, sample, valgrind=False)
            setup = child(tree, "setup", str(site), pickled, valgrind=True)
            both = child(tree, "render", str(site), pickled, valgrind=True)
            assert setup is not None and both is not None
            print(f"| {tree} | {setup:,} | {both:,} | {both - setup:,} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
