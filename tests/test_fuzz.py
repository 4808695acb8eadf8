"""Arbitrary bytes and YAML structures: the only outcomes are a parse or hubgen's own located error.

Hypothesis runs a bounded number of examples each time; inputs that once broke a reader are kept in
tests/fuzz_regressions/ (`<reader>-<name>.bin`) and replayed on every run.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubgen.config import SiteConfig, parse_config
from hubgen.content import parse_document, parse_group
from hubgen.errors import Problem, Problems

REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
CONFIG = SiteConfig(title="Fuzz")
# Bounded in the test command; HUBGEN_FUZZ_EXAMPLES=20000 for a long run by hand.
EXAMPLES = int(os.environ.get("HUBGEN_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _located(problems: list[Problem], path: str) -> None:
    for problem in problems:
        assert problem.path == path
        assert problem.line >= 1 or problem.path == "site.yaml"
        assert problem.message


def read_post(raw: bytes) -> None:
    problems = Problems()
    document = parse_document(
        "post",
        raw,
        Path("/hub/content/posts/2024-01-02-x.md"),
        "content/posts/x.md",
        "x",
        CONFIG,
        problems,
    )
    _located(problems.items, "content/posts/x.md")
    assert document is not None or problems.errors


def read_group(raw: bytes) -> None:
    problems = Problems()
    group = parse_group(raw, "content/groups/g.yaml", "g", problems)
    _located(problems.items, "content/groups/g.yaml")
    assert group is not None or problems.errors


def read_config(raw: bytes) -> None:
    config, problems = parse_config(raw)
    _located(problems, "site.yaml")
    assert config is not None or any(p.severity == "error" for p in problems)


READERS = {"post": read_post, "group": read_group, "config": read_config}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.sampled_from(
        [
            "17:30",
            "every 3 weeks",
            "monthly",
            "Tuesday",
            "open",
            "peer-group",
            "https://x.org",
            "a@b.org",
        ]
    ),
)
keys = st.one_of(
    st.sampled_from(
        [
            "name",
            "summary",
            "title",
            "date",
            "tags",
            "meetings",
            "join",
            "location",
            "cadence",
            "time",
            "weekday",
            "links",
            "organizers",
            "milestones",
            "base_url",
            "permalinks",
            "menu",
            "timezone",
            "posts_per_page",
            "authors",
        ]
    ),
    st.text(max_size=10),
)
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=25,
)


@FUZZ
@given(st.binary(max_size=400))
def test_post_reader_survives_any_bytes(raw):
    read_post(raw)
    read_post(b"---\n" + raw + b"\n---\nBody")


@FUZZ
@given(st.binary(max_size=400))
def test_group_and_config_readers_survive_any_bytes(raw):
    read_group(raw)
    read_config(raw)


@FUZZ
@given(structures)
def test_readers_survive_any_yaml_structure(data):
    text = yaml.safe_dump(data, allow_unicode=True).encode("utf-8")
    read_group(text)
    read_config(text)
    read_post(b"---\n" + text + b"---\nBody\n")


@FUZZ
@given(
    st.dictionaries(keys, structures, max_size=8),
    st.sampled_from(["name", "summary", "kind", "meetings"]),
)
def test_group_reader_survives_near_valid_groups(extra, drop):
    group = {
        "name": "Circle",
        "summary": "A group.",
        "kind": "peer-group",
        "meetings": {"cadence": "weekly", "weekday": "Monday", "time": "17:00"},
    }
    group.pop(drop)
    group.update(extra)
    read_group(yaml.safe_dump(group, allow_unicode=True).encode("utf-8"))


@pytest.mark.parametrize("case", sorted(REGRESSIONS.glob("*.bin")), ids=lambda p: p.stem)
def test_inputs_that_once_failed(case: Path):
    READERS[case.stem.split("-")[0]](case.read_bytes())
