from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.db import added
from app.core.errors import ValidationFailed, found
from app.core.time import utcnow
from app.keys.auth import new_secret
from app.keys.models import ApiKey
from app.parties.service import require_party


async def create_api_key(
    session: AsyncSession, *, party_id: int | None, role: Role, name: str
) -> tuple[ApiKey, str]:
    """A new key and its secret (the only time the secret exists outside the caller)."""
    if party_id is None and role is not Role.admin:
        raise ValidationFailed(["body", "party_id"], f"a {role.value} key acts for a party")
    if party_id is not None:
        await require_party(session, party_id=party_id, field="party_id")
    secret, lookup_id, secret_hash = new_secret()
    key = ApiKey(
        lookup_id=lookup_id, secret_hash=secret_hash, party_id=party_id, role=role.value, name=name
    )
    return await added(session, key), secret


async def revoke_api_key(session: AsyncSession, *, key_id: int) -> None:
    key = found(
        await session.scalar(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        ),
        "API key",
    )
    key.revoked_at = utcnow()
    await session.flush()
