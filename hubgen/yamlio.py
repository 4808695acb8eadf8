"""Safe YAML loading that keeps the line and column of every key and value."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hubgen import yamlflat
from hubgen.errors import Problem
from hubgen.yamlcache import Packed, YamlMemo, pack

try:  # the C parser is ~10x faster; fall back to pure Python where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass(frozen=True)
class Marks:
    """Where each key and value of a document stands (1-based line and column)."""

    keys: Mapping[KeyPath, Position]
    values: Mapping[KeyPath, Position]
    start: Position = (1, 1)

    def value(self, path: KeyPath) -> Position:
        """The position of the value at ``path``, or of its nearest enclosing value."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found:
                return found
        return self.start

    def key(self, path: KeyPath) -> Position:
        """The position of the key at ``path`` (falls back to its value's)."""
        return self.keys.get(path) or self.value(path)


class _Constructor(SafeConstructor):
    """Safe constructor that keeps impossible dates as text so the caller can say where they are."""

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return str(node.value)


_Constructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp
)


def _at(text: str, mark: Any) -> str:
    """The character a YAML mark points at ('' when outside the text)."""
    lines = text.split("\n")
    if mark is None or mark.line >= len(lines):
        return ""
    return str(lines[mark.line][mark.column : mark.column + 1])


def _explain(error: yaml.MarkedYAMLError, line_offset: int, text: str) -> tuple[str, str]:
    problem = error.problem or "invalid YAML"
    hint = ""
    if "tab" in problem or "'\\t'" in problem or _at(text, error.problem_mark) == "\t":
        problem = "a tab character cannot be used for indentation in YAML"
        hint = "indent with spaces"
    elif "unexpected end of stream" in problem and error.context and "quoted" in error.context:
        problem = "a quoted value is never closed"
        if error.context_mark is not None:
            line = error.context_mark.line + 1 + line_offset
            hint = f"the quote opened on line {line} needs a matching quote"
    elif "mapping values are not allowed" in problem:
        problem = "unexpected ':' here"
        hint = "check the indentation, or quote a value that contains ': '"
    elif error.context:
        problem = f"{error.context.rstrip(':')}: {problem}"
    return f"invalid YAML: {problem}", hint


def _position(node: Node, line_offset: int) -> Position:
    return (node.start_mark.line + 1 + line_offset, node.start_mark.column + 1)


# The memo of the content being read (see ``remembering``); forked workers inherit it.
_memo: YamlMemo | None = None


@contextlib.contextmanager
def remembering(memo: YamlMemo) -> Iterator[YamlMemo]:
    """Within the block, ``load_yaml`` takes what it loaded before from ``memo`` and adds to it."""
    global _memo
    _memo = memo
    try:
        yield memo
    finally:
        _memo = None


def current_memo() -> YamlMemo | None:
    return _memo


def load_yaml(text: str, path: str, line_offset: int = 0) -> tuple[Any, Marks, list[Problem]]:
    """Parse one YAML document safely.

    Returns the data (None when the document is empty or broken), where each key and
    value stands, and the problems found: a syntax error, or duplicate keys (warnings).
    ``line_offset`` is added to every line, for documents embedded in a larger file.
    """
    memo = _memo
    if memo is not None:
        found = memo.get(text, line_offset)
        if found is not None:
            data, keys, values, start, warnings = found
            problems = [
                Problem(path, line, column, message, hint, "warning")
                for line, column, message, hint, _ in warnings
            ]
            return data, Marks(keys, values, start), problems
    data, marks, problems = _load(text, path, line_offset)
    if memo is not None and data is not None and all(p.severity == "warning" for p in problems):
        # only loads without errors are kept, so every problem kept is a warning
        warnings = [(p.line, p.column, p.message, p.hint, p.severity) for p in problems]
        keys, values = Packed(pack(marks.keys)), Packed(pack(marks.values))
        if memo.put(text, line_offset, data, keys, values, marks.start, warnings) is not None:
            marks = Marks(keys, values, marks.start)  # as small as a remembered load's
    return data, marks, problems


