"""A partner's integration, written against the client `openapi-python-client` generates
from our `/openapi.json` (package `jointuse_client`), as the contract describes the API.

`tests/client/test_generated_client.py` type-checks it with `mypy --strict` and runs it
against a live server: `python partner_script.py BASE_URL PARTNER_KEY SITE_NAME`. It reads
the catalog without a key, books as the partner with the ids and times the answers gave,
cancels without a body, and handles a conflict and a rules violation as typed problems.
Not imported by the test suite (the package it imports exists only once generated)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import NoReturn
from zoneinfo import ZoneInfo

from jointuse_client import AuthenticatedClient, Client
from jointuse_client.api.availability import space_availability
from jointuse_client.api.bookings import cancel_booking, create_booking, get_booking
from jointuse_client.api.sites import list_sites
from jointuse_client.api.spaces import list_site_spaces
from jointuse_client.models import (
    Availability,
    BookingConflictProblem,
    BookingCreate,
    BookingRead,
    BookingRulesViolatedProblem,
    BookingStatus,
    PageSiteRead,
    PageSpaceRead,
    Rule,
    SiteRead,
    SpaceRead,
)


def fail(what: str, answer: object) -> NoReturn:
    raise SystemExit(f"partner script: {what}: got {answer!r}")


def find_site(public: Client, name: str) -> SiteRead:
    """The site named `name`, page by page, without a key."""
    cursor: str | None = None
    while True:
        page = (
            list_sites.sync(client=public, limit=200)
            if cursor is None
            else list_sites.sync(client=public, limit=200, cursor=cursor)
        )
        if not isinstance(page, PageSiteRead):
            fail("listing sites", page)
        for site in page.items:
            if site.name == name:
                return site
        if page.next_cursor is None:
            fail(f"no site named {name!r}", page)
        cursor = page.next_cursor


def first_space(public: Client, site: SiteRead) -> SpaceRead:
    spaces = list_site_spaces.sync(site.id, client=public)
    if not isinstance(spaces, PageSpaceRead) or not spaces.items:
        fail(f"the spaces of site {site.id}", spaces)
    return spaces.items[0]


def free_hour(
    public: Client, space: SpaceRead, start: dt.datetime, end: dt.datetime
) -> dt.datetime:
    """The first whole hour between `start` and `end` that availability shows free."""
    answer = space_availability.sync(space.id, client=public, from_=start, to=end)
    if not isinstance(answer, Availability):
        fail(f"the availability of space {space.id}", answer)
    for block in answer.free:
        hour = block.start.replace(minute=0, second=0, microsecond=0)
        if hour < block.start:
            hour += dt.timedelta(hours=1)
        if hour + dt.timedelta(hours=1) <= block.end:
            return hour
    fail(f"no free hour in space {space.id}", answer)


def booking(space: SpaceRead, start: dt.datetime, *, attendance: int) -> BookingCreate:
    """An hour from `start` in `space`: every id and time comes from an answer."""
    return BookingCreate(
        space_id=space.id,
        start=start,
        end=start + dt.timedelta(hours=1),
        purpose="Youth basketball practice",
        attendance=attendance,
    )


def main(base_url: str, partner_key: str, site_name: str) -> None:
    public = Client(base_url=base_url, raise_on_unexpected_status=True)
    partner = AuthenticatedClient(
        base_url=base_url, token=partner_key, raise_on_unexpected_status=True
    )

    site = find_site(public, site_name)
    space = first_space(public, site)
    # An evening ten days ahead on the site's clock: past any notice period, inside the
    # agreement, inside a school's open hours and after its reserved ones.
    zone = ZoneInfo(site.timezone)
    day = (dt.datetime.now(zone) + dt.timedelta(days=10)).date()
    evening = dt.datetime.combine(day, dt.time(18, 0), tzinfo=zone)
    start = free_hour(public, space, evening, evening + dt.timedelta(hours=3))

    made = create_booking.sync(
        client=partner, body=booking(space, start, attendance=min(space.capacity, 12))
    )
    if not isinstance(made, BookingRead):
        fail("booking a free hour", made)
    if made.status is not BookingStatus.CONFIRMED or made.site_id != site.id:
        fail("the new booking", made)

    again = get_booking.sync(made.id, client=partner)
    if not isinstance(again, BookingRead) or again.id != made.id:
        fail(f"reading booking {made.id}", again)

    conflict = create_booking.sync(client=partner, body=booking(space, start, attendance=1))
    if not isinstance(conflict, BookingConflictProblem):
        fail("booking a held hour", conflict)
    if [v.rule for v in conflict.violations] != [Rule.CONFLICT]:
        fail("the conflict's violations", conflict)

    crowded = create_booking.sync(
        client=partner,
        body=booking(space, start + dt.timedelta(hours=1), attendance=space.capacity + 1),
    )
    if not isinstance(crowded, BookingRulesViolatedProblem):
        fail("booking over capacity", crowded)
    if Rule.OVER_CAPACITY not in {v.rule for v in crowded.violations}:
        fail("the over-capacity violations", crowded)

    cancelled = cancel_booking.sync(made.id, client=partner)
    if not isinstance(cancelled, BookingRead) or cancelled.status is not BookingStatus.CANCELLED:
        fail(f"cancelling booking {made.id} without a body", cancelled)

    print(
        f"partner script: booked {made.id} in space {space.id} at {start.isoformat()}, "
        f"conflict and over-capacity refused as typed problems, cancelled"
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
