"""The flat YAML fast path reads what PyYAML reads, or declines."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubgen import yamlflat, yamlio
from hubgen.frontmatter import split
from hubgen.yamlcache import Packed, pack

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"

_CHARS = list("aZ09 -:#,.[]{}\"'!&*?|>%@`~_\\/é\t\x85\u2028\ufeff")
_SCALARS = [
    "yes", "No", "ON", "off", "true", "FALSE", "y", "null", "~", "12", "0", "00", "017", "0x1f",
    "1_0", "1.5", ".inf", "-1", "+1", "12:30", "2012-01-01", "2012-02-30", "2012-1-1",
    "2012-01-01 10:00", "2012-01-01T10:00:00Z", "a: b", "a:", "a:b", "a #b", "a#b", "- a", "*a",
    "&a b", "!x", "|", ">", "'a'b", '"a" b', "[a]", "{a: b}", "1st", "Hello, world", "é",
]  # fmt: skip
_KEYS = ["title", "date", "tags", "yes", "on", "Null", "a-b", "_x", "K9", "1", "x", "title"]
_EXTRA = ["", "  ", "# a comment", "  indented: x", "- item", "---", "...", "key:", "\tx: y"]


def _quoted(quote: str) -> st.SearchStrategy[str]:
    return st.text(alphabet=_CHARS, max_size=6).map(lambda s: quote + s + quote)


_PLAIN = st.text(alphabet=_CHARS, min_size=1, max_size=8) | st.sampled_from(_SCALARS)
_ITEM = _quoted('"') | _quoted("'") | _PLAIN
_LIST = st.builds(
    lambda items, gap, end, close: "[" + gap + (", " + gap).join(items) + end + close,
    st.lists(_ITEM, max_size=3),
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["", " ", ", ", ","]),
    st.sampled_from(["]", "] ", "]x", ""]),
)
_VALUE = _quoted('"') | _quoted("'") | _PLAIN | _LIST
_LINE = st.builds(
    lambda key, colon, value: key + colon + value,
    st.sampled_from(_KEYS),
    st.sampled_from([": ", ":  ", ":", ": \t"]),
    _VALUE,
) | st.sampled_from(_EXTRA)
# mostly lines the fast path reads, each key once: what it reads is then compared
_PAIRS = st.lists(
    st.tuples(st.sampled_from(_KEYS), st.sampled_from([": ", ":  "]), _VALUE),
    max_size=5,
    unique_by=lambda pair: pair[0],
)


def _typed(value: Any) -> Any:
    """``value`` with the type of every part: True is not 1, a date not its text."""
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    return (type(value).__name__, value)


def _agrees(text: str, line_offset: int = 0) -> bool:
    """Whether the fast path declines ``text`` or reads it as PyYAML does; True if it read it."""
    fast = yamlflat.load(text, line_offset)
    data, marks, problems = yamlio._load(text, "x.md", line_offset)
    if fast is None:
        return False
    assert problems == [], text
    assert _typed(fast[0]) == _typed(data), text
    assert (fast[1], fast[2]) == (dict(marks.keys), dict(marks.values)), text
    assert fast[2][()] == marks.start, text
    return True


@given(st.lists(_LINE, max_size=6), st.integers(0, 2))
@settings(max_examples=800, deadline=None)
def test_flat_yaml_is_read_as_pyyaml_reads_it_or_left_to_it(lines: list[str], offset: int) -> None:
    _agrees("\n".join(lines) + "\n", offset)


@given(_PAIRS, st.integers(0, 2))
@settings(max_examples=1500, deadline=None)
def test_flat_keys_and_values_are_read_as_pyyaml_reads_them(
    pairs: list[tuple[str, str, str]], offset: int
) -> None:
    _agrees("".join(f"{key}{colon}{value}\n" for key, colon, value in pairs), offset)


def test_front_matter_of_every_kind_a_post_has_is_read_without_pyyaml() -> None:
    text = (
        "title: \"A: title, with # and 'quotes'\"\n"
        "date: 2026-01-05\n"
        "slug: a-title\n"
        "tags: [\"Mentoring\", peer groups, 'Career']\n"
        "authors: [ada]\n"
        "draft: yes\n"
        "weight: 3\n"
        "summary: Plain text, with commas and a:colon\n"
        "image: https://example.org/a.png\n"
        "empty: []\n"
    )
    assert _agrees(text, 1)
    data = yamlflat.load(text, 1)
    assert data is not None
    assert data[0]["date"] == dt.date(2026, 1, 5) and data[0]["draft"] is True
    assert data[0]["tags"] == ["Mentoring", "peer groups", "Career"]
    assert data[2][("tags", 1)] == (5, 21)  # line 5 of the file, column of 'peer'


@pytest.mark.parametrize(
    "text",
    [
        "title: a\ntitle: b\n",  # a repeated key: PyYAML warns of it
        "date: 2026-02-30\nx: 1.5\n",  # a float
        "tags:\n  - a\n",  # a block list
        "title: a # note\n",  # a comment
        'title: "a\\"b"\n',  # an escape
        "yes: a\n",  # the key True
        "",
    ],
)
def test_what_is_not_flat_is_left_to_pyyaml(text: str) -> None:
    assert yamlflat.load(text) is None
    _agrees(text)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/corpora is not here")
def test_the_real_blogs_front_matter_is_read_as_pyyaml_reads_it() -> None:
    read = total = 0
    for path in sorted(SHARED.rglob("*.md")):
        source, _ = split(path.read_text(encoding="utf-8", errors="replace"), str(path))
        text = path.read_text(encoding="utf-8", errors="replace")
        if source is None or not text.startswith("---\n"):
            continue
        front = text[4 : text.find("\n---", 3) + 1]
        total += 1
        read += _agrees(front, 1)
    assert total > 0
    assert read > 0  # most real front matter is flat


def test_packed_positions_travel_as_their_bytes_alone() -> None:
    """A document's positions come back from a reading worker pickled: as the bytes they are
    packed in, not with the dictionary a lookup unpacked (nor slot by slot, which is slow)."""
    positions = {("title",): (2, 8), ("tags", 0): (3, 8), ("tags", 1): (3, 13)}
    packed = Packed(pack(positions))
    before = pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)
    assert packed[("tags", 1)] == (3, 13)  # unpacked now
    after = pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)
    assert after == before
    copy = pickle.loads(after)
    assert copy.packed == packed.packed
    assert dict(copy) == positions
