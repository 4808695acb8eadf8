"""Benchmark hubgen against Hugo (and Pelican when installed) on one synthetic corpus.

    python benchmarks/run.py [--posts 10000] [--groups 500] [--runs 3] [--hugo-feeds] [--carpentries]
    python benchmarks/run.py --scaling 1000,10000,50000

The corpus (``benchmarks/corpus.py``) is generated once per set of parameters and cached under
``/tmp/hubgen-bench-corpus/`` (keyed by the parameters and a hash of ``corpus.py``); each run copies
it into a temporary folder, so the cache is never modified. For every tool the runner times three
scenarios, each a new process:

- **cold**: no output folder and no cache (hubgen's ``.hubgen-cache/``, Hugo's ``resources/``,
  Pelican's ``cache/``);
- **no-op**: the same command again, nothing changed;
- **one edit**: one sentence appended to one post, then the command again (the sentence is checked
  for in the post's output page, and the post is restored afterwards).

Before each cold build the disk is synced and left alone for two seconds, so that the deletion of
the previous output is not paid by the build timed next. ``--hugo-feeds`` adds a second hubgen,
configured to write the feeds Hugo's defaults write (RSS of the site and of each tag, with
summaries) instead of its own (RSS, Atom and JSON Feed of the site, of each tag and author, and
of the group directory, with the posts' full text): the same work as Hugo's, feed for feed.

hubgen runs from its bytecode, compiled first, as pip compiles a package it installs (where
``PYTHONDONTWRITEBYTECODE`` is set, every run would otherwise compile its modules again).

Tools alternate (the order rotates every repetition); the table shows the median of ``--runs``
repetitions, the CPU-seconds (user and system) and the peak resident memory of the child process,
from ``os.wait4``'s ``ru_utime``, ``ru_stime`` and ``ru_maxrss`` (hubgen's workers are children it
waits for, Hugo's are threads: both are counted). On a shared virtual machine a tool's time, and
its CPU-seconds too, move by 10-30% from run to run; the ratio of each repetition's cold builds,
run back to back, shows how far the machine moved the figure (``instructions.py`` counts what
does not move).
Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # a sibling script, not a package

REPO = Path(__file__).resolve().parent.parent
CARPENTRIES = REPO.parent / "shared/corpora/carpentries-blog/posts"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "hubgen-bench-corpus"
SCENARIOS = ("cold", "no-op", "one edit")
# The targets of issue 5, as (scenario, hubgen / Hugo ratio, what Hugo time it is measured against).
TARGETS = {
    "cold": (0.7, "cold"),
    "no-op": (0.1, "cold"),
    "one edit": (0.1, "one edit"),
}
MEMORY_TARGET_MB = 300
SETTLE_SECONDS = 2.0
# The feeds Hugo's default outputs make of the corpus (RSS of the site and of each tag, with
# summaries), for the second hubgen, which builds them instead of its own defaults: RSS, Atom and
# JSON Feed of the site, each tag, author and group directory, with the posts' full text.
HUGO_FEEDS = "feeds:\n  formats: [rss]\n  include: [site, tags]\n  content: summary\n"


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_kib: int  # ru_maxrss of the child (KiB on Linux)
    cpu: float  # user and system CPU-seconds of the child and the children it waited for
    exit_code: int
    stdout: str
    stderr: str

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024


def measure(command: Sequence[str], cwd: Path) -> Measurement:
    """Run ``command`` as a child and wait for it with ``wait4``, for its time and peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: tell Popen
        out.seek(0)
        err.seek(0)
        return Measurement(
            seconds,
            usage.ru_maxrss,
            usage.ru_utime + usage.ru_stime,
            child.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def count_files(folder: Path) -> tuple[int, int]:
    """(HTML files, all files) below ``folder``."""
    html = total = 0
    for _, _, files in os.walk(folder):
        total += len(files)
        html += sum(name.endswith(".html") for name in files)
    return html, total


def remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def load() -> str:
    """The 1-, 5- and 15-minute load averages: other work on the machine skews every timing."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the corpus -----------------------------------------------------------------------------------


def corpus_key(posts: int, groups: int, seed: int) -> str:
    digest = hashlib.sha256(Path(corpus.__file__).read_bytes()).hexdigest()[:10]
    return f"posts{posts}-groups{groups}-seed{seed}-{digest}"


def ensure_corpus(cache: Path, posts: int, groups: int, seed: int) -> Path:
    """The cached corpus for these parameters, generated first if it is not there."""
    folder = cache / corpus_key(posts, groups, seed)
    if (folder / "manifest.json").is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    # Corpora of these parameters from an older corpus.py, or left half-written, are stale.
    prefix = folder.name.rsplit("-", 1)[0] + "-"
    remove(*(old for old in cache.iterdir() if old.name.startswith(prefix)))
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=cache))
    log(f"Generating the corpus ({posts} posts, {groups} groups) into {folder} …")
    start = time.perf_counter()
    corpus.generate(staging, posts, groups, seed)
    remove(folder)
    staging.rename(folder)
    log(f"  done in {time.perf_counter() - start:.1f} s")
    return folder


# --- tools ----------------------------------------------------------------------------------------


@dataclass
class Tool:
    """One generator set up in a work folder: its command, what "cold" deletes, the post to edit."""

    name: str
    site: Path
    out: Path
    command: list[str]
    cwd: Path
    caches: tuple[Path, ...]
    edit_source: Path
    edit_output: Path  # the edited post's page in the output
    pages: tuple[int, int] | None = None
    results: dict[str, list[Measurement]] = field(default_factory=dict)

    def reset(self) -> None:
        remove(self.out, *self.caches)
        # What the kernel still owes for the deletion (writing back, discarding the freed blocks)
        # is paid now, not by the build timed next: on this machine's disk it took seconds.
        os.sync()
        time.sleep(SETTLE_SECONDS)


def _post_page(source: Path) -> str:
    """``YYYY/MM/<slug>/index.html`` for a corpus post (every tool uses /{year}/{month}/{slug}/)."""
    text = source.read_text(encoding="utf-8")
    slug = re.search(r"^slug: (.+)$", text, re.MULTILINE)
    date = re.search(r"^date: (\d{4})-(\d{2})", text, re.MULTILINE)
    if slug is None or date is None:
        raise SystemExit(f"{source}: no slug or date in its front matter")
    return f"{date[1]}/{date[2]}/{slug[1].strip()}/index.html"


def _edit_target(posts: Path) -> Path:
    """The post in the middle of the sorted list: the same one for every tool."""
    names = sorted(p.name for p in posts.glob("*.md"))
    return posts / names[len(names) // 2]


def hubgen_tool(site: Path, out: Path) -> Tool:
    edit = _edit_target(site / "content/posts")
    return Tool(
        "hubgen",
        site,
        out,
        [sys.executable, "-m", "hubgen", "build", "-s", str(site), "-o", str(out)],
        REPO,  # so that ``-m hubgen`` runs this working tree
        (site / ".hubgen-cache",),
        edit,
        out / _post_page(edit),
    )


def hugo_tool(site: Path, out: Path) -> Tool | None:
    hugo = shutil.which("hugo")
    if hugo is None:
        return None
    edit = _edit_target(site / "content/posts")
    return Tool(
        "Hugo",
        site,
        out,
        [hugo, "--quiet", "-s", str(site), "-d", str(out)],
        site,
        (site / "resources", site / ".hugo_build.lock"),
        edit,
        out / _post_page(edit),
    )


def pelican_tool(hub: Path, work: Path) -> Tool | None:
    pelican = shutil.which("pelican")
    if pelican is None:
        return None
    site = work / "pelican"
    corpus.write_pelican(hub, site)
    out = work / "out-pelican"
    edit = _edit_target(site / "content")
    page = _post_page(_edit_target(hub / "content/posts"))
    return Tool(
        "Pelican",
        site,
        out,
        [pelican, str(site / "content"), "-o", str(out), "-s", str(site / "pelicanconf.py"), "-q"],
        site,
        (site / "cache", site / "__pycache__"),
        edit,
        out / page,
    )


def source_digest() -> str:
    """A hash of hubgen's code, templates and theme: which working tree the numbers are for."""
    digest = hashlib.sha256()
    for folder in (REPO / "hubgen", REPO / "themes"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def compile_hubgen() -> None:
    """Compile the hubgen the runs import to bytecode, as pip does when it installs a package.
    Where Python is told not to write bytecode (``PYTHONDONTWRITEBYTECODE``, as this project's
    machine is), every run would otherwise compile hubgen's modules again: 0.07 s of each."""
    where = "import hubgen, os; print(os.path.dirname(hubgen.__file__))"
    done = subprocess.run(
        [sys.executable, "-c", where], cwd=REPO, capture_output=True, text=True, check=True
    )
    compileall.compile_dir(done.stdout.strip(), quiet=1)


def tool_versions() -> dict[str, str]:
    versions = {}
    for name, command in (
        ("hubgen", [sys.executable, "-m", "hubgen", "--version"]),
        ("Hugo", ["hugo", "version"]),
        ("Pelican", ["pelican", "--version"]),
    ):
        if name != "hubgen" and shutil.which(command[0]) is None:
            continue
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        versions[name] = (done.stdout or done.stderr).strip().splitlines()[0]
    versions["hubgen"] += f" (source {source_digest()})"
    return versions


# --- scenarios ------------------------------------------------------------------------------------


def settle(tool: Tool) -> None:
    """Wait until hubgen's background removal of the site it replaced is done.

    A build returns as soon as the new site is in place and deletes the old one in a process of
    its own; that deleting must not run into the next measurement, of any tool.
    """
    out = tool.out.resolve()
    for _ in range(1200):
        if not any(out.parent.glob(f".{out.name}.*")):
            return
        time.sleep(0.1)
    log(f"  WARNING: {tool.name}'s old site was still being removed after 120 s")


def run_checked(tool: Tool, label: str) -> Measurement:
    result = measure(tool.command, tool.cwd)
    settle(tool)
    if result.exit_code != 0:
        log(result.stdout[-2000:] + result.stderr[-4000:])
        raise SystemExit(f"{tool.name} {label}: exit status {result.exit_code}")
    log(
        f"  {tool.name:8} {label:9} {result.seconds:8.2f} s {result.cpu:7.2f} CPU-s"
        f" {result.peak_mb:8.0f} MB"
        f"   (load {load()})"
    )
    tool.results.setdefault(label, []).append(result)
    return result


@contextlib.contextmanager
def edited(path: Path, sentence: str) -> Iterator[None]:
    """``path`` with one sentence appended, restored afterwards."""
    original = path.read_bytes()
    path.write_bytes(original + f"\n{sentence}\n".encode())
    try:
        yield
    finally:
        path.write_bytes(original)


def run_scenarios(tool: Tool, repetition: int) -> None:
    tool.reset()
    run_checked(tool, "cold")
    if tool.pages is None:
        tool.pages = count_files(tool.out)
    run_checked(tool, "no-op")
    sentence = f"The benchmark appended this sentence, edit number {repetition}."
    with edited(tool.edit_source, sentence):
        run_checked(tool, "one edit")
        if sentence not in tool.edit_output.read_text(encoding="utf-8", errors="replace"):
            log(f"  WARNING: {tool.name} did not update {tool.edit_output} after the edit")


def rotated(items: Sequence[Tool], by: int) -> list[Tool]:
    by %= len(items)
    return [*items[by:], *items[:by]]


# --- tables ---------------------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def median_seconds(tool: Tool, scenario: str) -> float:
    return statistics.median(m.seconds for m in tool.results[scenario])


def median_cpu(tool: Tool, scenario: str) -> float:
    return statistics.median(m.cpu for m in tool.results[scenario])


def peak_mb(tool: Tool, scenario: str) -> float:
    return max(m.peak_mb for m in tool.results[scenario])


def results_table(tools: Sequence[Tool]) -> str:
    rows = []
    for tool in tools:
        for scenario in SCENARIOS:
            runs = tool.results[scenario]
            rows.append(
                [
                    tool.name,
                    scenario,
                    f"{median_seconds(tool, scenario):.2f}",
                    f"{min(m.seconds for m in runs):.2f}",
                    f"{max(m.seconds for m in runs):.2f}",
                    f"{median_cpu(tool, scenario):.2f}",
                    f"{peak_mb(tool, scenario):.0f}",
                    str(len(runs)),
                ]
            )
    header = ["tool", "scenario", "median s", "min s", "max s", "median CPU-s", "peak MB", "runs"]
    return markdown_table(header, rows)


def pages_table(tools: Sequence[Tool]) -> str:
    rows = [
        [tool.name, str(tool.pages[0]), str(tool.pages[1])]
        for tool in tools
        if tool.pages is not None
    ]
    return markdown_table(["tool", "HTML pages written", "files written"], rows)


def ratio_table(hubgen: Tool, hugo: Tool) -> str:
    rows = []
    for scenario in SCENARIOS:
        ours, theirs = median_seconds(hubgen, scenario), median_seconds(hugo, scenario)
        target, against = TARGETS[scenario]
        goal = ours / median_seconds(hugo, against)
        rows.append(
            [
                scenario,
                f"{ours:.2f}",
                f"{theirs:.2f}",
                f"{ours / theirs:.2f}×",
                f"{goal:.2f}× of Hugo {against}",
                f"≤ {target}× of Hugo {against}",
                "met" if goal <= target else "not met",
            ]
        )
    # Each repetition's cold builds ran one after the other: their ratios, paired, show how far
    # the machine's moods move the figure.
    paired = sorted(
        ours.seconds / theirs.seconds
        for ours, theirs in zip(hubgen.results["cold"], hugo.results["cold"], strict=False)
    )
    ours_cpu, theirs_cpu = median_cpu(hubgen, "cold"), median_cpu(hugo, "cold")
    rows.append(
        [
            "cold, CPU-seconds",
            f"{ours_cpu:.1f}",
            f"{theirs_cpu:.1f}",
            f"{ours_cpu / theirs_cpu:.2f}×",
            f"each repetition's cold: {paired[0]:.2f}–{paired[-1]:.2f}×",
            "(not a target)",
            "",
        ]
    )
    ours_mb = max(peak_mb(hubgen, s) for s in SCENARIOS)
    theirs_mb = max(peak_mb(hugo, s) for s in SCENARIOS)
    rows.append(
        [
            "peak memory",
            f"{ours_mb:.0f} MB",
            f"{theirs_mb:.0f} MB",
            f"{ours_mb / theirs_mb:.2f}×",
            f"{ours_mb:.0f} MB",
            f"≤ {MEMORY_TARGET_MB} MB",
            "met" if ours_mb <= MEMORY_TARGET_MB else "not met",
        ]
    )
    header = ["scenario", "hubgen", "Hugo", "hubgen/Hugo", "measured for target", "target", ""]
    return markdown_table(header, rows)


def machine() -> str:
    """The date, CPUs, Python and the load average before the run."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{dt.date.today().isoformat()}, {os.cpu_count()} CPUs ({model}), "
        f"Python {platform.python_version()}, load average {load()} at the start; "
        f"{parallel_capacity()}"
    )


# A fixed piece of CPU-bound Python: dict stores and int-to-str, as an interpreter's work is.
_SPIN = "d = {}\nfor i in range(3_000_000):\n    d[i & 1023] = str(i)\n"


def _spin_seconds(copies: int) -> float:
    """The longest time of ``copies`` processes running ``_SPIN`` at once, each timed alone."""
    timed = f"import time\nt = time.perf_counter()\n{_SPIN}print(time.perf_counter() - t)\n"
    children = [
        subprocess.Popen([sys.executable, "-c", timed], stdout=subprocess.PIPE, text=True)
        for _ in range(copies)
    ]
    return max(float(child.communicate()[0]) for child in children)


def parallel_capacity() -> str:
    """How much more Python work all the CPUs do at once than one does alone (best of three):
    on a virtual machine whose CPUs share the host's cores, two busy processes each run slower
    than one alone, and a build's workers can gain only that much from the second CPU."""
    cpus = os.cpu_count() or 1
    if cpus < 2:
        return "one CPU"
    alone = min(_spin_seconds(1) for _ in range(3))
    together = min(_spin_seconds(cpus) for _ in range(3))
    return (
        f"{cpus} processes of Python at once each ran {together / alone:.2f}× as long as one "
        f"alone: all CPUs together do {cpus * alone / together:.2f}× the work of one"
    )


# --- the three modes ------------------------------------------------------------------------------


def compare(args: argparse.Namespace, work: Path) -> None:
    source = ensure_corpus(args.corpus_cache, args.posts, args.groups, args.seed)
    manifest = (source / "manifest.json").read_text(encoding="utf-8")
    shutil.copytree(source / "hubgen", work / "hubgen")
    tools = [hubgen_tool(work / "hubgen", work / "out-hubgen")]
    if args.hugo_feeds:
        shutil.copytree(source / "hubgen", work / "hubgen-feeds")
        with (work / "hubgen-feeds/site.yaml").open("a", encoding="utf-8") as config:
            config.write(HUGO_FEEDS)
        like = hubgen_tool(work / "hubgen-feeds", work / "out-hubgen-feeds")
        like.name = "hubgen, Hugo's feeds"
        tools.append(like)
    hugo = None
    if shutil.which("hugo"):
        shutil.copytree(source / "hugo", work / "hugo")
        hugo = hugo_tool(work / "hugo", work / "out-hugo")
    pelican = pelican_tool(work / "hubgen", work)
    tools += [t for t in (hugo, pelican) if t is not None]

    print(f"## Side by side: {args.posts} posts, {args.groups} groups, {args.runs} runs each\n")
    print(machine())
    for name, version in tool_versions().items():
        print(f"- {name}: {version}")
    print(f"- corpus: {' '.join(manifest.split())}\n", flush=True)

    for repetition in range(1, args.runs + 1):
        log(f"Repetition {repetition}/{args.runs}")
        for tool in rotated(tools, repetition - 1):
            run_scenarios(tool, repetition)

    print(results_table(tools) + "\n")
    print(pages_table(tools) + "\n")
    if hugo is not None:
        for tool in tools[: 2 if args.hugo_feeds else 1]:
            print(f"{tool.name} against Hugo:\n\n{ratio_table(tool, hugo)}\n")
    else:
        print("Hugo is not installed (apt-get install -y hugo): no ratios.\n")
    print(f"Load average at the end: {load()}\n")


def scaling(args: argparse.Namespace, work: Path) -> None:
    sizes = [int(s) for s in args.scaling.split(",") if s.strip()]
    tools = []
    for size in sizes:
        groups = max(1, round(size * args.groups / args.posts)) if args.groups else 0
        source = ensure_corpus(args.corpus_cache, size, groups, args.seed)
        site = work / f"hubgen-{size}"
        shutil.copytree(source / "hubgen", site)
        tool = hubgen_tool(site, work / f"out-hubgen-{size}")
        tool.name = f"{size} posts, {groups} groups"
        one = one_post(site, work / f"hubgen-{size}-one-post")
        floor = hubgen_tool(one, work / f"out-hubgen-{size}-one-post")
        floor.name = f"1 post, {groups} groups"
        tools.append((size, groups, tool, floor))
    print(f"## Scaling: hubgen cold builds, {args.runs} runs each\n")
    print(f"{machine()}; hubgen source {source_digest()}\n", flush=True)
    for repetition in range(1, args.runs + 1):
        log(f"Repetition {repetition}/{args.runs}")
        for _, _, tool, floor in tools:
            for each in (tool, floor):
                each.reset()
                run_checked(each, "cold")
    base = None
    rows = []
    per_posts = []
    further = []
    for size, groups, tool, floor in tools:
        seconds = median_seconds(tool, "cold")
        per_posts.append(seconds / size)
        per_post = seconds / size * 1000
        base = base or per_post
        memory = peak_mb(tool, "cold")
        fixed = median_seconds(floor, "cold")
        further.append((seconds - fixed) / max(size - 1, 1))
        rows.append(
            [
                str(size),
                str(groups),
                f"{seconds:.2f}",
                f"{per_post:.2f}",
                f"{per_post / base:.2f}×",
                f"{memory:.0f}",
                f"{memory * 1024 / size:.1f}",
                f"{fixed:.2f}",
                f"{further[-1] * 1000:.2f}",
            ]
        )
    header = ["posts", "groups", "median s", "ms per post", "vs smallest", "peak MB", "KB per post"]
    header += ["one post s", "ms per further post"]
    print(markdown_table(header, rows) + "\n")
    print("Target: time per post flat within ±25% from 1,000 to 50,000 posts.")
    print(spread(per_posts))
    print(
        "Not the target's measure, but what moves it: the same hub with one post (its groups,"
        " authors and theme, and Python's start-up) is what a build costs before its posts; past"
        " it, each further post costs:"
    )
    print(spread(further))
    print(f"Load average at the end: {load()}\n")


def one_post(site: Path, into: Path) -> Path:
    """A copy of ``site`` with its first post (by name) alone: its groups, authors and config.
    The other posts are not copied (copied and deleted, 50,000 files freed just before the
    timed builds would slow the next ones to make files: see the README)."""
    posts = site / "content/posts"
    first = min(p.name for p in posts.glob("*.md"))

    def others(folder: str, names: list[str]) -> list[str]:
        if folder != str(posts):
            return []
        return [n for n in names if n.endswith(".md") and n != first]

    shutil.copytree(site, into, ignore=others)
    return into


def spread(per_post: list[float]) -> str:
    """Whether times per post lie within ±25% of one level: the band around the midpoint of the
    least and the most holds both when the most is at most 1.25 / 0.75 times the least."""
    if len(per_post) < 2:
        return "One size: no spread."
    most, least = max(per_post), min(per_post)
    middle = (most + least) / 2
    verdict = "met" if most <= least * 1.25 / 0.75 else "not met"
    return (
        f"Spread: the most per post is {most / least:.2f}× the least (±25% around their midpoint, "
        f"{middle * 1000:.2f} ms, holds both up to {1.25 / 0.75:.2f}×): {verdict}."
    )


def carpentries(args: argparse.Namespace, work: Path) -> None:
    posts = args.carpentries_dir
    if not posts.is_dir():
        print(f"{posts} is not here: the Carpentries blog was not timed.\n")
        return
    site = work / "carpentries"
    shutil.copytree(posts, site / "content/posts")
    (site / "site.yaml").write_text(
        "title: The Carpentries blog\nbase_url: https://blog.example.org/\n", encoding="utf-8"
    )
    out = work / "out-carpentries"
    command = [sys.executable, "-m", "hubgen", "build", "-s", str(site), "-o", str(out)]
    command += ["--keep-going", "--future"]
    sources = sum(1 for p in posts.rglob("*") if p.is_file())
    print(f"## The Carpentries blog ({posts}), hubgen cold builds, {args.runs} runs\n")
    print(f"{machine()}; hubgen source {source_digest()}\n", flush=True)
    results = []
    for repetition in range(1, args.runs + 1):
        remove(out, site / ".hubgen-cache")
        result = measure(command, REPO)
        log(
            f"  carpentries {repetition}: {result.seconds:.2f} s, {result.peak_mb:.0f} MB, "
            f"exit {result.exit_code}   (load {load()})"
        )
        if result.exit_code not in (0, 1):
            log(result.stderr[-4000:])
            raise SystemExit(f"hubgen on the Carpentries blog: exit status {result.exit_code}")
        results.append(result)
    last = results[-1]
    built = re.search(r"Built (\d+) pages, (\d+) files", last.stdout)
    summary = re.search(r"(\d+) errors?, (\d+) warnings?", last.stderr)
    broken = len(set(re.findall(r"^(content/.+?):\d+:\d+: error:", last.stderr, re.MULTILINE)))
    header = ["source files", "median s", "peak MB", "pages built", "files", "errors", "warnings"]
    row = [
        str(sources),
        f"{statistics.median(r.seconds for r in results):.2f}",
        f"{max(r.peak_mb for r in results):.0f}",
        built[1] if built else "?",
        built[2] if built else "?",
        summary[1] if summary else "0",
        summary[2] if summary else "0",
    ]
    print(markdown_table(header, [row]) + "\n")
    print(
        f"Built with --keep-going --future; exit status {last.exit_code}; "
        f"{broken} source files have errors and are left out.\n"
    )
    print(f"Load average at the end: {load()}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time hubgen against Hugo and Pelican: cold, no-op and one-edit builds."
    )
    parser.add_argument("--posts", type=int, default=corpus.DEFAULT_POSTS)
    parser.add_argument("--groups", type=int, default=corpus.DEFAULT_GROUPS)
    parser.add_argument("--runs", type=int, default=3, help="repetitions per scenario (median)")
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument(
        "--carpentries",
        action="store_true",
        help="also time hubgen on the real posts of ../shared/corpora/carpentries-blog",
    )
    parser.add_argument("--carpentries-dir", type=Path, default=CARPENTRIES, help=argparse.SUPPRESS)
    parser.add_argument(
        "--scaling",
        metavar="SIZES",
        help="instead of the comparison, time hubgen cold builds at these numbers of posts "
        "(e.g. 1000,10000,50000; groups scale with posts as --groups/--posts), and each "
        "size's hub with one post",
    )
    parser.add_argument(
        "--corpus-cache",
        type=Path,
        default=DEFAULT_CACHE,
        metavar="DIR",
        help=f"where generated corpora are kept (default: {DEFAULT_CACHE})",
    )
    parser.add_argument(
        "--hugo-feeds",
        action="store_true",
        help="also time hubgen configured to write the feeds Hugo writes (RSS of the site and its "
        "tags, summaries) instead of its default feeds",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder and print it")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="hubgen-bench-"))
    modes: list[Callable[[argparse.Namespace, Path], None]] = [scaling if args.scaling else compare]
    if args.carpentries:
        modes.append(carpentries)
    before = source_digest()
    compile_hubgen()
    try:
        for mode in modes:
            mode(args, work)
        if source_digest() != before:
            print(f"WARNING: hubgen's source changed during the run (was {before}).")
    finally:
        if args.keep:
            log(f"Work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
