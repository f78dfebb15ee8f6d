"""API keys as credentials: their secrets, and the caller they prove from a bearer
token and the key row found by its lookup id."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import BOOTSTRAP_ADMIN, Principal, Role, bearer_token
from app.core.errors import Unauthenticated
from app.keys.repository import key_lookup

KEY_PREFIX = "ju_"
_LOOKUP_ID = re.compile(r"[0-9a-f]{1,32}")


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


def _is_admin_key(token: str, admin_key: str | None) -> bool:
    return bool(admin_key) and hmac.compare_digest(token.encode(), admin_key.encode())  # type: ignore[union-attr]


def principal_of(token: str, key_row: Sequence[Any] | None, admin_key: str | None) -> Principal:
    """The caller, from its token and the key row found by its lookup id."""
    if _is_admin_key(token, admin_key):
        return BOOTSTRAP_ADMIN
    if (
        key_row is not None
        and key_row[0] is not None
        and hmac.compare_digest(key_row[1], hash_secret(token))
    ):
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
    """The caller of a routed request (`core.deps`, registered by `create_app`)."""
    if _is_admin_key(token, admin_key):
        return BOOTSTRAP_ADMIN
    found = lookup_id(token)
    if found is None:
        return principal_of(token, None, admin_key)
    row = (await session.execute(key_lookup(), {"lookup_id": found})).first()
    return principal_of(token, row, admin_key)
