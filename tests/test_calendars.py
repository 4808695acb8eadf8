"""Calendars: each group's meetings as a recurring iCalendar event, and all groups together."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import zoneinfo
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from conftest import POST, errors, read, run_build
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from hubgen import calendars, groupspec
from hubgen.config import SiteConfig, load_config
from hubgen.groupspec import Location, Meetings
from hubgen.models import Group
from hubgen.routes import absolute, host

SITE_YAML = """\
title: Test Hub
base_url: https://hub.example.org/
timezone: Europe/Paris
"""
DENVER = zoneinfo.ZoneInfo("America/Denver")
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
GROUPS = {
    "circle": """\
name: The Circle
summary: Eight peers who meet every three weeks.
status: full
format: hybrid
location: {city: Denver, region: Colorado, country: United States}
timezone: America/Denver
join: {url: "https://example.org/join"}
meetings: {cadence: every 3 weeks, weekday: Tuesday, time: "17:30", duration: 90, starts: 2026-01-06}
""",
    "second-thursday": """\
name: Second Thursday
summary: Monthly, on the second Thursday.
format: online
timezone: Europe/Oslo
meetings: {cadence: monthly, weekday: Thursday, time: "19:00", starts: 2026-01-08}
""",
    "last-thursday": """\
name: Last Thursday
summary: Monthly, on the last Thursday.
timezone: Europe/Oslo
meetings: {cadence: monthly, weekday: Thursday, time: "08:00", starts: 2026-01-29}
""",
    "mondays": """\
name: Mondays
summary: Every Monday, in the site's time zone.
format: in-person
founded: 2025-06-04
meetings: {cadence: weekly, weekday: Monday, time: "12:00", duration: 45}
""",
    "paused": """\
name: Paused Pod
summary: Resting.
status: paused
timezone: America/Denver
meetings: {cadence: weekly, weekday: Friday, time: "09:00"}
""",
    "retired": """\
