"""What every operation declares in OpenAPI: summary, security, problem responses."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from app.core.errors import PROBLEM_MEDIA_TYPE, problem_responses

SECURITY_SCHEME = "ApiKeyBearer"


def op(
    summary: str,
    *errors: int,
    public: bool = False,
    status_code: int | None = None,
    description: str | None = None,
    responses: dict[int | str, dict[str, Any]] | None = None,
    body: type[BaseModel] | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Route keyword arguments: `errors` are the problem statuses beyond 422/500;
    keyed operations also answer 401/403. `body` and `parameters`: the inputs of a hot
    route that reads them itself (`HotRoute`); a body model must also be a body
    elsewhere, so that it is among the document's schemas."""
    statuses = set(errors) if public else {401, 403, *errors}
    security: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
    if public:
        security = [{}, *security]  # a key is optional
    kw: dict[str, Any] = {
        "summary": summary,
        "responses": {**problem_responses(*sorted(statuses)), **(responses or {})},
        "openapi_extra": {"security": security},
    }
    if body is not None:
        kw["openapi_extra"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body.__name__}"}}},
        }
    if parameters:
        kw["openapi_extra"]["parameters"] = parameters
    if status_code is not None:
        kw["status_code"] = status_code
    if description is not None:
        kw["description"] = description
    return kw


def path_id(name: str) -> dict[str, Any]:
    """An opaque id in the path, as FastAPI documents a `PathId` parameter."""
    title = name.replace("_", " ").title()
    return {
        "name": name, "in": "path", "required": True, "description": "Opaque id",
        "schema": {"type": "string", "description": "Opaque id", "title": title},
    }


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A hot route's query parameters, as FastAPI documents each field of `model`."""
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field,
         **({"description": field["description"]} if "description" in field else {})}
        for name, field in schema["properties"].items()
    ]


class HotRoute(APIRoute):
    """A route whose endpoint takes the request alone (the hot ones: they read their
    own inputs with the same pydantic models, documented through `op`) is called
    straight: FastAPI's per-request solving of parameters and dependencies has nothing
    to do for it and cost ~6% of a booking's CPU. Routing, middleware, error handlers
    and the OpenAPI document are FastAPI's, as for every other route, which keeps its
    usual handler. (Routers with this class take no router-level dependencies.)"""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        if not takes_request_only(self):
            return super().get_route_handler()
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            return await endpoint(request)  # type: ignore[no-any-return]

        return handler


class FastLane:
    """A hot route with a fixed path (`POST /v1/bookings`), called straight from the
    request-context middleware. Between them Starlette and FastAPI would only match
    the route (every route is tried in order), wrap the call in exception and exit-stack
    middleware and build the request again: ~15 % of a booking's CPU once it is judged
    on kept facts. Its errors go to the app's own exception handlers, as they would
    through `ExceptionMiddleware`; anything else, to the middleware's 500."""

    __slots__ = ("endpoint", "handlers", "route")

    def __init__(self, route: APIRoute, handlers: Mapping[Any, Callable[..., Any]]) -> None:
        self.route = route
        self.endpoint = route.endpoint
        self.handlers = handlers  # the app's, live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"], scope["endpoint"], scope["path_params"] = self.route, self.endpoint, {}
        request = Request(scope, receive, send)
        try:
            response = await self.endpoint(request)
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise
            response = handler(request, exc)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Callable[..., Any] | None:
        handlers = self.handlers
        if isinstance(exc, StarletteHTTPException) and exc.status_code in handlers:
            return handlers[exc.status_code]
        return next((handlers[c] for c in type(exc).__mro__ if c in handlers), None)


def fast_lanes(app: FastAPI, routers: Sequence[APIRouter]) -> dict[tuple[str, str], FastLane]:
    """(method, path) → lane for the hot routes whose path has no parameters and that
    no route before them would take (`routers` in the order the app includes them,
    after the app's own routes)."""
    before: list[BaseRoute] = [r for r in app.router.routes if isinstance(r, Route)]
    lanes: dict[tuple[str, str], FastLane] = {}
    for route in (r for router in routers for r in router.routes):
        if isinstance(route, HotRoute) and takes_request_only(route) and "{" not in route.path:
            for method in route.methods or ():
                scope = {"type": "http", "path": route.path, "method": method, "root_path": ""}
                if not any(r.matches(scope)[0] is Match.FULL for r in before):
                    lanes[(method, route.path)] = FastLane(route, app.exception_handlers)
        before.append(route)
    return lanes


def takes_request_only(route: APIRoute) -> bool:
    d = route.dependant
    inputs = (d.path_params, d.query_params, d.header_params, d.cookie_params, d.body_params, d.dependencies)
    alone = len(inspect.signature(route.endpoint).parameters) == 1
    return d.request_param_name is not None and alone and not any(inputs)


def operation_id(route: APIRoute) -> str:
    return route.name


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
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    # Problems are application/problem+json, not application/json.
                    if status[0] in "45" and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
