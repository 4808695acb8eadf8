"""Calendars: each group's meetings as one recurring iCalendar event, written with icalendar.

A group's calendar holds one VEVENT whose RRULE follows its cadence, at its time in its own time
zone (TZID with a VTIMEZONE). Paused and retired groups have no upcoming meetings: their calendar
is still written, so subscribers' copies drop the meetings, but holds no event. Nothing here reads
the clock, so two builds of the same input give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import icalendar
from icalendar.parser import param_value

from hubgen import memory
from hubgen.config import SiteConfig
from hubgen.groupspec import WEEKDAYS, Meetings
from hubgen.models import Group
from hubgen.routes import absolute, host, url
from hubgen.site import Site

PRODID = "-//hubgen//hubgen meetings//EN"
CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Where a schedule without 'starts' or 'founded' is anchored: any fixed date would do, as long
# as it never depends on the day of the build.
ANCHOR = dt.date(2000, 1, 3)
# The time zone definitions written cover the meetings from their first date to this one;
# calendar programs know the IANA zones by name and go on from there.
ZONES_UNTIL = dt.date(2038, 1, 1)
ZONES_FROM = 2000


@dataclass(frozen=True)
class Agenda:
    """What one calendar holds. The plan makes it; ``meetings_calendar()`` writes it."""

    title: str  # "Meetings: The Circle"
    page_path: str  # the HTML page it belongs to, as a site path
    groups: tuple[Group, ...]
    zone: str  # the time zone an empty calendar still names


def first_meeting(group: Group, meetings: Meetings) -> dt.date:
    """``starts``; else the first meeting weekday on or after ``founded`` (or a fixed date)."""
    if meetings.starts is not None:
        return meetings.starts
    anchor = group.founded or ANCHOR
    weekday = WEEKDAYS.index(meetings.weekday)
    return anchor + dt.timedelta(days=(weekday - anchor.weekday()) % 7)


def recurrence(meetings: Meetings, first: dt.date) -> dict[str, Any]:
    """The RRULE: weekly, every N weeks, or monthly on the first meeting's weekday of the month."""
    day = CODES[WEEKDAYS.index(meetings.weekday)]
    weeks = meetings.interval_weeks
    if weeks:
        return {"freq": "weekly", "byday": day} | ({"interval": weeks} if weeks > 1 else {})
    index = (first.day - 1) // 7  # 0-3: the first to fourth such weekday; 4: the last
    ordinal = meetings.week_of_month or (-1 if index >= 4 else index + 1)
    return {"freq": "monthly", "byday": f"{ordinal}{day}"}


def _description(group: Group, meetings: Meetings, page: str) -> str:
    lines = [group.summary, ""]
    if group.join is not None and group.join.url is not None:
        lines.append(f"Join: {group.join.url}")
    elif group.join is not None and group.join.email is not None:
        lines.append(f"Contact: {group.join.email}")
    lines.append(f"More: {page}")
    if meetings.starts is None and meetings.interval_weeks != 1:
        lines += ["", "The dates are an estimate: ask the organizers for the exact ones."]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Written:
    """A group's event as a calendar writes it, the zones it names, and its first day."""

    event: bytes
    zones: frozenset[str]
    first: dt.date


# The events written last, by group: each is in its group's calendar and in the directory's, which
# is written from them. Kept by identity, with the group and config themselves, as feed entries are.
_WRITTEN: dict[int, tuple[Group, SiteConfig, _Written | None]] = {}
_WRITTEN_KEPT = 4096


def _written(group: Group, config: SiteConfig) -> _Written | None:
    known = _WRITTEN.get(id(group))
    if known is not None and known[0] is group and known[1] is config:
        return known[2]
    written = _event(group, config)
    _WRITTEN[id(group)] = (group, config, written)
    memory.trim(_WRITTEN, _WRITTEN_KEPT, grow=False)
    return written


def _event(group: Group, config: SiteConfig) -> _Written | None:
    """The group's meetings as one recurring event, written, or None if it has no upcoming
    meetings. The lines and values as icalendar writes them, by its own value types (a zone that
    is UTC is written so, with no TZID), without its components: written by one, a group's
    calendar took 1.4 ms, nearly all of it icalendar's, a character at a time."""
    meetings = group.meetings
    if meetings is None or not group.meets:
        return None
    first = first_meeting(group, meetings)
    hours, minutes = map(int, meetings.time.split(":"))
    start = dt.datetime.combine(first, dt.time(hours, minutes), zoneinfo.ZoneInfo(group.zone))
    page = absolute(config, group.url)
    begins = icalendar.vDDDTypes(start)
    zone = begins.params.get("TZID")
    # DTSTAMP is required; the first meeting is a date the input fixes, unlike the build's time.
    stamp = _value(icalendar.vDDDTypes(start.astimezone(dt.UTC)))
    duration = _value(icalendar.vDuration(dt.timedelta(minutes=meetings.duration)))
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _text(group.name),
        f"DTSTART{';TZID=' + param_value(zone) if zone else ''}:{_value(begins)}",
        "DURATION:" + duration,
        "DTSTAMP:" + stamp,
        "UID:" + _text(f"{group.slug}@{host(config)}"),
        "RRULE:" + _value(icalendar.vRecur(recurrence(meetings, first))),
        "DESCRIPTION:" + _text(_description(group, meetings, page)),
    ]
    if group.location is not None and group.location.text:
        lines.append("LOCATION:" + _text(group.location.text))
    elif group.format != "in-person":
        lines.append("LOCATION:Online")
    lines += ["URL:" + page, "END:VEVENT"]
    zones = frozenset([str(zone)] if zone and zone != "UTC" else [])
    return _Written(_lines(lines), zones, first)