name: Retired Circle
summary: Done.
status: retired
meetings: {cadence: weekly, weekday: Friday, time: "09:00", starts: 2020-01-03}
""",
    "no-meetings": "name: No Meetings\nsummary: We never meet.\n",
}


def _site(make_site) -> Path:
    files: dict[str, str | bytes] = {"site.yaml": SITE_YAML}
    files |= {f"content/groups/{slug}.yaml": text for slug, text in GROUPS.items()}
    root = make_site(files)
    assert errors(run_build(root)) == []
    return root


def _calendar(root: Path, relative: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical((root / "public" / relative).read_bytes())


def _starts(
    calendar: icalendar.Calendar, start: dt.datetime, end: dt.datetime
) -> list[dt.datetime]:
    events = recurring_ical_events.of(calendar).between(start, end)
    return sorted(e.start for e in events)


def test_each_group_with_meetings_gets_a_calendar(make_site):
    root = _site(make_site)
    out = root / "public/groups"
    for slug in GROUPS:
        assert (out / slug / "meetings.ics").is_file() == (slug != "no-meetings"), slug
    for path in out.rglob("*.ics"):
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
        assert calendar.walk("VTIMEZONE") or calendar.walk("VEVENT"), path
        assert calendar.get_missing_tzids() == set(), path  # every TZID has its VTIMEZONE
        # each zone, written once and put in, comes after the calendar's properties and
        # before the events, as icalendar writes a calendar with its zones first
        raw = path.read_bytes()
        zone = raw.index(b"BEGIN:VTIMEZONE")
        events = raw.find(b"BEGIN:VEVENT")
        assert raw.index(b"X-PUBLISHED-TTL:") < zone and (events == -1 or zone < events), path


def test_a_group_event_says_what_where_and_when(make_site):
    root = _site(make_site)
    calendar = _calendar(root, "groups/circle/meetings.ics")
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "circle@hub.example.org"
    assert str(event["SUMMARY"]) == "The Circle"
    assert "Eight peers who meet every three weeks." in str(event["DESCRIPTION"])
    assert "https://example.org/join" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Denver, Colorado, United States"
    assert str(event["URL"]) == "https://hub.example.org/groups/circle/"
    assert event.start == dt.datetime(2026, 1, 6, 17, 30, tzinfo=DENVER)
    assert event.duration == dt.timedelta(minutes=90)
    assert event["DTSTAMP"].dt == dt.datetime(2026, 1, 7, 0, 30, tzinfo=dt.UTC)  # from the input
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;INTERVAL=3;BYDAY=TU"
    assert b"DTSTART;TZID=America/Denver:20260106T173000" in read(
        root, "groups/circle/meetings.ics"
    ).encode().replace(b"\r\n ", b"")
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/Denver"


def test_every_three_weeks_keeps_local_time_across_daylight_saving(make_site):
    calendar = _calendar(_site(make_site), "groups/circle/meetings.ics")
    spring = _starts(
        calendar, dt.datetime(2026, 2, 1, tzinfo=DENVER), dt.datetime(2026, 4, 1, tzinfo=DENVER)
    )
    assert [s.date() for s in spring] == [
        dt.date(2026, 2, 17),
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 31),
    ]
    assert all((s.hour, s.minute) == (17, 30) for s in spring)
    # 17:30 stays 17:30 in Denver when the clocks change on 8 March: UTC moves an hour.
    assert [s.astimezone(dt.UTC).hour for s in spring] == [0, 23, 23]
    autumn = _starts(
        calendar, dt.datetime(2026, 10, 1, tzinfo=DENVER), dt.datetime(2026, 12, 1, tzinfo=DENVER)
    )
    assert [s.date() for s in autumn] == [
        dt.date(2026, 10, 6),
        dt.date(2026, 10, 27),
        dt.date(2026, 11, 17),
    ]
    assert all((s.hour, s.minute) == (17, 30) for s in autumn)
    assert [s.utcoffset() for s in autumn] == [dt.timedelta(hours=h) for h in (-6, -6, -7)]


def test_monthly_meetings_fall_on_the_same_weekday_of_the_month(make_site):
    root = _site(make_site)
    second = _calendar(root, "groups/second-thursday/meetings.ics")
    (event,) = second.walk("VEVENT")
    assert event["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=2TH"
    assert str(event["LOCATION"]) == "Online"
    starts = _starts(
        second, dt.datetime(2026, 2, 1, tzinfo=OSLO), dt.datetime(2026, 5, 1, tzinfo=OSLO)
    )
    assert starts == [
        dt.datetime(2026, 2, 12, 19, tzinfo=OSLO),
        dt.datetime(2026, 3, 12, 19, tzinfo=OSLO),
        dt.datetime(2026, 4, 9, 19, tzinfo=OSLO),
    ]
    assert [s.utcoffset() for s in starts] == [dt.timedelta(hours=h) for h in (1, 1, 2)]
    last = _calendar(root, "groups/last-thursday/meetings.ics")
    assert last.walk("VEVENT")[0]["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=-1TH"
    starts = _starts(
        last, dt.datetime(2026, 2, 1, tzinfo=OSLO), dt.datetime(2026, 5, 1, tzinfo=OSLO)
    )
    assert [s.date() for s in starts] == [
        dt.date(2026, 2, 26),
        dt.date(2026, 3, 26),
        dt.date(2026, 4, 30),
    ]


def test_without_a_start_date_meetings_begin_after_founded_in_the_site_zone(make_site):
    calendar = _calendar(_site(make_site), "groups/mondays/meetings.ics")
    (event,) = calendar.walk("VEVENT")
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert event.start == dt.datetime(2025, 6, 9, 12, tzinfo=paris)  # the Monday after 4 June
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert "LOCATION" not in event  # in person, but no place given: not "Online"
    assert str(calendar.walk("VTIMEZONE")[0]["TZID"]) == "Europe/Paris"


def test_paused_and_retired_groups_have_no_upcoming_meetings(make_site):
    root = _site(make_site)
    for slug in ("paused", "retired"):
        calendar = _calendar(root, f"groups/{slug}/meetings.ics")
        assert calendar.walk("VEVENT") == []
        assert calendar.walk("VTIMEZONE")  # still a valid calendar with one component
        html = read(root, f"groups/{slug}/index.html")
        assert "Add to calendar" not in html
        assert "Every Friday, 09:00–10:00" in html


def test_the_combined_calendar_holds_every_meeting_group(make_site):
    root = _site(make_site)
    calendar = _calendar(root, "groups/meetings.ics")
    uids = sorted(str(e["UID"]) for e in calendar.walk("VEVENT"))
    assert uids == [
        f"{slug}@hub.example.org"
        for slug in ("circle", "last-thursday", "mondays", "second-thursday")
    ]
    zones = sorted(str(z["TZID"]) for z in calendar.walk("VTIMEZONE"))
    assert zones == ["America/Denver", "Europe/Oslo", "Europe/Paris"]
    directory = read(root, "groups/index.html")
    assert 'href="/groups/meetings.ics"' in directory


def test_group_pages_show_the_schedule_in_words_with_its_zone(make_site):
    root = _site(make_site)
    html = read(root, "groups/circle/index.html")
    assert "Every 3 weeks on Tuesday, 17:30–19:00 America/Denver" in html
    assert 'href="/groups/circle/meetings.ics" type="text/calendar">Add to calendar</a>' in html
    assert "Monthly on the second Thursday, 19:00–20:00 Europe/Oslo" in read(
        root, "groups/second-thursday/index.html"
    )
    mondays = read(root, "groups/mondays/index.html")
    assert "Every Monday, 12:00–12:45 Europe/Paris" in mondays  # the site's zone
    assert "Add to calendar" not in read(root, "groups/no-meetings/index.html")


def test_calendars_are_byte_identical_across_builds_at_different_times(make_site, tmp_path):
    root = _site(make_site)
    run_build(root, out=tmp_path / "one")
    run_build(root, out=tmp_path / "two", now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    files = sorted((tmp_path / "one").rglob("*.ics"))
    assert len(files) == 7
    for path in files:
        twin = tmp_path / "two" / path.relative_to(tmp_path / "one")
        assert path.read_bytes() == twin.read_bytes(), path


def test_calendars_and_feeds_do_not_depend_on_hash_order(make_site, tmp_path):
    """Each build in a process of its own, with its own string hashing: set order must not leak."""
    root = _site(make_site)
    outputs = []
    for seed in ("1", "5"):  # seeds under which a set of these zones iterates differently
        out = tmp_path / f"seed-{seed}"
        subprocess.run(
            [sys.executable, "-m", "hubgen", "build", "-s", str(root), "-o", str(out)],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.append(
            {
                p.relative_to(out).as_posix(): p.read_bytes()
                for p in sorted(out.rglob("*"))
                if p.suffix in (".ics", ".xml", ".json")
            }
        )
    assert len(outputs[0]) > 10
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    "name",
    [
        "UTC",
        "Asia/Kolkata",  # one offset throughout
        "America/Sao_Paulo",  # summer time until 2019
        "Europe/Berlin",
        "Australia/Sydney",  # summer time across the new year
        "Australia/Lord_Howe",  # a half-hour change
        "Africa/Casablanca",  # changes every Ramadan
    ],
)
def test_a_zone_cut_at_the_window_is_the_zone_icalendar_writes_whole(name: str) -> None:
    first = dt.date(calendars.ZONES_FROM, 1, 1)
    whole = icalendar.Timezone.from_tzinfo(
        zoneinfo.ZoneInfo(name), tzid=name, first_date=first, last_date=calendars.ZONES_UNTIL
    )
    assert calendars._zone.__wrapped__(name, calendars.ZONES_FROM) == whole.to_ical()


def test_a_calendar_is_its_properties_then_each_event_as_written_alone() -> None:
    """What ``meetings_calendar`` relies on to write the directory's calendar from the events of
    the groups' own (each written once): icalendar writes a calendar so, long lines folded."""
    events = []
    for number, zone in enumerate(("Europe/Oslo", "America/Denver", "UTC")):
        event = icalendar.Event()
        event.add("uid", f"group-{number}@hub.example.org")
        start = dt.datetime(2026, 1, 6 + number, 17, 30, tzinfo=zoneinfo.ZoneInfo(zone))
        event.add("dtstart", start)
        event.add("duration", dt.timedelta(minutes=90))
        event.add("rrule", {"freq": "weekly", "byday": "TU", "interval": 3})
        event.add("summary", "Circle, the first; of “many” " * 4)
        event.add("description", "Line one, with commas; and more\n\nMore: https://x.org/" * 5)
        events.append(event)
    calendar = icalendar.Calendar()
    calendar.add("prodid", calendars.PRODID)
    calendar.add("x-wr-calname", "Group meetings — a hub, with a name long enough to fold " * 2)
    alone = bytes(calendar.to_ical())
    for event in events:
        calendar.add_component(event)
    at = alone.rindex(b"END:VCALENDAR")
    each = b"".join(bytes(event.to_ical()) for event in events)
    assert bytes(calendar.to_ical()) == alone[:at] + each + alone[at:]
    assert calendar.get_missing_tzids() == {"Europe/Oslo", "America/Denver"}


