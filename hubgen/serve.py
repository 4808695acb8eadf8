"""``hubgen serve``: build into a private temporary folder, serve it, rebuild on every change.

``serve`` runs it (the watching and rebuilding are in ``watch``, live reload in ``livereload``);
the rest of this module is the HTTP side. Only files inside the output folder are served: a
request path is decoded once, and anything that could mean another folder (``..``, ``.``, empty
segments, encoded ``/`` or ``\\``, NUL, control characters) is refused before it touches the
disk; what is left is resolved, symlinks and all, and must still be inside the folder. The folder
is resolved on every request, because each build swaps in a new one. HTML gets the live-reload
script; nothing is ever listed.
"""

from __future__ import annotations

import ipaddress
import mimetypes
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from urllib.parse import unquote

from hubgen.build import BuildOptions
from hubgen.cli import EXIT_OK, EXIT_USAGE
from hubgen.livereload import CLIENT, CLIENT_SCRIPT, EVENTS, Broker, inject
from hubgen.watch import WATCHED, Rebuilder, Watcher, batches

KEEPALIVE_SECONDS = 15.0
_UTF8 = "; charset=utf-8"
# Types a site's files need, independent of the machine's /etc/mime.types.
CONTENT_TYPES = {
    ".html": "text/html" + _UTF8,
    ".htm": "text/html" + _UTF8,
    ".css": "text/css" + _UTF8,
    ".js": "text/javascript" + _UTF8,
    ".mjs": "text/javascript" + _UTF8,
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml" + _UTF8,  # feeds too: browsers show them (styled by feed.xsl)
    ".xsl": "application/xslt+xml" + _UTF8,
    ".ics": "text/calendar" + _UTF8,
    ".txt": "text/plain" + _UTF8,
    ".md": "text/markdown" + _UTF8,
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".wasm": "application/wasm",
}


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


@dataclass(frozen=True)
class Found:
    file: Path


@dataclass(frozen=True)
class Redirect:
    location: str


def request_path(target: str) -> tuple[tuple[str, ...], bool] | None:
    """The request target's path as segments, and whether it ends with '/'; None if unsafe."""
    path = target.split("#", 1)[0].split("?", 1)[0]
    if not path.startswith("/") or path.startswith("//"):
        return None  # absolute-form, '*' or a network path
    lowered = path.lower()
    if any(code in lowered for code in ("%2f", "%5c", "%00")):
        return None  # encoded separators mean a different path to every layer below
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in decoded or any(ord(c) < 32 or ord(c) == 127 for c in decoded):
        return None
    segments = decoded[1:].split("/")
    slash = segments[-1] == ""
    if slash:
        segments.pop()
    if any(s in ("", ".", "..") or s.startswith(".") for s in segments):
        return None  # traversal, empty segments, and dotfiles such as .hubgen-output
    return tuple(segments), slash


def locate(out: Path, target: str) -> Found | Redirect | None:
    """What a request target names inside ``out``: a file, a redirect to 'dir/', or nothing."""
    parsed = request_path(target)
    if parsed is None or not out.is_dir():
        return None
    segments, slash = parsed
    root = out.resolve()
    candidate = root.joinpath(*segments).resolve()
    if not candidate.is_relative_to(root):
        return None  # a symlink out of the folder
    if candidate.is_dir():
        index = (candidate / "index.html").resolve()
        if not index.is_relative_to(root) or not index.is_file():
            return None  # no listings
        if not slash:
            path, query = target.split("#", 1)[0], ""
            if "?" in path:
                path, query = path.split("?", 1)
                query = "?" + query
            return Redirect(path + "/" + query)
        return Found(index)
    if slash or not candidate.is_file():
        return None
    return Found(candidate)


def host_name(header: str) -> str:
    """The name in a Host header, without its port: 'localhost', '127.0.0.1', '[::1]'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.split(":", 1)[0]


Response = tuple[HTTPStatus, bytes, str]  # status, body, content type
FALLBACK_404 = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><h1>Not found</h1><p>There is no page here%s.</p></body></html>
"""


