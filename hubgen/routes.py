"""The one place that decides a page's URL and the file it is written to."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote, urlsplit

from hubgen.config import SiteConfig


def expand(pattern: str, slug: str, date: dt.datetime | None = None) -> str:
    """A permalink pattern filled in: '/{year}/{month}/{slug}/' -> '/2025/03/first-meeting/'."""
    values = {"slug": slug}
    if date is not None:
        values |= {
            "year": f"{date.year:04d}",
            "month": f"{date.month:02d}",
            "day": f"{date.day:02d}",
        }
    else:
        values |= {"year": "", "month": "", "day": ""}
    path = pattern.format(**values)
    while "//" in path:
        path = path.replace("//", "/")
    return path


# what ``url`` leaves as it is: most paths are made of nothing else
_SAFE = "/:@!$&'()*+,;=~.-_"
_UNQUOTED = re.compile(f"[A-Za-z0-9{re.escape(_SAFE)}]*\\Z", re.ASCII)


def quoted(path: str) -> str:
    """A site path with what a URL cannot hold as it is %-encoded."""
    return path if _UNQUOTED.match(path) else quote(path, safe=_SAFE)


def url(config: SiteConfig, path: str) -> str:
    """A site path ('/groups/') as a URL from the server root, with base_url's path ('/hub/groups/')."""
    return config.base_path.rstrip("/") + quoted(path)


def absolute(config: SiteConfig, site_url: str) -> str:
    """A URL from url() made absolute with base_url's scheme and host."""
    base = (
        config.base_url[: -len(config.base_path)]
        if config.base_path != "/"
        else config.base_url.rstrip("/")
    )
    return base + site_url


def beside(path: str, file_name: str) -> str:
    """A file that belongs to a page, such as its feed: ('/tags/x/', 'atom.xml') -> '/tags/x/atom.xml'.

    A page written as '/tags/x.html' keeps its files in '/tags/x/'.
    """
    folder = path if path.endswith("/") else path.removesuffix(".html") + "/"
    return folder + file_name


def host(config: SiteConfig) -> str:
    """base_url's host name, without port: what feed ids and calendar UIDs are minted under."""
    return urlsplit(config.base_url).hostname or "localhost"


def output_file(path: str) -> str | None:
    """The file (relative to the output folder, '/'-separated) for a site path, or None if it
    would escape it. Empty and '.' segments are left out, as a path would."""
    relative = path.lstrip("/")
    if not relative or path.endswith("/"):
        relative += "index.html"
    if "\\" in relative or "\x00" in relative:
        return None
    parts = relative.split("/")
    if "" in parts or "." in parts:
        parts = [part for part in parts if part not in ("", ".")]
    if ".." in parts or not parts:
        return None
    return "/".join(parts)