def test_the_combined_calendar_holds_each_groups_event_as_its_own_calendar_does(make_site):
    root = _site(make_site)
    combined = (root / "public/groups/meetings.ics").read_bytes()
    for slug in ("circle", "last-thursday", "mondays", "second-thursday"):
        own = (root / f"public/groups/{slug}/meetings.ics").read_bytes()
        event = own[own.index(b"BEGIN:VEVENT") : own.index(b"END:VEVENT")]
        assert combined.count(event) == 1


def _icalendar_event(group: Group, config: SiteConfig) -> bytes:
    """The event as icalendar's components write it: what hubgen wrote before it wrote the lines
    itself (and wrote the same bytes: the 10,000-post hub's 501 calendars were diffed)."""
    meetings = group.meetings
    assert meetings is not None
    first = calendars.first_meeting(group, meetings)
    hours, minutes = map(int, meetings.time.split(":"))
    start = dt.datetime.combine(first, dt.time(hours, minutes), zoneinfo.ZoneInfo(group.zone))
    page = absolute(config, group.url)
    event = icalendar.Event()
    event.add("uid", f"{group.slug}@{host(config)}")
    event.add("dtstamp", start.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("duration", dt.timedelta(minutes=meetings.duration))
    event.add("rrule", calendars.recurrence(meetings, first))
    event.add("summary", group.name)
    event.add("description", calendars._description(group, meetings, page))
    if group.location is not None and group.location.text:
        event.add("location", group.location.text)
    elif group.format != "in-person":
        event.add("location", "Online")
    event.add("url", page)
    return bytes(event.to_ical())


_PIECES = [*'ab ,;:\\^"\n\r', "N", "\\N", "é", "ß", "—", "日本", "🙂", "word "]
_WORDS = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    name=_WORDS.filter(str.strip),
    summary=_WORDS,
    city=st.one_of(st.none(), _WORDS),
    form=st.sampled_from(["online", "in-person", "hybrid", None]),
    zone=st.sampled_from(["UTC", "Europe/Oslo", "Africa/Accra", "America/Denver", "Asia/Tokyo"]),
    cadence=st.sampled_from(["weekly", "every 2 weeks", "every 3 weeks", "monthly"]),
    day=st.integers(0, 364),
    time=st.sampled_from(["07:00", "17:30", "23:45"]),
    duration=st.integers(5, 24 * 60),
)
def test_a_groups_event_is_written_as_icalendar_writes_it(
    name, summary, city, form, zone, cadence, day, time, duration
) -> None:
    starts = dt.date(2026, 1, 1) + dt.timedelta(days=day)
    meetings = Meetings(cadence, groupspec.WEEKDAYS[starts.weekday()], time, duration, starts)
    group = Group(
        "content/groups/g.yaml", "g", "/groups/g/", name, summary, Markup(""), None, (), (), form,
        None, Location(city=city) if city is not None else None, None, zone, meetings, None,
        None, None, None, (), None, (), (), (), zone,
    )  # fmt: skip
    written = calendars._event(group, _CONFIG)
    assert written is not None
    assert written.event == _icalendar_event(group, _CONFIG)
    assert written.zones == ({zone} - {"UTC", "Africa/Accra"})


