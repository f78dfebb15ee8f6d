"""Dependency aliases every router uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import (
    Credentials,
    Principal,
    authenticate,
    bearer_token,
    credentials,
    require_admin,
    require_key,
)
from app.core.db import Database

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent
    (`scope="function"` below), rolled back on any error."""
    db: Database = request.app.state.db
    maker = db.read_sessions if request.method in _READ_METHODS else db.write_sessions
    async with maker() as session:
        yield session
        if session.in_transaction():
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


# For services that open transactions of their own (settling pending charges).
DatabaseDep = Annotated[Database, Depends(get_database)]


AuthorizationHeader = Annotated[str | None, Header(include_in_schema=False)]


async def get_optional_principal(
    request: Request, session: SessionDep, authorization: AuthorizationHeader = None
) -> Principal | None:
    token = bearer_token(authorization)
    if token is None:
        return None
    return await authenticate(session, token, request.app.state.admin_key)


OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


async def _require_key(principal: OptionalPrincipalDep) -> Principal:
    return require_key(principal)


async def _require_admin(principal: OptionalPrincipalDep) -> Principal:
    return require_admin(principal)


async def _credentials(request: Request) -> Credentials:
    return credentials(request.headers.get("authorization"), request.app.state.admin_key)


# Hot routes: the header is checked here, before the body (a keyless request is a 401
# whatever its body); the key itself by the route's first statement.
CredentialsDep = Annotated[Credentials, Depends(_credentials)]

# Dependencies run before the body is validated, so a keyless request is a 401
# whatever its body.
PrincipalDep = Annotated[Principal, Depends(_require_key)]
AdminDep = Annotated[Principal, Depends(_require_admin)]
