"""Validate YAML data against frozen dataclasses, turning every violation into a located Problem."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
import typing
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from hubgen.errors import Problem, did_you_mean
from hubgen.yamlio import KeyPath, Marks

T = TypeVar("T")

# Strings in YAML are often read as numbers or booleans (a title of 2024); accept those as text.
CONFIG = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)
Text = Annotated[str, Field(min_length=1)]

_KINDS = {
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "dict": "a mapping",
}


def read_when(value: object) -> object:
    """Dates as YAML dates, datetimes or ISO text; anything else YAML produced is refused."""
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return (
                dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
            )
        except ValueError as error:
            raise ValueError(f"not a valid date ({error}); write it as YYYY-MM-DD") from None
    kind = _KINDS.get(type(value).__name__, type(value).__name__)
    raise ValueError(f"expected a date such as 2024-05-01, but YAML read {kind}")


When = Annotated[dt.datetime | dt.date, BeforeValidator(read_when)]
Day = Annotated[dt.date, BeforeValidator(read_when)]

_STEP = re.compile(r"^function-(after|before|wrap|plain)\[")
_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(model: type[T]) -> TypeAdapter[T]:
    found = _adapters.get(model)
    if found is None:
        found = _adapters[model] = TypeAdapter(model)
    return found


def _unwrap(annotation: Any) -> Any:
    """The dataclass behind Optional[...], tuple[...], list[...] or dict[..., ...], if any."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list, dict):
        for arg in reversed(get_args(annotation)):
            inner = _unwrap(arg)
            if dataclasses.is_dataclass(inner):
                return inner
    return annotation


def field_names_at(model: type[Any], loc: KeyPath) -> list[str]:
    """The field names allowed in the mapping at ``loc`` inside ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not dataclasses.is_dataclass(current):
            continue
        hints = typing.get_type_hints(current, include_extras=True)
        current = _unwrap(hints.get(str(part)))
    if dataclasses.is_dataclass(current):
        return [f.name for f in dataclasses.fields(current)]
    return []


def _describe(loc: KeyPath) -> str:
    return ".".join(str(part) if isinstance(part, str) else f"[{part}]" for part in loc).replace(
        ".[", "["
    )


def _message(error: Any, model: type[Any], marks: Marks, path: str) -> Problem:
    # pydantic adds steps such as 'function-after[check_url(), str]' for validators: not keys
    loc: KeyPath = tuple(p for p in error["loc"] if not (isinstance(p, str) and _STEP.match(p)))
    kind = error["type"]
    name = _describe(loc)
    if kind == "missing":
        line, column = marks.value(loc[:-1]) if len(loc) > 1 else marks.start
        return Problem(path, line, column, f"missing required field '{name}'")
    if kind in ("extra_forbidden", "unexpected_keyword_argument") and loc:
        line, column = marks.key(loc)
        hint = did_you_mean(str(loc[-1]), field_names_at(model, loc[:-1]))
        return Problem(path, line, column, f"unknown field '{name}'", hint)
    line, column = marks.value(loc)
    text = str(error["msg"])
    text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = text[:1].lower() + text[1:]
    hint = ""
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        hint = did_you_mean(str(error.get("input")), expected)
    given = error.get("input")
    shown = f" {given!r}" if isinstance(given, str | int | float) and len(repr(given)) < 60 else ""
    if not name:
        return Problem(path, line, column, f"expected a mapping of fields: {text}")
    return Problem(path, line, column, f"invalid {name}{shown}: {text}", hint)


def validate(model: type[T], data: Any, marks: Marks, path: str) -> tuple[T | None, list[Problem]]:
    """Validate ``data`` into ``model``; all problems, each at the line of the offending key."""
    try:
        return _adapter(model).validate_python(data), []
    except ValidationError as error:
        problems = [_message(e, model, marks, path) for e in error.errors()]
        return None, sorted(set(problems))
