"""What every operation declares in OpenAPI: summary, security, its problems (one schema
per problem code, `code` and `type` constant, so a client tells them apart by type), and
the headers of its answers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union

from fastapi import FastAPI, Header
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, create_model

from app.core.errors import (
    PROBLEM_MEDIA_TYPE,
    DomainError,
    Forbidden,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Problem,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
    ValidationFailed,
    problem_type,
)
from app.core.schemas import EXAMPLES, IDEMPOTENCY_KEY_PATTERN

SECURITY_SCHEME = "ApiKeyBearer"


# --- problems ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """A problem an operation can answer: its status, stable code, title, and the
    fields it adds to RFC 9457's (a model, or None)."""

    status: int
    code: str
    title: str
    fields: type[BaseModel] | None = None

    @staticmethod
    def of(error: type[DomainError]) -> ProblemKind:
        return ProblemKind(error.status, error.code, error.title, error.problem_fields)


# Answered outside the domain errors (Starlette, the request-context middleware).
METHOD_NOT_ALLOWED = ProblemKind(405, "method-not-allowed", "Method not allowed")
PAYLOAD_TOO_LARGE = ProblemKind(413, "payload-too-large", "Payload too large")
INTERNAL_ERROR = ProblemKind(500, "internal-error", "Internal server error")

# The problem a bare status in `op(...)` means.
BY_STATUS = {
    401: ProblemKind.of(Unauthenticated),
    403: ProblemKind.of(Forbidden),
    404: ProblemKind.of(NotFound),
    405: METHOD_NOT_ALLOWED,
    409: ProblemKind.of(InvalidTransition),
    412: ProblemKind.of(PreconditionFailed),
    413: PAYLOAD_TOO_LARGE,
    422: ProblemKind.of(ValidationFailed),
    428: ProblemKind.of(PreconditionRequired),
    429: ProblemKind.of(RateLimited),
    500: INTERNAL_ERROR,
    503: ProblemKind.of(ServiceUnavailable),
}

WHEN = {
    401: "No API key, or an unknown or revoked one",
    403: "The key's role may not do this",
    404: "No such resource, or not visible to this key",
    405: "The path does not answer this method (`Allow` lists those it does)",
    409: "Conflicts with the current state",
    412: "`If-Match` is not the current version",
    413: "The body is larger than 1 MiB",
    422: "The request is invalid",
    428: "`If-Match` is missing",
    429: "The key's requests of this minute are spent: retry after `Retry-After` seconds",
    500: "Unexpected error; quote `X-Request-ID` when reporting it",
    503: "Too busy, or the database does not answer: retry (after `Retry-After` seconds "
    "when given)",
}


def _camel(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("-"))


@cache
def problem_model(kind: ProblemKind) -> type[BaseModel]:
    """The document's schema of one problem code: `Problem` with `type`, `status` and
    `code` constant, and the fields the code adds (`violations`, `errors`)."""
    bases = (Problem,) if kind.fields is None else (kind.fields, Problem)
    # Constants made at run time: types to pydantic, values to mypy.
    urn: Any = Literal[problem_type(kind.code)]
    status: Any = Literal[kind.status]
    code: Any = Literal[kind.code]
    model: type[BaseModel] = create_model(
        f"{_camel(kind.code)}Problem",
        __base__=bases,
        __doc__=f"{kind.title}: the `{kind.code}` problem ({kind.status}).",
        type=(urn, Field(description="`urn:jointuse:problem:` and the code")),
        status=(status, ...),
        code=(code, ...),
    )
    return model


