"""Domain errors and their one mapping to RFC 9457 problem responses."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.db import is_database_busy, is_database_unavailable
from app.core.logs import request_id_var
from app.core.schemas import Omittable

log = logging.getLogger("jointuse.errors")
T = TypeVar("T")

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_type(code: str) -> str:
    return f"urn:jointuse:problem:{code}"


class FieldError(BaseModel):
    """One bad field of a request."""

    loc: list[str | int] = Field(
        description="Where the bad value is, e.g. ['body','open_hours','mon']"
    )
    path: str = Field(description="`loc` as a dotted path")
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable machine-readable `code` (the document has
    one such schema per code, `core.openapi.problem_model`)."""

    type: str = Field(description="`urn:jointuse:problem:` and the code")
    title: str
    status: int
    detail: str
    code: str
    request_id: Omittable[str] = Field(None, description="The `X-Request-ID` of the answer")


class FieldErrors(BaseModel):
    errors: list[FieldError] = Field(description="Each bad field of the request")


class DomainError(Exception):
    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"
    headers: ClassVar[dict[str, str] | None] = None
    # What `body()` adds to the problem's fields, for the document (`core.openapi`).
    problem_fields: ClassVar[type[BaseModel] | None] = None

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {**self.extra}


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


def found(row: T | None, what: str) -> T:
    """`row`, or the 404 of a `what` that does not exist (as `ids.parse_id` says it)."""
    if row is None:
        raise NotFound(f"no such {what}")
    return row


class Unauthenticated(DomainError):
    status, code, title = 401, "unauthenticated", "Unauthenticated"
    # RFC 9110: a 401 names the scheme the client should use.
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class InvalidTransition(DomainError):
    status, code, title = 409, "invalid-transition", "Invalid transition"


class RentalFeeProhibited(DomainError):
    status, code, title = 422, "rental-fee-prohibited", "Rental fees are prohibited"


class ValidationFailed(DomainError):
    """A request that parses but names something invalid (an unknown party, a
    cursor that is not ours): the same 422 `validation-error` as schema errors."""

    status, code, title = 422, "validation-error", "Request validation failed"
    problem_fields = FieldErrors

    def __init__(self, loc: Sequence[str | int], message: str) -> None:
        super().__init__(f"{_dotted(loc)}: {message}")
        self.errors = [_field_error(loc, message, "value_error")]

    def body(self) -> dict[str, Any]:
        return {"errors": self.errors}


