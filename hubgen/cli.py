"""The command line: init, build, check, serve, new. Turns problems into a report and an exit code."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import select
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from hubgen import __version__
from hubgen.build import BuildOptions, BuildResult, build, leave_to_the_exit
from hubgen.errors import Problem
from hubgen.output import check_output
from hubgen.scaffold import ScaffoldError, init_site, new_group, new_post

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_CLOSED = 128 + 13  # what a shell reports of a command killed by SIGPIPE, as 'cat' would be


def _source_line(root: Path, problem: Problem) -> str | None:
    if problem.line <= 0:
        return None
    try:
        lines = (root / problem.path).read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return None
    if problem.line > len(lines):
        return None
    text = lines[problem.line - 1].replace("\t", "→")
    caret = " " * max(0, problem.column - 1) + "^" if problem.column else ""
    return f"    {text}\n    {caret}".rstrip()


def report(problems: Sequence[Problem], root: Path, stream: TextIO) -> None:
    """Every problem, sorted by path, as ``path:line:col: error: message``."""
    show_source = stream.isatty()
    for problem in problems:
        print(problem.format(), file=stream)
        if show_source:
            excerpt = _source_line(root, problem)
            if excerpt:
                print(excerpt, file=stream)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        print(
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
            file=stream,
        )


def _progress(done: int, total: int) -> None:
    if total >= 300:
        print(
            f"\rRendering {done}/{total}",
            end="" if done < total else "\n",
            file=sys.stderr,
            flush=True,
        )


def _options(args: argparse.Namespace, write: bool) -> BuildOptions:
    root = Path(args.source).resolve()
    out = Path(args.output).resolve() if getattr(args, "output", None) else None
    return BuildOptions(
        root=root,
        out=out,
        drafts=args.drafts,
        future=args.future,
        base_url=getattr(args, "base_url", None),
        keep_going=getattr(args, "keep_going", False),
        strict=args.strict,
        write=write,
    )


def _finish(result: BuildResult, root: Path, verb: str, out: Path | None) -> int:
    report(result.problems, root, sys.stderr)
    failed = result.failed
    if result.published and out is not None:
        where = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out
        note = " (leaving out the sources with errors)" if failed else ""
        print(
            f"Built {result.pages} pages, {result.files} files ({len(result.rendered)} rendered, "
            f"the rest unchanged) in {result.seconds:.2f} s into {where}/{note}"
        )
    elif verb == "check" and not failed:
        print(f"Checked {result.pages} pages in {result.seconds:.2f} s: no problems")
    elif failed:
        print(
            "Build failed; the previous output was left as it was."
            if verb == "build"
            else "Check failed.",
            file=sys.stderr,
        )
    return EXIT_PROBLEMS if failed else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    options = _options(args, write=True)
    refused = check_output(options.output, options.root)
    if refused is not None:
        report([refused], options.root, sys.stderr)
        return EXIT_USAGE
    progress = _progress if sys.stderr.isatty() else None
    return _finish(build(options, progress), options.root, "build", options.output)


def cmd_check(args: argparse.Namespace) -> int:
    options = _options(args, write=False)
    return _finish(build(options), options.root, "check", None)


def cmd_serve(args: argparse.Namespace) -> int:
    from hubgen.serve import serve  # here, not above: serve reuses this module's report

    options = BuildOptions(
        root=Path(args.source).resolve(), drafts=args.drafts, future=args.future, strict=args.strict
    )
    return serve(options, args.host, args.port, open_browser=args.open)


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.directory)
    init_site(target)
    print(f"Created a new hub in {target}/. Next: cd {target} && hubgen build")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    root = Path(args.source).resolve()
    today = dt.date.today()
    path = new_post(root, args.title, today) if args.what == "post" else new_group(root, args.title)
    print(f"Created {path.relative_to(root)}")
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="hubgen", description="Build a community knowledge hub: blog, group directory, pages."
    )
    main.add_argument("--version", action="version", version=f"hubgen {__version__}")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def site_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "-s", "--source", default=".", metavar="DIR", help="the hub's folder (default: here)"
        )
        command.add_argument(
            "--drafts", action="store_true", help="include posts marked draft: true"
        )
        command.add_argument(
            "--future", action="store_true", help="include posts dated in the future"
        )
        command.add_argument("--strict", action="store_true", help="treat warnings as errors")

    command = commands.add_parser("build", help="build the site")
    site_options(command)
    command.add_argument(
        "-o", "--output", metavar="DIR", help="output folder (default: public/ in the hub)"
    )
    command.add_argument("--base-url", metavar="URL", help="override base_url from site.yaml")
    command.add_argument(
        "--keep-going",
        action="store_true",
        help="write the site without the sources that have errors (still exits 1)",
    )
    command.set_defaults(run=cmd_build)

    command = commands.add_parser("check", help="validate everything, write nothing")
    site_options(command)
    command.set_defaults(run=cmd_check)

    command = commands.add_parser(
        "serve", help="build, serve on localhost, rebuild and reload the browser on every change"
    )
    site_options(command)
    command.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    command.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: any)")
    command.add_argument("--open", action="store_true", help="open the site in a web browser")
    command.set_defaults(run=cmd_serve)

    command = commands.add_parser("init", help="create a new hub with sample content")
    command.add_argument("directory", nargs="?", default=".", help="where (default: here)")
    command.set_defaults(run=cmd_init)

    command = commands.add_parser("new", help="create a post or group from its template")
    command.add_argument("what", choices=("post", "group"))
    command.add_argument("title", help="the post's title or the group's name")
    command.add_argument(
        "-s", "--source", default=".", metavar="DIR", help="the hub's folder (default: here)"
    )
    command.set_defaults(run=cmd_new)
    return main


def run() -> NoReturn:
    """The ``hubgen`` command: :func:`main`, then out without the interpreter's teardown, which
    would free one by one every object the build made (0.2 s after 10,000 posts) when all is
    written and every worker is gone; nor are they freed as the build returns. (Tests call
    ``main``, which returns; under a profiler or a tracer, the teardown is kept for its report.)"""
    leave_to_the_exit()  # as the teardown below: freeing a build's objects one by one
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler's or coverage's report comes at the teardown
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # what reads the output went away: as in ``main``
        code = EXIT_CLOSED if code == EXIT_OK else code
    except (OSError, ValueError):  # a closed stream
        pass
    os._exit(code)


def _closed(stream: TextIO) -> bool:
    """Whether ``stream`` is a pipe whose reader has gone."""
    try:
        poll = select.poll()
        poll.register(stream.fileno(), select.POLLOUT)
    except (OSError, ValueError, AttributeError):  # not a file (a test's), or no poll (Windows)
        return False
    return any(events & select.POLLERR for _, events in poll.poll(0))


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except ScaffoldError as error:
        print(f"hubgen: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # what reads the output went away ('hubgen build | head -1'): quietly, as other commands
        if not any(_closed(stream) for stream in (sys.stdout, sys.stderr)):
            return _bug()  # a pipe of hubgen's own
        with contextlib.suppress(OSError, ValueError):  # nothing more is written to it at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLOSED
    except Exception:
        return _bug()


def _bug() -> int:
    traceback.print_exc()
    print(
        "hubgen: internal error; this is a bug in hubgen, please report it with the traceback above",
        file=sys.stderr,
    )
    return 3
