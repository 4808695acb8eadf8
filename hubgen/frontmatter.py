"""Split a source file into its YAML front matter and body, accepting BOMs and CRLF."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hubgen.errors import Problem
from hubgen.yamlio import Marks, load_yaml

_EMPTY = Marks({}, {})
_CLOSE = re.compile(r"^---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class SourceText:
    """A content file read and split: front matter data, where its keys stand, and the body."""

    path: str
    meta: dict[str, Any]
    marks: Marks
    body: str
    body_line: int  # the 1-based line of the file where the body starts


def split(text: str, path: str) -> tuple[SourceText | None, list[Problem]]:
    """Front matter is the YAML between a first line of ``---`` and the next ``---`` line."""
    first_end = text.find("\n")
    first_line = text if first_end == -1 else text[:first_end]
    if first_line.rstrip() != "---":
        return SourceText(path, {}, _EMPTY, text, 1), []
    close = _CLOSE.search(text, first_end + 1) if first_end != -1 else None
    if close is None:
        return None, [
            Problem(path, 1, 1, "front matter is never closed", "end it with a line of '---'")
        ]
    yaml_text = text[first_end + 1 : close.start()]
    body = text[close.end() + 1 :]
    body_line = yaml_text.count("\n") + 3
    data, marks, problems = load_yaml(yaml_text, path, line_offset=1)
    if any(p.severity == "error" for p in problems):
        return None, problems
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problem = Problem(path, 2, 1, "front matter must be a mapping of keys to values")
        return None, [*problems, problem]
    meta = {str(key): value for key, value in data.items()}
    return SourceText(path, meta, marks, body, body_line), problems
