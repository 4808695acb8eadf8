"""Flat YAML read without a parser: the front matter most posts have, in a third of the time.

A post's front matter is nearly always a few lines of ``key: value``, where each value is a
quoted or plain string, a whole number, a yes or no, a date, or a one-line list of strings
(``tags: ["a", "b"]``). ``load`` reads exactly that, with where each key and value stands,
and gives None for anything else (a comment, an indented line, an escape, a value YAML would
read as another type, a repeated key…), which PyYAML then reads: what ``load`` gives is what
PyYAML gives, as a property test holds it to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, cast

import yaml
from yaml.resolver import Resolver

Position = tuple[int, int]
Loaded = tuple[dict[str, Any], dict[tuple[Any, ...], Position], dict[tuple[Any, ...], Position]]

_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):( +)(\S(?:.*\S)?)")
_DOUBLE = re.compile(r'"([^"\\]*)"')
_SINGLE = re.compile(r"'([^']*)'")
# a plain value: no comment, no ': ' (a mapping), not ending with ':'; starting with a letter or
# digit, so that it is no other YAML syntax (an anchor, a tag, a block, a sequence…)
_PLAIN = re.compile(r"[A-Za-z0-9](?:[^#]*[^#:])?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_WHOLE = re.compile(r"0|[1-9][0-9]*")
# an item of a one-line list: quoted, or plain without flow indicators
_ITEM = re.compile(r""""([^"\\]*)"|'([^']*)'|([A-Za-z0-9](?:[^,\[\]{}#:"']*[^,\[\]{}#:"'\s])?)""")
_BOOLEANS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_STR = "tag:yaml.org,2002:str"

# PyYAML's own rules for what type a plain scalar is
_resolve: Callable[..., str] = cast(Any, Resolver)().resolve


def _kind(text: str) -> str:
    return str(_resolve(yaml.ScalarNode, text, (True, False)))


def _scalar(text: str) -> tuple[bool, Any]:
    """(whether it is read here, the value) of a plain scalar."""
    kind = _kind(text)
    if kind == _STR:
        return True, text
    if kind == "tag:yaml.org,2002:bool":
        return True, _BOOLEANS[text.lower()]
    if kind == "tag:yaml.org,2002:int" and _WHOLE.fullmatch(text):
        return True, int(text)
    if kind == "tag:yaml.org,2002:timestamp" and _DATE.fullmatch(text):
        try:
            return True, dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            return True, text  # an impossible date stays text (see ``yamlio._Constructor``)
    return False, None


def _items(
    text: str, line: int, column: int, at: tuple[Any, ...], values: dict[Any, Any]
) -> list[str] | None:
    """The strings of a one-line list ``[a, "b"]`` starting at ``column``, or None."""
    found: list[str] = []
    end = len(text) - 1  # the ']'
    position = 1
    while position < end and text[position] == " ":
        position += 1
    while position < end:
        match = _ITEM.match(text, position)
        if match is None:
            return None
        double, single, plain = match.groups()
        if plain is not None and _kind(plain) != _STR:
            return None
        values[(*at, len(found))] = (line, column + position)
        found.append(double if double is not None else single if single is not None else plain)
        position = match.end()
        while position < end and text[position] == " ":
            position += 1
        if position == end:
            break
        if text[position] != ",":
            return None
        position += 1
        while position < end and text[position] == " ":
            position += 1
    return found


def load(text: str, line_offset: int = 0) -> Loaded | None:
    """The mapping of ``text``, where each key and value stands (1-based line and column, as
    ``yamlio`` gives them), or None when it is not flat YAML of the kinds above."""
    data: dict[str, Any] = {}
    keys: dict[tuple[Any, ...], Position] = {}
    values: dict[tuple[Any, ...], Position] = {}
    for number, line in enumerate(text.split("\n"), start=1 + line_offset):
        if not line or line.isspace():
            continue
        # no tab, no character YAML refuses or breaks lines at (U+0085, U+2028…)
        match = _LINE.fullmatch(line) if line.isprintable() else None
        if match is None:
            return None
        name, spaces, value = match.groups()
        if name in data or _kind(name) != _STR:
            return None  # a repeated key is warned of; 'yes:' is not the key 'yes'
        column = len(name) + len(spaces) + 2
        if not values:
            values[()] = (number, 1)
        keys[(name,)] = (number, 1)
        values[(name,)] = (number, column)
        first = value[0]
        if first == '"' or first == "'":
            quoted = (_DOUBLE if first == '"' else _SINGLE).fullmatch(value)
            if quoted is None:
                return None
            data[name] = quoted.group(1)
        elif first == "[":
            if value[-1] != "]":
                return None
            items = _items(value, number, column, (name,), values)
            if items is None:
                return None
            data[name] = items
        else:
            if _PLAIN.fullmatch(value) is None or ": " in value:
                return None
            read, data[name] = _scalar(value)
            if not read:
                return None
    if not data:
        return None  # an empty document is None to YAML, not a mapping
    return data, keys, values