def problem_responses(kinds: list[ProblemKind]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries: per status, its problem schema, or one of several
    told apart by `code` (a discriminator)."""
    by_status: dict[int, dict[str, ProblemKind]] = {}
    for kind in kinds:
        by_status.setdefault(kind.status, {})[kind.code] = kind
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(by_status):
        codes = sorted(by_status[status])
        models = [problem_model(by_status[status][code]) for code in codes]
        model: Any = models[0]
        if len(models) > 1:
            model = Annotated[Union[tuple(models)], Field(discriminator="code")]  # noqa: UP007
        listed = ", ".join(f"`{code}`" for code in codes)
        headers = {name: {"$ref": f"#/components/headers/{name}"} for name in _HEADERS[status]}
        # Declared as application/json here; `install_openapi` renames it.
        out[status] = {"description": f"{WHEN[status]}: {listed}", "model": model}
        if headers:
            out[status]["headers"] = headers
    return out


# --- headers -----------------------------------------------------------------------

def _header(
    description: str, *, required: bool = False, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A header's component: its text, whether every answer it is on has it, its value."""
    out: dict[str, Any] = {"description": description}
    if required:
        out["required"] = True
    out["schema"] = {"type": "string"} if schema is None else schema
    return out


HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": _header(
        "The request's id (the one sent, if valid); quote it when reporting a problem",
        required=True,
        schema={"type": "string", "maxLength": 128},
    ),
    "Location": _header("The path of what was made", required=True),
    "ETag": _header("The version answered; send it as `If-Match` to change it", required=True),
    "WWW-Authenticate": _header("The scheme to authenticate with: `Bearer`", required=True),
    "Retry-After": _header(
        "Seconds to wait before asking again", schema={"type": "integer", "minimum": 0}
    ),
    "Allow": _header("The methods the path answers", required=True),
    "Idempotent-Replayed": _header(
        "`true` on the first answer given again to a request sent with the same "
        "`Idempotency-Key`; absent on a first answer",
        schema={"type": "string", "enum": ["true"]},
    ),
    "RateLimit-Policy": _header(
        "The key's quota (IETF RateLimit header fields): "
        '`"default";q=<requests>;w=60`. On every answer to a key while limits are on'
    ),
    "RateLimit": _header(
        'What is left of the quota: `"default";r=<remaining>;t=<seconds to the '
        "window's end>`. On every answer to a key while limits are on"
    ),
    "Content-Disposition": _header("`attachment` with a file name (CSV answers)"),
}
# The headers a problem answer carries beyond `X-Request-ID`, by status.
_HEADERS: dict[int, tuple[str, ...]] = {401: ("WWW-Authenticate",), 405: ("Allow",),
                                        429: ("Retry-After",), 503: ("Retry-After",)}
_HEADERS = {status: _HEADERS.get(status, ()) for status in BY_STATUS}


def header(name: str) -> dict[str, str]:
    assert name in HEADERS, name
    return {"$ref": f"#/components/headers/{name}"}


RATE_LIMIT_HEADERS = {name: header(name) for name in ("RateLimit-Policy", "RateLimit")}


# --- operations --------------------------------------------------------------------

# An operation that changes a version (`op(..., if_match=True)`) takes the header as this,
# documented as required by `op`: read as optional, so that one without it is the
# contract's 428 `precondition-required` (checked where the resource is known), not a 422.
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", max_length=200, include_in_schema=False)
]
IF_MATCH_PARAMETER = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The `ETag` of the version being changed (`*`: any). Missing: 428; "
    "not the current version: 412.",
    "schema": {"type": "string", "maxLength": 200},
}


IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A key of yours for this request (a UUID, say), kept 24 hours for your API "
    "key: sent again with the same request, the first answer is given again "
    "(`Idempotent-Replayed: true`) and nothing is written; with a different request, 422 "
    "`idempotency-key-reused`; while the first still runs, 409 `idempotency-in-flight`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": IDEMPOTENCY_KEY_PATTERN},
}


def op(
    summary: str,
    *errors: int | type[DomainError],
    public: bool = False,
    status_code: int | None = None,
    description: str | None = None,
    responses: dict[int | str, dict[str, Any]] | None = None,
    if_match: bool = False,
    etag: bool = False,
    database: bool = True,
    idempotent: bool = False,
) -> dict[str, Any]:
    """Route keyword arguments. `errors`: the problems it answers beyond those every
    operation answers (413, 422 `validation-error`, 500, and 503 if it uses the
    `database`), a status for its usual problem (`BY_STATUS`: 409 is
    `invalid-transition`) or the domain error (`BookingConflict`); keyed operations also
    answer 401 and 403. `if_match`: it needs `If-Match` (`IfMatchHeader`; 412, 428).
    `etag`: its answer carries the resource's `ETag`; a 201 carries `Location`.
    `idempotent`: it takes an `Idempotency-Key` (`app.idempotency`). Keyed operations
    answer 429 and carry the `RateLimit` headers (`app.ratelimits`). (A hot route's
    inputs are documented from its `@hot` declaration.)"""
    kinds = [] if public else [BY_STATUS[401], BY_STATUS[403], BY_STATUS[429]]
    kinds += [BY_STATUS[e] if isinstance(e, int) else ProblemKind.of(e) for e in errors]
    if if_match:
        kinds += [BY_STATUS[412], BY_STATUS[428]]
    if idempotent:
        kinds += [ProblemKind.of(IdempotencyInFlight), ProblemKind.of(IdempotencyKeyReused)]
    kinds += [BY_STATUS[413], BY_STATUS[422], BY_STATUS[500]]
    if database:
        kinds.append(BY_STATUS[503])
    answered = {**problem_responses(kinds), **(responses or {})}
    success = status_code or 200
    headers = {"Location": header("Location")} if success == 201 else {}
    if etag:
        headers["ETag"] = header("ETag")
    if idempotent:
        headers["Idempotent-Replayed"] = header("Idempotent-Replayed")
    if headers:
        answer = answered.get(success, {})
        answered[success] = {**answer, "headers": {**answer.get("headers", {}), **headers}}
    # Public operations need no key and declare none (a key sent is not looked at), so
    # that generated clients call them with a plain client.
    security: list[dict[str, list[str]]] = [] if public else [{SECURITY_SCHEME: []}]
    kw: dict[str, Any] = {
        "summary": summary,
        "responses": answered,
        "openapi_extra": {"security": security},
    }
    parameters = [IF_MATCH_PARAMETER] if if_match else []
    if idempotent:
        parameters.append(IDEMPOTENCY_KEY_PARAMETER)
    if parameters:
        kw["openapi_extra"]["parameters"] = parameters
    if status_code is not None:
        kw["status_code"] = status_code
    if description is not None:
        kw["description"] = description
    return kw