class DevServer(ThreadingHTTPServer):
    """Serves ``out`` (resolved per request) and the live-reload events of ``broker``."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        out: Path,
        broker: Broker,
        publishing: threading.Lock | None = None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.out = out
        self.broker = broker
        # held by a build writing over published files (see ``Staging``): a file is read whole
        self.publishing = publishing or threading.Lock()
        host = address[0]
        self.hosts = {"localhost", "127.0.0.1", "[::1]", f"[{host}]" if ":" in host else host}
        self.check_host = host in ("localhost", "127.0.0.1", "::1")

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a browser closing a connection mid-response is normal; nothing to report

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="hubgen-http", daemon=True)
        thread.start()
        return thread


class Handler(BaseHTTPRequestHandler):
    server: DevServer
    server_version = "hubgen-serve"

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for the build's messages

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def do_GET(self) -> None:
        self._respond(body=True)

    def _send(
        self, status: HTTPStatus, data: bytes, kind: str, body: bool, extra: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _respond(self, body: bool) -> None:
        if (
            self.server.check_host
            and host_name(self.headers.get("Host", "")) not in self.server.hosts
        ):
            # Another name resolving to this machine (DNS rebinding) must not read the site.
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"", "text/plain", body, {})
            return
        path = self.path.split("?", 1)[0]
        if path == EVENTS:
            self._events(body)
            return
        if path == CLIENT:
            self._send(HTTPStatus.OK, CLIENT_SCRIPT, CONTENT_TYPES[".js"], body, {})
            return
        build = self.server.broker.status.build  # before reading: a newer page only reloads
        found = locate(self.server.out, self.path)
        if isinstance(found, Redirect):
            moved = {"Location": found.location}
            self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", body, moved)
            return
        status, data, kind = self._file(found) or self._not_found()
        if kind.startswith("text/html"):
            data = inject(data, build)
        self._send(status, data, kind, body, {})

    def _file(self, found: Found | None, status: HTTPStatus = HTTPStatus.OK) -> Response | None:
        if found is None:
            return None
        try:
            with self.server.publishing:
                data = found.file.read_bytes()
            return status, data, content_type(found.file)
        except OSError:  # swapped away by a build since it was found
            return None

    def _not_found(self) -> Response:
        """The site's 404.html, else a plain page (the live-reload script shows build errors)."""
        page = locate(self.server.out, "/404.html")
        if isinstance(page, Found):
            response = self._file(page, HTTPStatus.NOT_FOUND)
            if response is not None:
                return response
        note = b"" if self.server.out.is_dir() else b": the site has not been built yet"
        return HTTPStatus.NOT_FOUND, FALLBACK_404 % note, CONTENT_TYPES[".html"]

    def _events(self, body: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not body:
            return
        broker, seen = self.server.broker, -1
        try:
            while not broker.closed:
                status = broker.wait(seen, KEEPALIVE_SECONDS)
                if status is None:
                    self.wfile.write(b": keep-alive\n\n")  # finds closed connections
                else:
                    seen = status.serial
                    self.wfile.write(status.event())
                self.wfile.flush()
        except OSError:
            return


def site_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


def _stop_on_sigterm() -> SignalHandler:
    """SIGTERM stops the server like Ctrl-C (so the temporary folder goes); returns the old handler.

    Build workers are forked with this handler but are ended by SIGTERM, so they get the default.
    """
    server = os.getpid()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != server:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def serve(options: BuildOptions, host: str, port: int, open_browser: bool = False) -> int:
    """Build into a private temporary folder, serve it, rebuild on every change until Ctrl-C."""
    root = options.root
    if not root.is_dir():
        print(f"hubgen: {root} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if not is_loopback(host):
        print(
            f"hubgen: warning: serving on {host} lets other machines read the site, drafts "
            "included; the dev server is made for this machine only (the default, 127.0.0.1)",
            file=sys.stderr,
        )
    folder = Path(tempfile.mkdtemp(prefix="hubgen-serve-"))  # 0700: private to this user
    out = folder / "site"
    broker = Broker()
    watcher = Watcher(root)
    server: DevServer | None = None
    rebuild: Rebuilder | None = None
    publishing = threading.Lock()  # the builds' and the server's: see ``Staging._in_place``
    serving = False
    previous = _stop_on_sigterm()
    # The session warms itself in a thread of its own between builds: the watcher, the server
    # and the next build take their turn from it every millisecond, not every five.
    switching = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        try:
            server = DevServer((host, port), out, broker, publishing)
        except OSError as error:
            print(f"hubgen: cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
        url = site_url(host, server.server_address[1])
        options = replace(options, out=out, base_url=url, keep_going=False, write=True)
        watcher.start()
        rebuild = Rebuilder(options, broker, publishing=publishing)
        rebuild(frozenset(), verb="Built")
        server.start()
        serving = True
        watched = [f"{name}/" for name in WATCHED if (root / name).is_dir()]
        print(
            f"Serving {url} from {out}\nWatching {', '.join([*watched, 'site.yaml'])} "
            f"in {root}; Ctrl-C to stop",
            flush=True,
        )
        if open_browser:
            webbrowser.open(url)
        for changed in batches(watcher.changes, threading.Event(), waits_long=watcher.waits_long):
            rebuild(changed)
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        watcher.stop()
        broker.close()
        if rebuild is not None:
            rebuild.session.close()  # the cache, for the next build or server
        if server is not None:
            if serving:
                server.shutdown()
            server.server_close()
        shutil.rmtree(folder, ignore_errors=True)
        sys.setswitchinterval(switching)
    return EXIT_OK
