"""What a change to a site means for other domains, in the request's transaction: a
new time zone moves its bookings' local dates, and a new zone, custodial hours or
rate re-bills its site dates, from today on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.bookings import service as bookings
from app.core.auth import Principal
from app.core.time import local_today, zone
from app.costs import service as costs
from app.sites import service
from app.sites.models import Site
from app.sites.schemas import SiteUpdate


async def update_site(
    session: AsyncSession, *, principal: Principal, site_id: int, data: SiteUpdate
) -> Site:
    site, billing_changed = await service.update_site(
        session, principal=principal, site_id=site_id, data=data
    )
    if billing_changed:
        await site_billing_changed(session, site=site, changed=billing_changed)
    return site


async def site_billing_changed(
    session: AsyncSession, *, site: Site, changed: frozenset[str]
) -> None:
    """`changed`: which of `service.BILLING_FIELDS` did; the site is flushed."""
    tz = zone(site.timezone)
    today = local_today(tz)
    if "timezone" in changed:
        await bookings.relocalize_site(session, site_id=site.id, tz=tz, first_day=today)
    await costs.mark_site_from(session, site_id=site.id, first_day=today)
