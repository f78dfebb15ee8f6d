"""Dependency aliases every router uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Authenticate, Principal, bearer_token, require_admin, require_key
from app.core.db import Database
from app.core.errors import Unauthenticated

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Contract section 2: anyone may read the public resources; every other operation, and
# so every write, needs a key.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# In the request's scope once its caller is known (`get_optional_principal`).
_CALLER_KNOWN = "jointuse.caller_known"
M = TypeVar("M", bound=BaseModel)


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


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read transaction, whatever the method: for a write whose slow part comes
    before it writes (a series' expansion), which then opens its write unit of work
    itself (`DatabaseDep`), so that no write lock is held meanwhile (on SQLite a write
    session's first statement takes the database's one write lock, `BEGIN IMMEDIATE`)."""
    db: Database = request.app.state.db
    async with db.read_sessions() as session:
        yield session
        if session.in_transaction():
            await session.commit()


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


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
    authenticate: Authenticate = request.app.state.authenticate  # the keys domain's (`create_app`)
    principal = await authenticate(session, token, request.app.state.admin_key)
    request.scope[_CALLER_KNOWN] = True
    return principal


OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


async def _require_key(principal: OptionalPrincipalDep) -> Principal:
    return require_key(principal)


async def _require_admin(principal: OptionalPrincipalDep) -> Principal:
    return require_admin(principal)


async def _require_key_reading(
    request: Request, session: ReadSessionDep, authorization: AuthorizationHeader = None
) -> Principal:
    return require_key(await get_optional_principal(request, session, authorization))


# Dependencies run before the body is validated, so a keyless request is a 401
# whatever its body (a body refused before they run: `authenticate_first`).
PrincipalDep = Annotated[Principal, Depends(_require_key)]
AdminDep = Annotated[Principal, Depends(_require_admin)]
# The caller of a write that opens its own write unit, checked in `ReadSessionDep`.
ReadPrincipalDep = Annotated[Principal, Depends(_require_key_reading)]


async def authenticate_first(request: Request) -> None:
    """Before a write's input is refused: 401 if its key is missing or bad and nothing
    has checked it yet. FastAPI refuses a body that is not JSON before it solves the
    dependencies, and a hot route reads its body before its statement checks the key;
    this runs only on that failing path (the error handlers, `create_app`)."""
    if request.method not in WRITE_METHODS or _CALLER_KNOWN in request.scope:
        return
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated("this operation needs an API key")
    state = request.app.state
    async with state.db.read_sessions() as session:
        await state.authenticate(session, token, state.admin_key)


async def json_body(request: Request, model: type[M]) -> M:
    """A hot route's JSON body, parsed and validated in one pass by pydantic (FastAPI
    first builds Python objects with `json`, then validates them: twice the work).
    Failures are FastAPI's own 422 `validation-error`, each path under `body`."""
    raw = await request.body()
    if not raw:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


def query_of(request: Request, model: type[M]) -> M:
    """A hot route's query parameters, validated by `model` as FastAPI would validate
    them one by one (the last of repeated ones; unknown ones ignored), with FastAPI's
    own 422 `validation-error`, each path under `query`."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
