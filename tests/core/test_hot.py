"""Hot routes are declared (`core.hot`): only the routes declared `@hot` skip FastAPI's
parameter solving, and each is documented exactly as FastAPI documents an ordinary
endpoint taking the same inputs, with the same route arguments."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute, iter_route_contexts

from app.core.hot import HotDeclaration, HotRoute, declared, fast_lanes, hot
from app.core.ids import PathId
from app.core.openapi import install_openapi, operation_id
from app.main import create_app
from tests.conftest import settings_for

HOT = [
    ("POST", "/v1/bookings"),
    ("GET", "/v1/bookings/{booking_id}"),
    ("GET", "/v1/spaces/{space_id}/availability"),
]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(settings_for("sqlite:///never-opened.db"))  # the document needs no database


def declared_routes(app: FastAPI) -> dict[tuple[str, str], tuple[APIRoute, HotDeclaration]]:
    found: dict[tuple[str, str], tuple[APIRoute, HotDeclaration]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        declaration = declared(getattr(route, "endpoint", None))
        if declaration is not None:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                found[(method, context.path_format)] = (route, declaration)
    return found


def ordinary_twin(path: str, route: APIRoute, declaration: HotDeclaration) -> FastAPI:
    """An app with one ordinary endpoint at `path` taking what `route` declares (each path
    id a `PathId`, the query model as `Query()`, the body model as the body), with the
    route's own arguments (`op(...)`, response model) and the app's document pipeline
    (`install_openapi`, operation ids)."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    inputs = [inspect.Parameter(name, keyword, annotation=PathId) for name in declaration.path]
    if declaration.query is not None:
        query = Annotated[declaration.query, Query()]
        inputs.append(inspect.Parameter("query", keyword, annotation=query))
    if declaration.body is not None:
        inputs.append(inspect.Parameter("body", keyword, annotation=declaration.body))

    async def endpoint(**given: Any) -> None: ...

    endpoint.__signature__ = inspect.Signature(inputs)  # type: ignore[attr-defined]
    # What `@hot` added to the route's `openapi_extra` is what the twin's signature documents.
    added = ("requestBody", "parameters")
    extra = {k: v for k, v in (route.openapi_extra or {}).items() if k not in added}
    # Headers `op(...)` declares (`If-Match`, `Idempotency-Key`) are the route's own.
    headers = [p for p in (route.openapi_extra or {}).get("parameters", []) if p["in"] == "header"]
    if headers:
        extra["parameters"] = headers
    twin = FastAPI(generate_unique_id_function=operation_id)
    install_openapi(twin)
    twin.add_api_route(
        path, endpoint, methods=sorted(route.methods), name=route.name,
        response_model=route.response_model, status_code=route.status_code, tags=route.tags,
        summary=route.summary, description=route.description,
        response_description=route.response_description, responses=route.responses,
        deprecated=route.deprecated, openapi_extra=extra,
        response_model_by_alias=route.response_model_by_alias,
    )
    return twin


def test_the_hot_routes_are_the_declared_ones(app: FastAPI) -> None:
    assert sorted(declared_routes(app)) == sorted(HOT)
    assert all(isinstance(route, HotRoute) for route, _ in declared_routes(app).values())


@pytest.mark.parametrize(("method", "path"), HOT)
def test_a_hot_route_is_documented_as_fastapi_documents_its_ordinary_twin(
    app: FastAPI, method: str, path: str
) -> None:
    route, declaration = declared_routes(app)[(method, path)]
    document = app.openapi()
    twins = ordinary_twin(path, route, declaration).openapi()
    assert document["paths"][path][method.lower()] == twins["paths"][path][method.lower()]
    # The schemas it refers to are the app's too (a hot body model must be a body elsewhere).
    for name, schema in twins["components"]["schemas"].items():
        assert document["components"]["schemas"].get(name) == schema, name


# --- what a declaration does -------------------------------------------------------


@hot()
async def _declared(request: Request) -> Response:
    return Response(b"declared")


async def _undeclared(request: Request) -> Response:
    return Response(b"undeclared")


async def test_only_declared_routes_skip_fastapis_parameter_solving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solved: list[str] = []
    solve = fastapi_routing.solve_dependencies

    async def counted(*args: Any, **kwargs: Any) -> Any:
        solved.append(kwargs["request"].url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", counted)
    routes = APIRouter(route_class=HotRoute)
    routes.add_api_route("/declared", _declared, methods=["GET"])
    routes.add_api_route("/undeclared", _undeclared, methods=["GET"])  # the request alone too
    app = FastAPI()
    app.include_router(routes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/declared")).text == "declared"
        assert (await client.get("/undeclared")).text == "undeclared"
    assert solved == ["/undeclared"]


def test_a_hot_endpoint_takes_the_request_alone() -> None:
    @hot()
    async def asks_more(request: Request, q: int) -> Response:
        return Response()

    with pytest.raises(TypeError, match="request alone"):
        APIRouter(route_class=HotRoute).add_api_route("/more", asks_more, methods=["GET"])


def test_a_hot_endpoint_declares_its_path_parameters() -> None:
    @hot(path=["other_id"])
    async def thing(request: Request) -> Response:
        return Response()

    with pytest.raises(TypeError, match="path parameters"):
        APIRouter(route_class=HotRoute).add_api_route("/things/{thing_id}", thing, methods=["GET"])


def test_a_hot_endpoint_on_an_ordinary_router_fails_when_the_app_is_made() -> None:
    routes = APIRouter()
    routes.add_api_route("/declared", _declared, methods=["GET"])
    with pytest.raises(TypeError, match="HotRoute"):
        fast_lanes(FastAPI(), [routes])
