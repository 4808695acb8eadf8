"""Problems found in a build: one type that knows where it happened, collected across the build."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, at ``path:line:column`` (1-based; 0 when unknown)."""

    path: str
    line: int
    column: int
    message: str
    hint: str = ""
    severity: Severity = "error"

    def location(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return where

    def format(self) -> str:
        text = f"{self.location()}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class BuildError(Exception):
    """Raised when input problems stop a build; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(p.format() for p in self.problems))


@dataclass
class Problems:
    """A collector passed explicitly through the build steps."""

    items: list[Problem] = field(default_factory=list)

    def error(self, path: str, line: int, column: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(path, line, column, message, hint, "error"))

    def warning(self, path: str, line: int, column: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(path, line, column, message, hint, "warning"))

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def sources_with_errors(self) -> set[str]:
        return {p.path for p in self.errors}


def did_you_mean(name: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """A 'did you mean' hint for an unknown name, or '' when nothing is close."""
    options = sorted(choices)
    exact = [c for c in options if c.lower() == name.lower()]
    close = exact or difflib.get_close_matches(name, options, n=1, cutoff=cutoff)
    return f"did you mean '{close[0]}'?" if close else ""


def display_path(path: Path, root: Path) -> str:
    """The path as shown in messages: relative to the site root when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