@given(
    st.one_of(
        st.text(st.sampled_from([*"ab\\^ "]), min_size=70, max_size=400),  # ASCII: in slices
        st.text(st.sampled_from([*"ab\\^ ", "é", "日", "🙂"]), min_size=20, max_size=400),
    )
)
def test_lines_are_folded_as_icalendar_folds_them(line: str) -> None:
    assert calendars._fold(line) == icalendar.parser.string._foldline(line)


def _config() -> SiteConfig:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        loaded, _ = load_config(Path(folder))
        assert loaded is not None
        return loaded.config


_CONFIG = _config()


def test_the_zones_of_the_meetings_are_made_before_the_page_workers_are_forked(
    make_site, monkeypatch
) -> None:
    """Each page worker made every VTIMEZONE its calendars name (2–4 ms each); the build's
    process makes them while the bodies are rendered: the zones events name, not UTC's."""
    monkeypatch.setenv("HUBGEN_WORKERS", "2")
    files: dict[str, str | bytes] = {"site.yaml": SITE_YAML}
    files |= {f"content/groups/{slug}.yaml": GROUPS[slug] for slug in ("circle", "mondays")}
    files["content/groups/accra.yaml"] = (
        "name: Accra\nsummary: On GMT.\ntimezone: Africa/Accra\n"
        'meetings: {cadence: weekly, weekday: Monday, time: "12:00"}\n'
    )
    for number in range(250):  # bodies rendered by two workers
        day = dt.date(2020, 1, 1) + dt.timedelta(days=number)
        files[f"content/posts/post-{number:03d}.md"] = POST.format(
            title=f"Post {number}", date=day.isoformat(), body="Text."
        )
    root = make_site(files)
    calendars._zone.cache_clear()
    assert errors(run_build(root)) == []
    assert calendars._zone.cache_info().currsize == 2  # Denver's and Paris's, in this process
    for name in ("America/Denver", "Europe/Paris"):
        before = calendars._zone.cache_info().hits
        calendars._zone(name, calendars.ZONES_FROM)
        assert calendars._zone.cache_info().hits == before + 1