def operation_id(route: APIRoute) -> str:
    return route.name


def _one_tag(operation: dict[str, Any]) -> None:
    """Generators file an operation under its first tag alone: each has one, the most
    specific (a route's own tag comes after its router's: `spaces` over `sites`)."""
    if len(operation.get("tags", ())) > 1:
        operation["tags"] = operation["tags"][-1:]


def without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf [T, null]` as `T` (its other keys kept)."""
    options = schema.get("anyOf")
    if not options or {"type": "null"} not in options:
        return schema
    kept = [s for s in options if s != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}


def _parameters_not_nullable(operation: dict[str, Any]) -> None:
    """A query string or header cannot carry null: an optional parameter is left out."""
    for parameter in operation.get("parameters", ()):
        if not parameter.get("required"):
            parameter["schema"] = without_null(parameter["schema"])


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _integral_bounds(node: Any) -> None:
    """FastAPI's OpenAPI models hold bounds as floats: an integer's are integers again
    (a body id's `maximum` is the path id's, 2147483647, not 2147483647.0)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in _BOUNDS:
                if isinstance(node.get(key), float) and node[key].is_integer():
                    node[key] = int(node[key])
        for value in node.values():
            _integral_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _integral_bounds(value)


CONVENTIONS = """
Every answer carries `X-Request-ID`. A method that a path does not list answers 405
`method-not-allowed`, a problem with `Allow` (`#/components/responses/MethodNotAllowed`);
a body over 1 MiB, 413 `payload-too-large`, on any operation.
"""


def _conventions(schema: dict[str, Any]) -> None:
    """What holds for every answer, stated once: the headers, and the 405 no operation
    can list (it is the answer for the methods a path does not have)."""
    components = schema.setdefault("components", {})
    components["headers"] = HEADERS
    model = problem_model(METHOD_NOT_ALLOWED)
    components.setdefault("schemas", {})[model.__name__] = model.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components["responses"] = {
        "MethodNotAllowed": {
            "description": WHEN[405],
            "headers": {"Allow": header("Allow"), "X-Request-ID": header("X-Request-ID")},
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }
    info = schema["info"]
    info["description"] = info.get("description", "") + CONVENTIONS
    # Whole examples, nulls included (FastAPI writes the document without None values).
    for name, component in components["schemas"].items():
        model = name.removesuffix("-Input").removesuffix("-Output")
        if model in EXAMPLES and "examples" in component:
            component["examples"] = EXAMPLES[model]


def install_openapi(app: FastAPI) -> None:
    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key: `Authorization: Bearer <key>`",
        }
        schema["components"]["securitySchemes"].pop("HTTPBearer", None)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                _one_tag(operation)
                _parameters_not_nullable(operation)
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    # Problems are application/problem+json, not application/json.
                    if status[0] in "45" and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
                    response["headers"] = {
                        "X-Request-ID": header("X-Request-ID"), **response.get("headers", {})
                    }
                    if operation.get("security"):  # answers to a key
                        response["headers"].update(RATE_LIMIT_HEADERS)
        _conventions(schema)
        _integral_bounds(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
