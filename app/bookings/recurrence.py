"""RFC 5545 recurrence, expanded in the site's local time (an 18:00 booking stays at
18:00 across a DST change). Pure functions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

MAX_OCCURRENCES = 500


class RecurrenceError(ValueError):
    """An RRULE this service does not accept; the message says why."""


def parse_rrule(text: str, first_start: datetime, tz: ZoneInfo) -> rrule:
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or "\n" in body or "\r" in body:
        raise RecurrenceError("give one RRULE line, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10")
    parts = {p.split("=", 1)[0].strip().upper() for p in body.split(";") if p.strip()}
    if "DTSTART" in parts:
        raise RecurrenceError("the first occurrence is `start`; the RRULE carries no DTSTART")
    if not parts & {"COUNT", "UNTIL"}:
        raise RecurrenceError("the RRULE needs COUNT or UNTIL")
    if {"COUNT", "UNTIL"} <= parts:
        raise RecurrenceError("COUNT and UNTIL cannot both be given (RFC 5545)")
    interval = next(
        (
            p.split("=", 1)[1].strip()
            for p in body.split(";")
            if p.split("=", 1)[0].strip().upper() == "INTERVAL"
        ),
        "1",
    )
    if not (interval.isdigit() and int(interval) >= 1):
        raise RecurrenceError("INTERVAL must be a positive integer")
    try:
        rule = rrulestr(body, dtstart=first_start.astimezone(tz))
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise RecurrenceError(f"not a valid RRULE: {exc}") from None
    if not isinstance(rule, rrule):
        raise RecurrenceError("give a single RRULE")
    return rule


def expand(
    text: str,
    *,
    first_start: datetime,
    first_end: datetime,
    tz: ZoneInfo,
    exdates: Sequence[datetime] = (),
) -> list[tuple[datetime, datetime]]:
    """The occurrences' (start, end) as UTC instants. Each keeps the first one's local
    wall-clock start and duration, so DST moves the instants, not the times."""
    rule = parse_rrule(text, first_start, tz)
    try:
        starts = list(itertools.islice(rule, MAX_OCCURRENCES + 1))
    except (ValueError, OverflowError) as exc:
        raise RecurrenceError(f"cannot expand the RRULE: {exc}") from None
    if len(starts) > MAX_OCCURRENCES:
        raise RecurrenceError(f"the RRULE gives more than {MAX_OCCURRENCES} occurrences")
    local_first = first_start.astimezone(tz)
    if not starts or starts[0] != local_first:
        raise RecurrenceError("`start` must be the RRULE's first occurrence (check BYDAY)")
    wall_duration = first_end.astimezone(tz).replace(tzinfo=None) - local_first.replace(tzinfo=None)
    skip = {e.astimezone(ZoneInfo("UTC")) for e in exdates}
    out = []
    for start in starts:
        utc_start = start.astimezone(ZoneInfo("UTC"))
        if utc_start in skip:
            continue
        # Wall-clock arithmetic: aware + timedelta keeps the tzinfo and recomputes the offset.
        end = (start + wall_duration) if wall_duration > timedelta(0) else start
        out.append((utc_start, end.astimezone(ZoneInfo("UTC"))))
    if not out:
        raise RecurrenceError("the RRULE and exdates leave no occurrence")
    return out
