"""The reviewer's page at `/review` (issue 11): one HTML page, its scripts and its style.

The page holds no data: its script signs in with a reviewer key (kept in the tab's
sessionStorage) and works through the JSON API (`/v1/reviews`, `/v1/gate`). Everything is
served from the package and read once at import; the page loads nothing from elsewhere, and its
Content-Security-Policy says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from importlib import resources
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from agent.reviews import CATEGORIES
from api.errors import ApiError
from api.routes.reviews import Risk
from inbox.models import Channel, ReviewKind, ReviewStatus

router = APIRouter(include_in_schema=False)

_MEDIA_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

_FOLDER = resources.files("api") / "static" / "review"

_ASSETS = {
    asset.name: (asset.read_bytes(), _MEDIA_TYPES[asset.name.rpartition(".")[2]])
    for asset in _FOLDER.iterdir()
    if asset.name.rpartition(".")[2] in _MEDIA_TYPES
}
"""The page's scripts (ES modules) and style, by file name."""


def _options(values: Iterable[str]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)


_PAGE = Template((_FOLDER / "index.html").read_text(encoding="utf-8")).substitute(
    status_options=_options(s.value for s in ReviewStatus),
    channel_options=_options(c.value for c in Channel),
    kind_options=_options(k.value for k in ReviewKind),
    risk_options=_options(r.value for r in Risk),
    category_options=_options(CATEGORIES),
)


@router.get("/review", response_class=HTMLResponse)
def review_page() -> HTMLResponse:
    """The reviewer's page (public: it holds no data until a reviewer key is given)."""
    return HTMLResponse(_PAGE, headers=_HEADERS)


@router.get("/review/assets/{name}")
def review_asset(name: str) -> Response:
    """The page's scripts and style (only those: nothing else under the package is served)."""
    if name not in _ASSETS:
        raise ApiError(404, "not_found", "no such asset")
    body, media_type = _ASSETS[name]
    return Response(body, media_type=media_type, headers=_HEADERS)
