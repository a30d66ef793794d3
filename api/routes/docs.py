"""The interactive API docs at `/docs`, with Swagger UI served by the app itself.

FastAPI's own `/docs` loads Swagger UI from a CDN, so the page is blank without internet. Here
the page refers only to this server: `/openapi.json` and the assets under `/docs/assets`, a
copy of the npm package `swagger-ui-dist` 5.35.0 inside the package (`api/static/docs`: the
bundle, its stylesheet and favicon, with the package's LICENSE and NOTICE). To update it, take
the same files from `npm pack swagger-ui-dist@<version>`. ReDoc is not shipped: `/redoc` redirects
here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)

ASSETS_PATH = "/docs/assets"
"""Where `assets` is mounted (see `api.main`)."""

assets = StaticFiles(packages=[("api", "static/docs")])
"""Swagger UI's files, from the installed package."""

_HEADERS = {
    # The page's own script is inline (written by FastAPI); everything else is this server's.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    """Swagger UI over this app's OpenAPI document."""
    root = request.scope.get("root_path", "").rstrip("/")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
        oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
        # No badge from the public validator (validator.swagger.io): nothing leaves the page.
        swagger_ui_parameters={"validatorUrl": None},
    )
    page.headers.update(_HEADERS)
    return page


@router.get("/redoc")
def redoc(request: Request) -> RedirectResponse:
    """ReDoc is not shipped (it too would come from a CDN): its old address opens `/docs`."""
    root = request.scope.get("root_path", "").rstrip("/")
    return RedirectResponse(f"{root}/docs", status_code=308)


@router.get("/docs/oauth2-redirect")
def oauth2_redirect() -> HTMLResponse:
    """The page Swagger UI's OAuth2 flow returns to (kept as FastAPI serves it)."""
    return get_swagger_ui_oauth2_redirect_html()
