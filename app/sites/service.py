"""Sites, their spaces and their calendar. Who may change them is decided by
`app.core.auth`; this module checks what the data must satisfy. What a change means
for bookings and costs is in `flows`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, require_party_manager
from app.core.db import added
from app.core.errors import NotFound, ValidationFailed, found
from app.core.pagination import as_int, keyset, page_of
from app.core.schemas import apply_changes, changes_of, stored
from app.parties.service import require_party
from app.sites.models import CalendarException, Site, Space
from app.sites.schemas import (
    CalendarExceptionCreate,
    CalendarExceptionKind,
    CalendarExceptionUpdate,
    SiteCreate,
    SiteKind,
    SiteUpdate,
    SpaceCreate,
    SpaceKind,
    SpaceUpdate,
)

# --- sites --------------------------------------------------------------------

# Changing these re-bills the site's custodial coverage from today on (`flows`).
BILLING_FIELDS = ("custodial_hours", "custodial_rate_cents_per_hour", "timezone")
Child = TypeVar("Child", Space, CalendarException)


async def get_site(session: AsyncSession, *, site_id: int) -> Site:
    return found(await session.get(Site, site_id), "site")


async def _managed_site(session: AsyncSession, principal: Principal, site_id: int) -> Site:
    """The site, if `principal` may manage it: its spaces and calendar are the owner's."""
    site = await get_site(session, site_id=site_id)
    require_party_manager(principal, site.owner_party_id)
    return site


async def _add_to_site(
    session: AsyncSession,
    principal: Principal,
    site_id: int,
    model: type[Child],
    data: SpaceCreate | CalendarExceptionCreate,
) -> Child:
    """A space or a calendar exception added to a site its owner's manager manages."""
    site = await _managed_site(session, principal, site_id)
    return await added(session, model(site_id=site.id, **stored(data)))


async def create_site(session: AsyncSession, *, principal: Principal, data: SiteCreate) -> Site:
    require_party_manager(principal, data.owner_party_id)
    await require_party(session, party_id=data.owner_party_id, field="owner_party_id")
    return await added(session, Site(**{**stored(data), **data.hours_json()}))


async def update_site(
    session: AsyncSession, *, principal: Principal, site_id: int, data: SiteUpdate
) -> tuple[Site, frozenset[str]]:
    """The site, and which of its `BILLING_FIELDS` changed."""
    site = await _managed_site(session, principal, site_id)
    changes = changes_of(data)
    if "owner_party_id" in changes and changes["owner_party_id"] != site.owner_party_id:
        # Handing a site to another party is the new owner's call too.
        new_owner = int(changes["owner_party_id"])  # type: ignore[call-overload]
        require_party_manager(principal, new_owner)
        await require_party(session, party_id=new_owner, field="owner_party_id")
    changes.update(data.hours_json())
    billing_changed = frozenset(
        field
        for field in BILLING_FIELDS
        if field in changes and changes[field] != getattr(site, field)
    )
    apply_changes(site, changes)
    await session.flush()
    return site, billing_changed


async def list_sites(
    session: AsyncSession,
    *,
    kind: SiteKind | None,
    owner_party_id: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Site], str | None]:
    stmt = select(Site)
    if kind is not None:
        stmt = stmt.where(Site.kind == kind.value)
    if owner_party_id is not None:
        stmt = stmt.where(Site.owner_party_id == owner_party_id)
    rows = (await session.scalars(keyset(stmt, [Site.id], cursor, limit, [as_int]))).all()
    return page_of(rows, limit, lambda s: [s.id])


# --- spaces -------------------------------------------------------------------


async def get_space(session: AsyncSession, *, space_id: int) -> Space:
    return found(await session.get(Space, space_id), "space")


async def create_space(
    session: AsyncSession, *, principal: Principal, site_id: int, data: SpaceCreate
) -> Space:
    return await _add_to_site(session, principal, site_id, Space, data)


async def update_space(
    session: AsyncSession, *, principal: Principal, space_id: int, data: SpaceUpdate
) -> Space:
    space = await get_space(session, space_id=space_id)
    await _managed_site(session, principal, space.site_id)
    apply_changes(space, changes_of(data))
    await session.flush()
    return space


async def list_spaces(
    session: AsyncSession,
    *,
    site_id: int | None,
    kind: SpaceKind | None,
    limit: int,
    cursor: str | None,
    site_must_exist: bool = False,
) -> tuple[Sequence[Space], str | None]:
    """`site_must_exist`: listed under a site's path (404 for an unknown site), not
    filtered by a query parameter (an unknown site matches nothing, like other filters)."""
    stmt = select(Space)
    if site_id is not None:
        if site_must_exist:
            await get_site(session, site_id=site_id)
        stmt = stmt.where(Space.site_id == site_id)
    if kind is not None:
        stmt = stmt.where(Space.kind == kind.value)
    rows = (await session.scalars(keyset(stmt, [Space.id], cursor, limit, [as_int]))).all()
    return page_of(rows, limit, lambda s: [s.id])


# --- calendar -----------------------------------------------------------------


async def _get_exception(
    session: AsyncSession, *, site_id: int, exception_id: int
) -> CalendarException:
    exc = await session.get(CalendarException, exception_id)
    if exc is None or exc.site_id != site_id:
        raise NotFound("no such calendar exception")
    return exc


async def get_calendar_exception(
    session: AsyncSession, *, site_id: int, exception_id: int
) -> CalendarException:
    await get_site(session, site_id=site_id)
    return await _get_exception(session, site_id=site_id, exception_id=exception_id)


async def create_calendar_exception(
    session: AsyncSession, *, principal: Principal, site_id: int, data: CalendarExceptionCreate
) -> CalendarException:
    return await _add_to_site(session, principal, site_id, CalendarException, data)


async def update_calendar_exception(
    session: AsyncSession,
    *,
    principal: Principal,
    site_id: int,
    exception_id: int,
    data: CalendarExceptionUpdate,
) -> CalendarException:
    await _managed_site(session, principal, site_id)
    exc = await _get_exception(session, site_id=site_id, exception_id=exception_id)
    changes = changes_of(data)
    start = changes.get("start_date", exc.start_date)
    end = changes.get("end_date", exc.end_date)
    if end < start:  # type: ignore[operator]
        raise ValidationFailed(["body", "end_date"], "end_date must not be before start_date")
    apply_changes(exc, changes)
    await session.flush()
    return exc


async def delete_calendar_exception(
    session: AsyncSession, *, principal: Principal, site_id: int, exception_id: int
) -> None:
    await _managed_site(session, principal, site_id)
    exc = await _get_exception(session, site_id=site_id, exception_id=exception_id)
    await session.delete(exc)
    await session.flush()


async def list_calendar_exceptions(
    session: AsyncSession,
    *,
    site_id: int,
    kind: CalendarExceptionKind | None,
    from_date: date | None,
    to_date: date | None,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[CalendarException], str | None]:
    await get_site(session, site_id=site_id)
    stmt = select(CalendarException).where(CalendarException.site_id == site_id)
    if kind is not None:
        stmt = stmt.where(CalendarException.kind == kind.value)
    if from_date is not None:
        stmt = stmt.where(CalendarException.end_date >= from_date)
    if to_date is not None:
        stmt = stmt.where(CalendarException.start_date <= to_date)
    order = [CalendarException.start_date, CalendarException.id]
    parse = [date.fromisoformat, as_int]
    rows = (await session.scalars(keyset(stmt, order, cursor, limit, parse))).all()
    return page_of(rows, limit, lambda e: [e.start_date.isoformat(), e.id])
