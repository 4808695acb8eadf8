"""Room in memory: caches that keep more than their floor while the process is small.

A build aims to stay under 300 MB in any one process (a 10,000-post hub's page workers start
at about 245 MB, with the bodies they inherit). A cache keeps at least its floor; past it, it
keeps what it makes while this process's resident memory is under ``ROOM``, and lets the oldest
go down to the floor once it is not. A small hub's workers have room for everything they make;
a large hub's keep their floors alone.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

ROOM = 200 * 2**20  # bytes of resident memory under which caches keep more than their floor
_EVERY = 64  # answers given from one reading of the process's size (a reading costs about 30 µs)
_STATM = Path("/proc/self/statm")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident() -> int | None:
    """This process's resident memory in bytes, from Linux's /proc; None elsewhere."""
    try:
        return int(_STATM.read_bytes().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


class Room:
    """``room()``: whether a cache may keep more than its floor now. The process's size is read
    once every ``_EVERY`` questions, and again in a process forked since the last reading."""

    def __init__(self) -> None:
        self._pid = 0
        self._left = 0
        self._answer = False

    def __call__(self) -> bool:
        if self._left <= 0 or self._pid != os.getpid():
            size = resident()
            self._answer = size is not None and size < ROOM
            self._pid, self._left = os.getpid(), _EVERY
        self._left -= 1
        return self._answer


room = Room()


def trim(cache: dict[Any, Any], floor: int, grow: bool = True) -> None:
    """Let the oldest items of ``cache`` go, down to ``floor``, unless it may ``grow`` and there
    is room for them."""
    if len(cache) > floor and not (grow and room()):
        for key in list(itertools.islice(cache, len(cache) - floor)):
            cache.pop(key, None)  # (a serving process's warming thread may trim it too)
