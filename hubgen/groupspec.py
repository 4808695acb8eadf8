"""The schema of a group file, ``content/groups/<slug>.yaml``, as validated frozen dataclasses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from hubgen.config import TimeZone
from hubgen.schema import CONFIG, Day, Text

KINDS = ("peer-group", "formal-program", "grant-training", "ad-hoc", "online-community")
FORMATS = ("online", "in-person", "hybrid")
STATUSES = ("open", "full", "paused", "retired")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
KIND_LABELS = {
    "peer-group": "Peer group",
    "formal-program": "Formal program",
    "grant-training": "Grant training",
    "ad-hoc": "Ad hoc",
    "online-community": "Online community",
}
FORMAT_LABELS = {"online": "Online", "in-person": "In person", "hybrid": "Hybrid"}
STATUS_LABELS = {
    "open": "Open to new members",
    "full": "Full",
    "paused": "Paused",
    "retired": "Retired",
}
ORDINALS = ("first", "second", "third", "fourth", "last")
_CADENCE = re.compile(r"^(weekly|monthly|every ([1-9][0-9]?) weeks?)$")
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in url.strip():
        raise ValueError("expected an absolute http:// or https:// URL")
    return url.strip()


def check_email(email: str) -> str:
    if not _EMAIL.match(email.strip()):
        raise ValueError("expected an email address like name@example.org")
    return email.strip()


def check_cadence(cadence: str) -> str:
    cadence = " ".join(cadence.lower().split())
    if not _CADENCE.match(cadence):
        raise ValueError("expected 'weekly', 'every N weeks' (e.g. 'every 3 weeks') or 'monthly'")
    return cadence


def read_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 17:30 as the base-60 integer 1050: turn it back into the time.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return f"{value // 60:02d}:{value % 60:02d}"
    return value


def check_time(value: str) -> str:
    match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", value.strip())
    if not match:
        raise ValueError('expected a 24-hour time as "HH:MM", e.g. "17:30"')
    return f"{int(match[1]):02d}:{match[2]}"


def read_weekday(value: object) -> object:
    return value.strip().capitalize() if isinstance(value, str) else value


Url = Annotated[str, AfterValidator(check_url)]
Email = Annotated[str, AfterValidator(check_email)]


@dataclass(frozen=True)
class Location:
    __pydantic_config__ = CONFIG
    city: str | None = None
    region: str | None = None
    country: str | None = None

    @property
    def text(self) -> str:
        return ", ".join(part for part in (self.city, self.region, self.country) if part)


@dataclass(frozen=True)
class Meetings:
    __pydantic_config__ = CONFIG
    cadence: Annotated[str, AfterValidator(check_cadence)]
    weekday: Annotated[Literal[WEEKDAYS], BeforeValidator(read_weekday)]  # type: ignore[valid-type]
    time: Annotated[str, BeforeValidator(read_time), AfterValidator(check_time)]
    duration: Annotated[int, Field(ge=5, le=24 * 60)] = 60
    starts: Day | None = None

    def starts_off_weekday(self) -> str | None:
        """The weekday of ``starts`` when it is not ``weekday`` (a mistake), else None."""
        if self.starts is None or WEEKDAYS[self.starts.weekday()] == self.weekday:
            return None
        return WEEKDAYS[self.starts.weekday()]

    @property
    def interval_weeks(self) -> int:
        """Weeks between meetings; 0 for monthly."""
        if self.cadence == "monthly":
            return 0
        if self.cadence == "weekly":
            return 1
        return int(self.cadence.split()[1])

    @property
    def week_of_month(self) -> int | None:
        """For monthly meetings with a start date: 1-4, or -1 for the last such weekday."""
        if self.cadence != "monthly" or self.starts is None:
            return None
        index = (self.starts.day - 1) // 7
        return -1 if index >= 4 else index + 1

    @property
    def end_time(self) -> str:
        hours, minutes = map(int, self.time.split(":"))
        end = (hours * 60 + minutes + self.duration) % (24 * 60)
        return f"{end // 60:02d}:{end % 60:02d}"

    @property
    def text(self) -> str:
        """The schedule in words: 'Every 3 weeks on Tuesday, 17:30–19:00'."""
        weeks = self.interval_weeks
        if weeks == 1:
            when = f"Every {self.weekday}"
        elif weeks:
            when = f"Every {weeks} weeks on {self.weekday}"
        elif self.week_of_month is not None:
            ordinal = ORDINALS[self.week_of_month - 1] if self.week_of_month > 0 else "last"
            when = f"Monthly on the {ordinal} {self.weekday}"
        else:
            when = f"Monthly on a {self.weekday}"
        return f"{when}, {self.time}–{self.end_time}"


@dataclass(frozen=True)
class Join:
    __pydantic_config__ = CONFIG
    url: Url | None = None
    email: Email | None = None
    instructions: str | None = None


@dataclass(frozen=True)
class Organizer:
    __pydantic_config__ = CONFIG
    name: Text
    url: Url | None = None


@dataclass(frozen=True)
class Milestone:
    __pydantic_config__ = CONFIG
    date: Day
    text: Text


@dataclass(frozen=True)
class GroupSpec:
    """Exactly what a group file may contain."""

    __pydantic_config__ = CONFIG
    name: Text
    summary: Text
    description: str = ""
    kind: Literal[KINDS] | None = None  # type: ignore[valid-type]
    topics: tuple[Text, ...] = ()
    audience: tuple[Text, ...] = ()
    format: Literal[FORMATS] | None = None  # type: ignore[valid-type]
    location: Location | None = None
    timezone: TimeZone | None = None
    meetings: Meetings | None = None
    size: Annotated[int, Field(ge=0)] | None = None
    capacity: Annotated[int, Field(ge=1)] | None = None
    status: Literal[STATUSES] | None = None  # type: ignore[valid-type]
    join: Join | None = None
    organizers: tuple[Organizer, ...] = ()
    founded: Day | None = None
    ground_rules: tuple[Text, ...] = ()
    links: dict[str, Url] | None = None
    milestones: tuple[Milestone, ...] = ()