def _load(text: str, path: str, line_offset: int) -> tuple[Any, Marks, list[Problem]]:
    flat = yamlflat.load(text, line_offset)  # most front matter: without a parser
    if flat is not None:
        return flat[0], Marks(flat[1], flat[2], flat[2][()]), []
    start = (1 + line_offset, 1)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1 + line_offset, mark.column + 1) if mark else start
        message, hint = _explain(error, line_offset, text)
        return None, Marks({}, {}, start), [Problem(path, line, column, message, hint)]
    except (yaml.YAMLError, ValueError) as error:
        return None, Marks({}, {}, start), [Problem(path, *start, f"invalid YAML: {error}")]
    if node is None:
        return None, Marks({}, {}, start), []
    keys: dict[KeyPath, Position] = {}
    values: dict[KeyPath, Position] = {}
    problems: list[Problem] = []
    _walk(node, (), keys, values, problems, path, line_offset)
    try:
        data = _Constructor().construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1 + line_offset, mark.column + 1) if mark else start
        return (
            None,
            Marks(keys, values, start),
            [Problem(path, line, column, *_explain(error, line_offset, text))],
        )
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as error:
        return None, Marks(keys, values, start), [Problem(path, *start, f"invalid YAML: {error}")]
    return data, Marks(keys, values, _position(node, line_offset)), problems


def _walk(
    node: Node,
    at: KeyPath,
    keys: dict[KeyPath, Position],
    values: dict[KeyPath, Position],
    problems: list[Problem],
    path: str,
    line_offset: int,
) -> None:
    stack: list[tuple[Node, KeyPath]] = [(node, at)]
    seen_nodes: set[int] = set()
    while stack:
        current, where = stack.pop()
        values.setdefault(where, _position(current, line_offset))
        if id(current) in seen_nodes:  # aliases can make the graph cyclic
            continue
        seen_nodes.add(id(current))
        if isinstance(current, MappingNode):
            first_seen: dict[str, Position] = {}
            for key_node, value_node in current.value:
                if not isinstance(key_node, ScalarNode) or key_node.value == "<<":
                    continue
                name = str(key_node.value)
                position = _position(key_node, line_offset)
                if name in first_seen:
                    problems.append(
                        Problem(
                            path,
                            *position,
                            f"duplicate key '{name}': the value on this line replaces the one"
                            f" on line {first_seen[name][0]}",
                            severity="warning",
                        )
                    )
                first_seen[name] = position
                keys[(*where, name)] = position
                stack.append((value_node, (*where, name)))
        elif isinstance(current, SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*where, index)))


def decode(data: bytes, path: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text (a BOM is dropped, CRLF and CR become LF), or a problem naming the bad byte."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        byte = data[error.start : error.start + 1].hex()
        message = f"file is not valid UTF-8: byte 0x{byte} ({error.reason})"
        hint = "save the file as UTF-8; it may be Latin-1 or Windows-1252"
        return None, [Problem(path, line, column, message, hint)]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [Problem(path, line, 1, "file contains a NUL character")]
    return text, []


def read_file(path: Path, shown: str) -> tuple[bytes | None, list[Problem]]:
    """A file's bytes, or a problem saying why it cannot be read (permissions, a broken link)."""
    try:
        return path.read_bytes(), []
    except OSError as error:
        return None, [Problem(shown, 0, 0, f"cannot read this file: {error.strerror or error}")]


def load_mapping(
    data: bytes, path: str, what: str
) -> tuple[dict[str, Any] | None, Marks, list[Problem]]:
    """A YAML file that must hold a mapping (``what`` names it in the message), from raw bytes."""
    empty = Marks({}, {})
    text, problems = decode(data, path)
    if text is None:
        return None, empty, problems
    loaded, marks, yaml_problems = load_yaml(text, path)
    problems += yaml_problems
    if any(p.severity == "error" for p in yaml_problems):
        return None, marks, problems
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        return (
            None,
            marks,
            [*problems, Problem(path, *marks.start, f"{what} must be a mapping of keys to values")],
        )
    return {str(k): v for k, v in loaded.items()}, marks, problems
