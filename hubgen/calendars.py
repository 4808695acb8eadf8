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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import icalendar

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


def meeting_event(group: Group, config: SiteConfig) -> icalendar.Event | None:
    """The group's meetings as one recurring event, or None if it has no upcoming meetings."""
    meetings = group.meetings
    if meetings is None or not group.meets:
        return None
    first = first_meeting(group, meetings)
    hours, minutes = map(int, meetings.time.split(":"))
    start = dt.datetime.combine(first, dt.time(hours, minutes), zoneinfo.ZoneInfo(group.zone))
    page = absolute(config, group.url)
    event = icalendar.Event()
    event.add("uid", f"{group.slug}@{host(config)}")
    # DTSTAMP is required; the first meeting is a date the input fixes, unlike the build's time.
    event.add("dtstamp", start.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("duration", dt.timedelta(minutes=meetings.duration))
    event.add("rrule", recurrence(meetings, first))
    event.add("summary", group.name)
    event.add("description", _description(group, meetings, page))
    if group.location is not None and group.location.text:
        event.add("location", group.location.text)
    elif group.format != "in-person":
        event.add("location", "Online")
    event.add("url", page)
    return event


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
    event = meeting_event(group, config)
    written = None
    if event is not None:
        # the zones named, as ``Calendar.get_missing_tzids`` finds them in a calendar without
        # VTIMEZONEs: UTC needs none
        named = (
            getattr(v, "params", {}).get("TZID") for _, v in event.property_items(sorted=False)
        )
        zones = frozenset(str(name) for name in named if name is not None and name != "UTC")
        start = event.start
        first = start.date() if isinstance(start, dt.datetime) else ANCHOR
        written = _Written(bytes(event.to_ical()), zones, first)
    _WRITTEN[id(group)] = (group, config, written)
    memory.trim(_WRITTEN, _WRITTEN_KEPT, grow=False)
    return written


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
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", agenda.title)
    calendar.add("x-wr-calname", agenda.title)
    calendar.add("url", absolute(config, url(config, agenda.page_path)))
    calendar.add("refresh-interval", dt.timedelta(days=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "P1D")
    events = [w for w in (_written(group, config) for group in agenda.groups) if w is not None]
    first = min((w.first for w in events), default=ZONES_UNTIL - dt.timedelta(days=366))
    # Sorted, so the file does not depend on set order; with no meetings, a calendar still needs
    # one component: the zone they would be in.
    names = sorted(frozenset().union(*(w.zones for w in events))) if events else [agenda.zone]
    # One window for nearly every calendar, so each zone's VTIMEZONE is made once per build.
    zones = b"".join(_zone(name, min(first.year, ZONES_FROM)) for name in names)
    # the calendar's properties, then the zones, then the events that name them
    written = bytes(calendar.to_ical())
    at = written.rindex(b"END:VCALENDAR")
    return b"".join([written[:at], zones, *(w.event for w in events), written[at:]])
