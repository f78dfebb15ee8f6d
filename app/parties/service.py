from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import added
from app.core.errors import ValidationFailed, found
from app.core.pagination import as_int, keyset, page_of
from app.core.schemas import apply_changes, changes_of, stored
from app.parties.models import Party
from app.parties.schemas import PartyCreate, PartyKind, PartyUpdate


async def create_party(session: AsyncSession, *, data: PartyCreate) -> Party:
    return await added(session, Party(**stored(data)))


async def get_party(session: AsyncSession, *, party_id: int) -> Party:
    return found(await session.get(Party, party_id), "party")


async def require_party(session: AsyncSession, *, party_id: int, field: str) -> Party:
    """A party named in a request body: unknown is a 422 on that field."""
    party = await session.get(Party, party_id)
    if party is None:
        raise ValidationFailed(["body", field], f"no party with id {party_id}")
    return party


async def list_parties(
    session: AsyncSession, *, kind: PartyKind | None, limit: int, cursor: str | None
) -> tuple[Sequence[Party], str | None]:
    stmt = select(Party)
    if kind is not None:
        stmt = stmt.where(Party.kind == kind.value)
    rows = (await session.scalars(keyset(stmt, [Party.id], cursor, limit, [as_int]))).all()
    return page_of(rows, limit, lambda p: [p.id])


async def update_party(session: AsyncSession, *, party_id: int, data: PartyUpdate) -> Party:
    party = await get_party(session, party_id=party_id)
    apply_changes(party, changes_of(data))
    await session.flush()
    return party
