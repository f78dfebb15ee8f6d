from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.core.deps import PrincipalDep, SessionDep
from app.core.ids import PathId, parse_id
from app.core.openapi import op
from app.core.pagination import CursorQuery, LimitQuery, Page, page
from app.core.schemas import MAX_ID
from app.core.time import LocalDate
from app.sites import flows, service
from app.sites.schemas import (
    CalendarExceptionCreate,
    CalendarExceptionKind,
    CalendarExceptionRead,
    CalendarExceptionUpdate,
    SiteCreate,
    SiteKind,
    SiteRead,
    SiteUpdate,
    SpaceCreate,
    SpaceKind,
    SpaceRead,
    SpaceUpdate,
)

router = APIRouter(tags=["sites"])
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post("/v1/sites", **op("Create a site", status_code=201))
async def create_site(
    data: SiteCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> SiteRead:
    site = await service.create_site(session, principal=principal, data=data)
    response.headers["Location"] = f"/v1/sites/{site.id}"
    return SiteRead.model_validate(site)


@router.get("/v1/sites", **op("List sites", public=True))
async def list_sites(
    session: SessionDep,
    kind: SiteKind | None = None,
    owner_party_id: IdQuery = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[SiteRead]:
    found = await service.list_sites(
        session, kind=kind, owner_party_id=owner_party_id, limit=limit, cursor=cursor
    )
    return page(found, SiteRead.model_validate)


@router.get("/v1/sites/{site_id}", **op("Read a site", 404, public=True))
async def get_site(site_id: PathId, session: SessionDep) -> SiteRead:
    site = await service.get_site(session, site_id=parse_id(site_id, "site"))
    return SiteRead.model_validate(site)


@router.patch("/v1/sites/{site_id}", **op("Change a site", 404))
async def update_site(
    site_id: PathId, data: SiteUpdate, session: SessionDep, principal: PrincipalDep
) -> SiteRead:
    site = await flows.update_site(
        session, principal=principal, site_id=parse_id(site_id, "site"), data=data
    )
    return SiteRead.model_validate(site)


# --- spaces -------------------------------------------------------------------


@router.post(
    "/v1/sites/{site_id}/spaces",
    tags=["spaces"],
    **op("Add a space to a site", 404, status_code=201),
)
async def create_space(
    site_id: PathId,
    data: SpaceCreate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> SpaceRead:
    space = await service.create_space(
        session, principal=principal, site_id=parse_id(site_id, "site"), data=data
    )
    response.headers["Location"] = f"/v1/spaces/{space.id}"
    return SpaceRead.model_validate(space)


@router.get(
    "/v1/sites/{site_id}/spaces",
    tags=["spaces"],
    **op("List a site's spaces", 404, public=True),
)
async def list_site_spaces(
    site_id: PathId,
    session: SessionDep,
    kind: SpaceKind | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[SpaceRead]:
    found = await service.list_spaces(
        session, site_id=parse_id(site_id, "site"), kind=kind, limit=limit, cursor=cursor,
        site_must_exist=True,
    )
    return page(found, SpaceRead.model_validate)


@router.get("/v1/spaces", tags=["spaces"], **op("List spaces", public=True))
async def list_spaces(
    session: SessionDep,
    site_id: IdQuery = None,
    kind: SpaceKind | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[SpaceRead]:
    found = await service.list_spaces(
        session, site_id=site_id, kind=kind, limit=limit, cursor=cursor
    )
    return page(found, SpaceRead.model_validate)


@router.get("/v1/spaces/{space_id}", tags=["spaces"], **op("Read a space", 404, public=True))
async def get_space(space_id: PathId, session: SessionDep) -> SpaceRead:
    space = await service.get_space(session, space_id=parse_id(space_id, "space"))
    return SpaceRead.model_validate(space)


@router.patch("/v1/spaces/{space_id}", tags=["spaces"], **op("Change a space", 404))
async def update_space(
    space_id: PathId, data: SpaceUpdate, session: SessionDep, principal: PrincipalDep
) -> SpaceRead:
    space = await service.update_space(
        session, principal=principal, space_id=parse_id(space_id, "space"), data=data
    )
    return SpaceRead.model_validate(space)


# --- calendar -----------------------------------------------------------------

CALENDAR = "/v1/sites/{site_id}/calendar-exceptions"


@router.post(CALENDAR, tags=["calendar"], **op("Add a closure or recess", 404, status_code=201))
async def create_calendar_exception(
    site_id: PathId,
    data: CalendarExceptionCreate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> CalendarExceptionRead:
    sid = parse_id(site_id, "site")
    exc = await service.create_calendar_exception(
        session, principal=principal, site_id=sid, data=data
    )
    response.headers["Location"] = f"/v1/sites/{sid}/calendar-exceptions/{exc.id}"
    return CalendarExceptionRead.model_validate(exc)


@router.get(
    CALENDAR,
    tags=["calendar"],
    **op("List a site's closures and recesses", 404, public=True),
)
async def list_calendar_exceptions(
    site_id: PathId,
    session: SessionDep,
    kind: CalendarExceptionKind | None = None,
    from_: Annotated[
        LocalDate | None, Query(alias="from", description="Overlapping on or after")
    ] = None,
    to: Annotated[LocalDate | None, Query(description="Overlapping on or before")] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[CalendarExceptionRead]:
    found = await service.list_calendar_exceptions(
        session,
        site_id=parse_id(site_id, "site"),
        kind=kind,
        from_date=from_,
        to_date=to,
        limit=limit,
        cursor=cursor,
    )
    return page(found, CalendarExceptionRead.model_validate)


@router.get(
    CALENDAR + "/{exception_id}",
    tags=["calendar"],
    **op("Read a calendar exception", 404, public=True),
)
async def get_calendar_exception(
    site_id: PathId, exception_id: PathId, session: SessionDep
) -> CalendarExceptionRead:
    exc = await service.get_calendar_exception(
        session,
        site_id=parse_id(site_id, "site"),
        exception_id=parse_id(exception_id, "calendar exception"),
    )
    return CalendarExceptionRead.model_validate(exc)


@router.patch(
    CALENDAR + "/{exception_id}",
    tags=["calendar"],
    **op("Change a calendar exception", 404),
)
async def update_calendar_exception(
    site_id: PathId,
    exception_id: PathId,
    data: CalendarExceptionUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> CalendarExceptionRead:
    exc = await service.update_calendar_exception(
        session,
        principal=principal,
        site_id=parse_id(site_id, "site"),
        exception_id=parse_id(exception_id, "calendar exception"),
        data=data,
    )
    return CalendarExceptionRead.model_validate(exc)


@router.delete(
    CALENDAR + "/{exception_id}",
    tags=["calendar"],
    **op("Remove a calendar exception", 404, status_code=204),
)
async def delete_calendar_exception(
    site_id: PathId, exception_id: PathId, session: SessionDep, principal: PrincipalDep
) -> Response:
    await service.delete_calendar_exception(
        session,
        principal=principal,
        site_id=parse_id(site_id, "site"),
        exception_id=parse_id(exception_id, "calendar exception"),
    )
    return Response(status_code=204)
