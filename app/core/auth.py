"""Who is calling, and what each role may do. Every router asks here; no
permission checks live anywhere else."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    partner = "partner"


KEY_PREFIX = "ju_"
_LOOKUP_ID = re.compile(r"[0-9a-f]{1,32}")


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


# --- keys -------------------------------------------------------------------


def new_secret() -> tuple[str, str, str]:
    """A fresh key: (secret shown once, lookup id, hash kept)."""
    lookup_id = secrets.token_hex(8)
    secret = f"{KEY_PREFIX}{lookup_id}_{secrets.token_urlsafe(32)}"
    return secret, lookup_id, hash_secret(secret)


def hash_secret(secret: str) -> str:
    # Keys are 256-bit random, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def lookup_id(secret: str | None) -> str | None:
    if secret is None or not secret.startswith(KEY_PREFIX):
        return None
    found, sep, _ = secret[len(KEY_PREFIX) :].partition("_")
    # Lookup ids are hex (`new_secret`); anything else (a NUL, say) never reaches the database.
    return found if sep and _LOOKUP_ID.fullmatch(found) else None


def bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <api key>'")
    return token.strip()


@cache
def key_lookup() -> Select[Any]:
    from app.keys.models import ApiKey  # the key table is the only thing auth reads

    return select(ApiKey.id, ApiKey.secret_hash, ApiKey.party_id, ApiKey.role).where(
        ApiKey.lookup_id == bindparam("lookup_id"), ApiKey.revoked_at.is_(None)
    )


KEY_COLUMNS = 4  # what `with_key` puts first in each row


def with_key(found: Select[Any]) -> Select[Any]:
    """`found` with the caller's key row in front (all NULL when there is none): the
    key check rides on a hot path's one statement instead of costing a round trip.
    Parameters: `lookup_id` and those of `found`."""
    one = select(literal(1).label("one")).subquery("one")
    key = key_lookup().subquery("caller")
    inner = found.subquery("found")
    return select(*key.c, *inner.c).select_from(one.outerjoin(key, true()).outerjoin(inner, true()))


def _is_admin_key(token: str, admin_key: str | None) -> bool:
    return bool(admin_key) and hmac.compare_digest(token.encode(), admin_key.encode())  # type: ignore[union-attr]


BOOTSTRAP_ADMIN = Principal(key_id=None, party_id=None, role=Role.admin)


def principal_of(token: str, key_row: Sequence[Any] | None, admin_key: str | None) -> Principal:
    """The caller, from its token and the key row found by its lookup id."""
    if _is_admin_key(token, admin_key):
        return BOOTSTRAP_ADMIN
    if key_row is not None and key_row[0] is not None and hmac.compare_digest(key_row[1], hash_secret(token)):
        return Principal(key_id=key_row[0], party_id=key_row[2], role=Role(key_row[3]))
    raise Unauthenticated("unknown or revoked API key")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A bearer token not checked yet: a hot path checks it against the key row that
    its own first statement brings back, instead of spending a round trip on it."""

    token: str
    admin_key: str | None

    @property
    def lookup_id(self) -> str | None:
        return None if _is_admin_key(self.token, self.admin_key) else lookup_id(self.token)

    def principal(self, key_row: Sequence[Any] | None) -> Principal:
        return principal_of(self.token, key_row, self.admin_key)


# Who is calling: already known, or to be checked by the request's statement.
Caller = Principal | Credentials


def caller_lookup_id(caller: Caller) -> str | None:
    return caller.lookup_id if isinstance(caller, Credentials) else None


def caller_principal(caller: Caller, key_row: Sequence[Any] | None) -> Principal:
    return caller.principal(key_row) if isinstance(caller, Credentials) else caller


def credentials(authorization: str | None, admin_key: str | None) -> Credentials:
    """From the Authorization header: 401 when it is missing or not a bearer key."""
    token = bearer_token(authorization)
    if token is None:
        raise Unauthenticated("this operation needs an API key")
    return Credentials(token, admin_key)


async def authenticate(session: AsyncSession, token: str, admin_key: str | None) -> Principal:
    if _is_admin_key(token, admin_key):
        return BOOTSTRAP_ADMIN
    found = lookup_id(token)
    row = None if found is None else (await session.execute(key_lookup(), {"lookup_id": found})).first()
    return principal_of(token, row, admin_key)


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


# --- bookings -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingScope:
    """Which bookings a key sees: those of `party_id`, plus (managers) those at the
    sites `party_id` owns. `None` from `booking_scope` means all (admin)."""

    party_id: int
    with_owned_sites: bool


def booking_scope(principal: Principal) -> BookingScope | None:
    if principal.is_admin:
        return None
    if principal.party_id is None:
        raise Forbidden("this key acts for no party")
    return BookingScope(principal.party_id, principal.role is Role.manager)


def can_see_booking(principal: Principal, *, party_id: int, site_owner_id: int) -> bool:
    scope = booking_scope(principal)
    return scope is None or party_id == scope.party_id or (
        scope.with_owned_sites and site_owner_id == scope.party_id
    )


def booking_party(principal: Principal, requested_party_id: int | None) -> int:
    """The party a booking is made for: the key's own, unless an admin names another."""
    from app.core.errors import ValidationFailed

    if requested_party_id is None:
        if principal.party_id is None:
            raise ValidationFailed(["body", "party_id"], "this key acts for no party: name one")
        return principal.party_id
    if requested_party_id != principal.party_id and not principal.is_admin:
        raise Forbidden("only an admin may book for another party")
    return requested_party_id


def require_site_manager(principal: Principal, site_owner_id: int) -> None:
    """Approve and decline: the owner's manager (or admin)."""
    require_party_manager(principal, site_owner_id)


def require_may_change_booking(principal: Principal, *, party_id: int, site_owner_id: int) -> None:
    """Cancel and change: the booking party's own keys, the owner's manager, admin."""
    if principal.is_admin or acts_for(principal, party_id):
        return
    if principal.role is Role.manager and acts_for(principal, site_owner_id):
        return
    raise Forbidden("only the booking's party, the site owner's manager or an admin may do this")