class ServiceUnavailable(DomainError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


class DatabaseBusy(ServiceUnavailable):
    """Contract section 7: the database too busy to answer in time (SQLite's write lock
    held by another writer for the whole busy timeout). Nothing was written."""

    headers: ClassVar[dict[str, str] | None] = {"Retry-After": "1"}

    def __init__(self) -> None:
        super().__init__("the database is too busy to answer in time; try again")


class DatabaseUnavailable(ServiceUnavailable):
    """Contract section 7: the database cannot be reached (down, restarting, the
    network). The request may not have been carried out; retry it (with its
    `Idempotency-Key`, a write is then made once)."""

    headers: ClassVar[dict[str, str] | None] = {"Retry-After": "2"}

    def __init__(self) -> None:
        super().__init__("the database cannot be reached; try again shortly")


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _field_error(loc: Sequence[Any], message: str, type_: str) -> dict[str, Any]:
    clean = [p if isinstance(p, int) else str(p) for p in loc]
    return {"loc": clean, "path": _dotted(clean), "message": message, "type": type_}


def problem_response(
    status: int, code: str, title: str, detail: str, headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    rid = request_id_var.get()
    if rid:
        body["request_id"] = rid
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        msg = str(err.get("msg", "invalid value"))
        type_ = str(err.get("type", "value_error"))
        if type_ == "json_invalid":
            msg = "request body is not valid JSON"
            loc = ["body"]
        errors.append(_field_error(loc, msg, type_))
    return errors


_HTTP_CODES = {
    400: ("validation-error", "Request validation failed"),
    401: ("unauthenticated", "Unauthenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def internal_error_response(method: str, path: str, exc: BaseException) -> JSONResponse:
    """An unexpected exception: logged in full, answered with no internals; but a
    database too busy to answer in time, or that cannot be reached (whatever statement
    noticed it), is a 503 with `Retry-After` (contract section 7)."""
    down = not is_database_busy(exc) and is_database_unavailable(exc)
    if down:
        log.warning(
            "database unavailable",
            extra={"method": method, "path": path, "error": f"{type(exc).__name__}: {exc}"},
        )
    if down or is_database_busy(exc):
        busy = DatabaseUnavailable() if down else DatabaseBusy()
        return problem_response(
            busy.status, busy.code, busy.title, busy.detail, headers=busy.headers
        )
    log.error("unhandled error", exc_info=exc, extra={"method": method, "path": path})
    return problem_response(
        500, "internal-error", "Internal server error",
        "An unexpected error occurred; quote the request id when reporting it.",
    )


_PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method the app answers at the request's path: Starlette's 405 names only
    the methods of the first route whose path matches."""
    scope = request.scope
    allowed = []
    for method in _PROBED_METHODS:
        probe = {"type": "http", "path": scope["path"], "root_path": scope.get("root_path", ""),
                 "method": method, "headers": []}
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
            if method == "GET":
                allowed.append("HEAD")  # answered for every GET (`core.middleware`)
    return ", ".join(allowed)


# Runs before a request's input is refused (`deps.authenticate_first`): a bad or
# missing key is a 401 first, whatever the body.
CallerFirst = Callable[[Request], Awaitable[None]]


def install_error_handlers(app: FastAPI, *, caller_first: CallerFirst | None = None) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_req: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            exc.status, exc.code, exc.title, exc.detail, headers=exc.headers, **exc.body()
        )

    async def _refused_caller(req: Request) -> JSONResponse | None:
        if caller_first is None:
            return None
        try:
            await caller_first(req)
        except DomainError as refused:
            return await _domain(req, refused)
        return None

    @app.exception_handler(RequestValidationError)
    async def _validation(req: Request, exc: RequestValidationError) -> JSONResponse:
        if (refused := await _refused_caller(req)) is not None:
            return refused
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5]) or "invalid request"
        return problem_response(
            422, "validation-error", "Request validation failed", detail, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        if status == 400:
            # Starlette's "error parsing the body" (e.g. bytes that are not UTF-8):
            # for clients this is the same as malformed JSON.
            if (refused := await _refused_caller(req)) is not None:
                return refused
            return problem_response(
                422, "validation-error", "Request validation failed",
                "request body is not valid JSON",
                errors=[_field_error(["body"], "request body is not valid JSON", "json_invalid")],
            )
        code, title = _HTTP_CODES.get(status, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = exc.headers
        if status == 404:
            detail = "no such resource"
        elif status == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(req)}
        return problem_response(status, code, title, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception) -> JSONResponse:
        # Normally answered by RequestContextMiddleware already (see there); this is
        # the fallback for a failure outside it.
        return internal_error_response(req.method, req.url.path, exc)


class PreconditionRequired(DomainError):
    status, code, title = 428, "precondition-required", "Precondition required"


class PreconditionFailed(DomainError):
    status, code, title = 412, "precondition-failed", "Precondition failed"


class IdempotencyKeyReused(DomainError):
    """Contract section 8: an `Idempotency-Key` sent again with a different request."""

    status, code, title = 422, "idempotency-key-reused", "Idempotency key reused"

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was used for a different request; use a new key for a "
            "new request"
        )


class IdempotencyInFlight(DomainError):
    """Contract section 8: the first request with the key is still running."""

    status, code, title = 409, "idempotency-in-flight", "Idempotent request in flight"
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": "1"}

    def __init__(self) -> None:
        super().__init__(
            "the first request with this Idempotency-Key is still running; retry shortly"
        )


class RateLimited(DomainError):
    """Contract section 8: the key's requests of this minute are spent."""

    status, code, title = 429, "rate-limited", "Rate limited"

    def __init__(self, per_minute: int) -> None:
        super().__init__(f"this API key may make {per_minute} requests a minute; retry later")
