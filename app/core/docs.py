"""`/docs`: Swagger UI served from the installed package (`swagger-ui-bundle-v2`), not a
CDN, so the interactive docs work on a network without internet."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # no py.typed

UI_DIR: Path = swagger_ui_path
DOCS_URL = "/docs"
# The bundle's version is in the path ("swagger-ui-5.31.0"), so its files can be cached
# for good: an upgrade changes their URLs.
ASSETS_URL = f"{DOCS_URL}/{UI_DIR.name}"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
ASSET_CACHING = {"Cache-Control": "public, max-age=31536000, immutable"}


def install_docs(app: FastAPI) -> None:
    """Call with `FastAPI(docs_url=None, redoc_url=None)` (ReDoc has no bundled copy)."""
    openapi_url = app.openapi_url or "/openapi.json"
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        # No badge fetched from the public validator.
        swagger_ui_parameters={"validatorUrl": None},
    ).body


    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    async def swagger_ui_asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(404)
        return FileResponse(UI_DIR / name, headers=ASSET_CACHING)
