"""Live reload for ``hubgen serve``: the state browsers follow, as Server-Sent Events.

The watch loop tells the ``Broker`` about each rebuild; every open page holds one event stream and
hears about it: ``reload`` (reload the page), ``css`` (only stylesheets changed: swap them in
place) or ``error`` (show the problems over the page until a build succeeds). A page that connects
is sent the current state at once, so an error shows on every page, not only on open ones.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hubgen.cli import _source_line
from hubgen.errors import Problem

PREFIX = "/__hubgen__/"  # reserved for the dev server; the site's own files never live here
EVENTS = PREFIX + "events"
CLIENT = PREFIX + "livereload.js"
CLIENT_SCRIPT = (Path(__file__).parent / "livereload.js").read_bytes()

Kind = Literal["reload", "css", "error"]


@dataclass(frozen=True)
class Shown:
    """One problem as the browser overlay shows it: as the terminal prints it, and its source."""

    text: str  # 'path:line:col: error: message (hint)'
    location: str
    message: str
    excerpt: str  # the source line with a caret under the column, or ''


def shown(problems: Sequence[Problem], root: Path) -> tuple[Shown, ...]:
    return tuple(
        Shown(p.format(), p.location(), p.message, _source_line(root, p) or "") for p in problems
    )


@dataclass(frozen=True)
class Status:
    """What the browsers should show now."""

    serial: int  # one more on every change of status, so a stream can tell what it has sent
    build: int  # the build being served; unique across restarts of the server
    since: int  # the build before it, for ``css``: a page showing that one can swap stylesheets
    kind: Kind
    problems: tuple[Shown, ...] = ()

    def event(self) -> bytes:
        data = {
            "build": self.build,
            "since": self.since,
            "kind": self.kind,
            "problems": [vars(p) for p in self.problems],
        }
        return f"id: {self.serial}\nevent: {self.kind}\ndata: {json.dumps(data)}\n\n".encode()


def _build_id(after: int) -> int:
    """Milliseconds since the epoch, so a page from a previous run of the server reloads too."""
    return max(time.time_ns() // 1_000_000, after + 1)


class Broker:
    """The current status, shared by the watch loop (which sets it) and the event streams."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._status = Status(0, _build_id(0), 0, "reload")
        self.closed = False

    @property
    def status(self) -> Status:
        with self._changed:
            return self._status

    def _set(self, status: Status) -> Status:
        with self._changed:
            self._status = status
            self._changed.notify_all()
        return status

    def published(self, css_only: bool) -> Status:
        """A build succeeded and is being served."""
        with self._changed:
            now = self._status
            build = _build_id(now.build)
            kind: Kind = "css" if css_only and now.kind != "error" else "reload"
            return self._set(Status(now.serial + 1, build, now.build, kind))

    def failed(self, problems: tuple[Shown, ...]) -> Status:
        """A build failed; the last good one is still served."""
        with self._changed:
            now = self._status
            return self._set(Status(now.serial + 1, now.build, now.since, "error", problems))

    def wait(self, seen: int, timeout: float) -> Status | None:
        """The status once its serial differs from ``seen``; None after ``timeout`` seconds."""
        with self._changed:
            changed = self._changed.wait_for(
                lambda: self.closed or self._status.serial != seen, timeout
            )
            return self._status if changed and not self.closed else None

    def close(self) -> None:
        """End every stream (at shutdown)."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()


def inject(html: bytes, build: int) -> bytes:
    """The page with the live-reload script before its closing ``</body>`` (else at its end)."""
    tag = (
        f'<script src="{CLIENT}" data-build="{build}" data-events="{EVENTS}"></script>\n'
    ).encode()
    at = html.lower().rfind(b"</body>")
    return html + tag if at < 0 else html[:at] + tag + html[at:]
