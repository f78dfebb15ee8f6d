"""What every operation declares in OpenAPI: summary, security, problem responses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Header
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.errors import PROBLEM_MEDIA_TYPE, problem_responses

SECURITY_SCHEME = "ApiKeyBearer"

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


def op(
    summary: str,
    *errors: int,
    public: bool = False,
    status_code: int | None = None,
    description: str | None = None,
    responses: dict[int | str, dict[str, Any]] | None = None,
    if_match: bool = False,
) -> dict[str, Any]:
    """Route keyword arguments: `errors` are the problem statuses beyond 422/500;
    keyed operations also answer 401/403; `if_match`: the operation needs `If-Match`
    (`IfMatchHeader`), 412/428. (A hot route's inputs are documented from its `@hot`
    declaration.)"""
    statuses = set(errors) if public else {401, 403, *errors}
    if if_match:
        statuses |= {412, 428}
    # Public operations need no key and declare none (a key sent is not looked at), so
    # that generated clients call them with a plain client.
    security: list[dict[str, list[str]]] = [] if public else [{SECURITY_SCHEME: []}]
    kw: dict[str, Any] = {
        "summary": summary,
        "responses": {**problem_responses(*sorted(statuses)), **(responses or {})},
        "openapi_extra": {"security": security},
    }
    if if_match:
        kw["openapi_extra"]["parameters"] = [IF_MATCH_PARAMETER]
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
        _integral_bounds(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