def _text(value: str) -> str:
    """A TEXT value, escaped as icalendar escapes it (backslashes, semicolons, commas, line
    ends)."""
    return _value(icalendar.vText(value))


def _value(value: Any) -> str:
    """A value of one of icalendar's types, as it writes it."""
    written: bytes = value.to_ical()
    return written.decode()


def _lines(lines: list[str]) -> bytes:
    """Content lines as icalendar writes them: folded, each ended by CRLF."""
    return "".join(_fold(line) + "\r\n" for line in lines).encode()


def _fold(line: str) -> str:
    """A content line folded as icalendar folds it: at most 74 octets a line (75 with the space
    that starts a continuation), never after a backslash or caret that starts an escape, never
    within a character. icalendar goes a character at a time; a long ASCII line (a description)
    is cut in slices here."""
    if not line.isascii():
        return _fold_characters(line)
    pieces = []
    while len(line) >= 75:
        piece = line[:74]
        if piece[-1] in "\\^":  # kept with what it escapes
            piece = piece[:-1]
        pieces.append(piece)
        line = line[len(piece) :]
    pieces.append(line)
    return "\r\n ".join(pieces)


def _fold_characters(line: str) -> str:
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= 75:
            if len(current) > 1 and current[-1] in "\\^":  # kept with what it escapes
                escape = current.pop()
                pieces.append("".join(current))
                current, count = [escape], len(escape.encode())
            else:
                pieces.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        pieces.append("".join(current))
    return "\r\n ".join(pieces)


def warm(zones: Iterable[str]) -> None:
    """Make the VTIMEZONE of each of ``zones`` that an event names (not one that is UTC), for the
    workers forked after: each made it, 2–4 ms a zone."""
    for name in sorted(set(zones)):
        moment = dt.datetime(ZONES_FROM, 1, 3, tzinfo=zoneinfo.ZoneInfo(name))
        if icalendar.vDDDTypes(moment).params.get("TZID") == name:
            _zone(name, ZONES_FROM)


@functools.lru_cache(maxsize=256)
def _zone(name: str, since: int) -> bytes:
    """A VTIMEZONE from ``since``'s first day to ZONES_UNTIL, written: slow to make (2 ms) and
    to write (0.6 ms), so both are done once."""
    first = dt.date(since, 1, 1)
    last = max(first + dt.timedelta(days=366), ZONES_UNTIL)
    zone: dt.tzinfo = zoneinfo.ZoneInfo(name)
    winter, summer = (dt.datetime(last.year, month, 1, tzinfo=zone) for month in (1, 7))
    if winter.utcoffset() == summer.utcoffset():  # no summer time by the window's end
        zone = _Until(zone, dt.datetime(last.year, last.month, last.day))
    timezone = icalendar.Timezone.from_tzinfo(zone, tzid=name, first_date=first, last_date=last)
    return bytes(timezone.to_ical())


class _Until(dt.tzinfo):
    """``zone``, which has no time after ``last``: icalendar's search for a zone's next change of
    offset stops there, where it would go on to the year 9999 after the last change of a zone
    without summer time (10 ms, not 0.6). The VTIMEZONE is the same. Not for zones with summer
    time, which the search leaves at their next change, but five times as slow as ZoneInfo."""

    def __init__(self, zone: dt.tzinfo, last: dt.datetime) -> None:
        self.zone, self.last = zone, last

    def _real(self, moment: dt.datetime | None) -> dt.datetime:
        if moment is None or moment.replace(tzinfo=None) > self.last:
            raise OverflowError(f"after {self.last}")
        return moment.replace(tzinfo=self.zone)

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return self._real(moment).utcoffset()

    def dst(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return self._real(moment).dst()

    def tzname(self, moment: dt.datetime | None) -> str | None:
        return self._real(moment).tzname()


def meetings_calendar(path: str, context: Mapping[str, Any], site: Site) -> bytes:
    agenda: Agenda = context["calendar"]
    config = site.config
    title = _text(agenda.title)
    head = _lines(
        [
            "BEGIN:VCALENDAR",  # its properties in the order icalendar writes them
            "VERSION:2.0",
            "PRODID:" + _text(PRODID),
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "NAME:" + title,
            "X-WR-CALNAME:" + title,
            "REFRESH-INTERVAL;VALUE=DURATION:P1D",
            "URL:" + absolute(config, url(config, agenda.page_path)),
            "X-PUBLISHED-TTL:P1D",
        ]
    )
    events = [w for w in (_written(group, config) for group in agenda.groups) if w is not None]
    first = min((w.first for w in events), default=ZONES_UNTIL - dt.timedelta(days=366))
    # Sorted, so the file does not depend on set order; with no meetings, a calendar still needs
    # one component: the zone they would be in.
    names = sorted(frozenset().union(*(w.zones for w in events))) if events else [agenda.zone]
    # One window for nearly every calendar, so each zone's VTIMEZONE is made once per build.
    zones = b"".join(_zone(name, min(first.year, ZONES_FROM)) for name in names)
    # the calendar's properties, then the zones, then the events that name them
    return b"".join([head, zones, *(w.event for w in events), b"END:VCALENDAR\r\n"])
