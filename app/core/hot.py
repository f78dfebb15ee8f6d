"""Hot routes, declared: the few routes partner apps call most (docs/architecture.md,
"Hot paths") read their own inputs with the same pydantic models instead of having
FastAPI solve their parameters, and one of them is called straight from the
request-context middleware (its fast lane). What is hot, what it reads and what has a
lane is declared on the endpoint with `@hot`, nothing inferred from its signature;
tests/core/test_hot.py proves each hot route documented as FastAPI documents the same
ordinary endpoint, and tests/core/test_fast_lane.py that the lane answers as the routed
call does."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from app.core.ids import PATH_ID_DESCRIPTION, PATH_ID_SCHEMA

Endpoint = TypeVar("Endpoint", bound=Callable[[Request], Awaitable[Response]])


@dataclass(frozen=True, slots=True)
class HotDeclaration:
    """What a hot endpoint reads from its request, and whether it has a fast lane."""

    body: type[BaseModel] | None = None  # the JSON body (`deps.json_body`)
    query: type[BaseModel] | None = None  # the query parameters (`deps.query_of`)
    path: tuple[str, ...] = ()  # ids (`ids.PathId`) in `request.path_params`
    lane: bool = False  # called straight from the request-context middleware

    def openapi(self) -> dict[str, Any]:
        """The inputs as FastAPI documents those of the ordinary endpoint taking
        `body: <body>`, `query: Annotated[<query>, Query()]` and each path id as a
        `PathId`. A body model must also be a body elsewhere, so that it is among the
        document's schemas."""
        extra: dict[str, Any] = {}
        if self.body is not None:
            schema = {"$ref": f"#/components/schemas/{self.body.__name__}"}
            extra["requestBody"] = {
                "required": True, "content": {"application/json": {"schema": schema}},
            }
        parameters = [*map(_path_id, self.path), *_query_parameters(self.query)]
        if parameters:
            extra["parameters"] = parameters
        return extra


def hot(
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    path: Sequence[str] = (),
    lane: bool = False,
) -> Callable[[Endpoint], Endpoint]:
    """Declares `endpoint(request)` hot; goes under the route decorator, on a router
    whose `route_class` is `HotRoute`. A `lane` needs a fixed path that no earlier
    route takes (`fast_lanes`)."""
    declaration = HotDeclaration(body=body, query=query, path=tuple(path), lane=lane)

    def declare(endpoint: Endpoint) -> Endpoint:
        endpoint.__hot__ = declaration  # type: ignore[attr-defined]
        return endpoint

    return declare


def declared(endpoint: Callable[..., Any] | None) -> HotDeclaration | None:
    return getattr(endpoint, "__hot__", None)


def _path_id(name: str) -> dict[str, Any]:
    title = name.replace("_", " ").title()
    return {
        "name": name, "in": "path", "required": True, "description": PATH_ID_DESCRIPTION,
        "schema": {**PATH_ID_SCHEMA, "title": title},
    }


def _query_parameters(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field,
         **({"description": field["description"]} if "description" in field else {})}
        for name, field in schema["properties"].items()
    ]


class HotRoute(APIRoute):
    """A route class whose routes declared `@hot` are called straight: FastAPI's
    per-request solving of parameters and dependencies has nothing to do for them and
    cost ~6% of a booking's CPU. Their inputs are documented from the declaration.
    Routing, middleware, error handlers and the rest of the OpenAPI document are
    FastAPI's, and routes not declared hot are ordinary routes."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        declaration = declared(endpoint)
        if declaration is not None:
            extra = kwargs.get("openapi_extra") or {}
            kwargs["openapi_extra"] = {**extra, **declaration.openapi()}
        super().__init__(path, endpoint, **kwargs)
        if declaration is not None:
            _check(self, declaration)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        if declared(self.endpoint) is None:
            return super().get_route_handler()
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            return await endpoint(request)  # type: ignore[no-any-return]

        return handler


def _check(route: APIRoute, declaration: HotDeclaration) -> None:
    """A declaration that cannot hold fails at import, not on a request."""
    d = route.dependant
    inputs = (d.path_params, d.query_params, d.header_params, d.cookie_params, d.body_params)
    alone = len(inspect.signature(route.endpoint).parameters) == 1
    if d.request_param_name is None or not alone or any(inputs) or d.dependencies:
        raise TypeError(f"{route.path}: a hot endpoint takes the request alone, no dependencies")
    if set(declaration.path) != set(route.param_convertors):
        raise TypeError(f"{route.path}: declared path parameters {declaration.path}")
    if declaration.lane and route.param_convertors:
        raise TypeError(f"{route.path}: only a fixed path can have a fast lane")


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
    """(method, path) → lane for the routes declared `@hot(lane=True)` (`routers` in
    the order the app includes them, after the app's own routes). A lane that an
    earlier route would take, or a hot endpoint on a router that would not honour its
    declaration, fails here, when the app is made."""
    before: list[BaseRoute] = [r for r in app.router.routes if isinstance(r, Route)]
    lanes: dict[tuple[str, str], FastLane] = {}
    for route in (r for router in routers for r in router.routes):
        declaration = declared(getattr(route, "endpoint", None))
        if declaration is not None and not isinstance(route, HotRoute):
            raise TypeError(f"{route}: a hot endpoint needs a router whose route_class is HotRoute")
        if isinstance(route, HotRoute) and declaration is not None and declaration.lane:
            for method in route.methods or ():
                scope = {"type": "http", "path": route.path, "method": method, "root_path": ""}
                if any(r.matches(scope)[0] is Match.FULL for r in before):
                    raise ValueError(f"{method} {route.path}: an earlier route takes it: no lane")
                lanes[(method, route.path)] = FastLane(route, app.exception_handlers)
        before.append(route)
    return lanes
