"""Who is calling, and what each role may do, whatever the domain. A caller's key
is checked in `app.keys.auth`; booking visibility and parties in `app.bookings.access`."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    partner = "partner"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: an API key acting for a party in a role. The bootstrap admin key
    (`JOINTUSE_ADMIN_KEY`) has no key id and no party."""

    key_id: int | None
    party_id: int | None
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


BOOTSTRAP_ADMIN = Principal(key_id=None, party_id=None, role=Role.admin)

# (session, bearer token, bootstrap admin key) -> the caller, or `Unauthenticated`.
# `create_app` puts the keys domain's on `app.state.authenticate`: core reads no key rows.
Authenticate = Callable[[AsyncSession, str, str | None], Awaitable[Principal]]


def caller_key(token: str) -> str:
    """An API key known by its secret's hash, without a lookup: what idempotency keys and
    rate limits are counted by (a forged secret is just another caller)."""
    return "key:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <api key>'")
    return token.strip()


# --- policy -----------------------------------------------------------------


def require_key(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("this operation needs an API key")
    return principal


def require_admin(principal: Principal | None) -> Principal:
    principal = require_key(principal)
    if not principal.is_admin:
        raise Forbidden("only an admin key may do this")
    return principal


def acts_for(principal: Principal, party_id: int | None) -> bool:
    return principal.party_id is not None and principal.party_id == party_id


def require_party_manager(principal: Principal | None, party_id: int) -> Principal:
    """Admin, or a manager acting for `party_id` (a site's owner, say)."""
    principal = require_key(principal)
    if principal.is_admin:
        return principal
    if principal.role is Role.manager and acts_for(principal, party_id):
        return principal
    raise Forbidden("only an admin or a manager of the owning party may do this")
