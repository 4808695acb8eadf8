"""The build: read, assemble, plan, write. Each step is a plain function; this module runs them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hubgen.config import load_config
from hubgen.content import read_content
from hubgen.errors import Problem, Problems, display_path
from hubgen.files import static_files
from hubgen.output import Staging, check_output
from hubgen.outputs import find_icon
from hubgen.plan import plan
from hubgen.render import Renderer, render_all
from hubgen.site import assemble
from hubgen.theme import environment, load_theme

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path | None = None  # default: <root>/public
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    keep_going: bool = False
    strict: bool = False
    write: bool = True  # False: check everything, write nothing
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def output(self) -> Path:
        return self.out if self.out is not None else self.root / "public"


@dataclass(frozen=True)
class BuildResult:
    problems: tuple[Problem, ...]
    pages: int = 0
    files: int = 0
    seconds: float = 0.0
    published: bool = False

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _failed(problems: Problems, strict: bool) -> bool:
    return bool(problems.errors) or (strict and bool(problems.warnings))


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    started = time.perf_counter()
    problems = Problems()

    def result(pages: int = 0, files: int = 0, published: bool = False) -> BuildResult:
        items = problems.items
        if options.strict:
            items = [Problem(p.path, p.line, p.column, p.message, p.hint, "error") for p in items]
        seconds = time.perf_counter() - started
        return BuildResult(tuple(sorted(set(items))), pages, files, seconds, published)

    overrides: dict[str, object] | None = (
        {"base_url": options.base_url} if options.base_url else None
    )
    loaded, config_problems = load_config(options.root, overrides)
    problems.extend(config_problems)
    if loaded is None:
        return result()
    config = loaded.config
    theme, theme_problems = load_theme(options.root, config.theme, loaded.theme_position)
    problems.extend(theme_problems)
    if options.write:
        refused = check_output(options.output, options.root)
        if refused is not None:
            problems.add(refused)
    if theme is None or problems.errors:
        return result()

    content = read_content(options.root, config, problems)
    site = assemble(
        content, config, problems, drafts=options.drafts, future=options.future, now=options.now
    )
    icon = config.feeds.icon or find_icon((*theme.static_dirs, options.root / "static"))
    jobs = plan(site, problems, icon)
    renderer = Renderer(environment(options.root, theme, config), options.root, theme)

    static = static_files(
        [*((d, d.parent) for d in theme.static_dirs), (options.root / "static", options.root)],
        options.root,
        problems,
    )
    static |= {path.lstrip("/"): file for file, path in site.resources}
    staging = Staging(options.output) if options.write else None
    try:
        write = staging.write if staging is not None else None
        rendered = set(render_all(jobs, renderer, site, problems, write, progress))
        for relative, file in sorted(static.items()):
            if relative in rendered:
                shown = display_path(file, options.root)
                problems.error(shown, 0, 0, f"this file would replace the page /{relative}")
            elif staging is not None:
                staging.copy(file, relative)
        publish = staging is not None and (
            not _failed(problems, options.strict) or options.keep_going
        )
        if publish and staging is not None:
            staging.publish()
    finally:
        if staging is not None:
            staging.discard()
    pages = sum(r.endswith(".html") for r in rendered)
    return result(pages=pages, files=len(rendered | static.keys()), published=publish)
