"""`/docs` needs nothing but this server: the page refers only to same-origin URLs, and Swagger
UI's files are served by the app from the package (issue 12)."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Api

ASSETS = {
    "/docs/assets/swagger-ui-bundle.js": "text/javascript",
    "/docs/assets/swagger-ui.css": "text/css",
    "/docs/assets/favicon-32x32.png": "image/png",
    "/docs/assets/LICENSE": None,
    "/docs/assets/NOTICE": None,
}


def page_urls(html: str) -> set[str]:
    """Every URL the docs page makes the browser load: attributes and the spec's address."""
    urls = set(re.findall(r'(?:src|href)="([^"]*)"', html))
    urls |= set(re.findall(r"\burl: '([^']*)'", html))
    urls |= set(re.findall(r"oauth2RedirectUrl: window\.location\.origin \+ '([^']*)'", html))
    return urls


def test_the_docs_page_refers_only_to_this_server(api: Api) -> None:
    response = api.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    urls = page_urls(html)
    assert urls == {
        "/docs/assets/swagger-ui.css",
        "/docs/assets/favicon-32x32.png",
        "/docs/assets/swagger-ui-bundle.js",
        "/openapi.json",
        "/docs/oauth2-redirect",
    }
    assert not re.search(r"https?:|//[a-z]", html)  # no absolute or protocol-relative address
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy


@pytest.mark.parametrize(("path", "media_type"), ASSETS.items())
def test_each_asset_is_served_with_its_type(api: Api, path: str, media_type: str | None) -> None:
    response = api.client.get(path)
    assert response.status_code == 200
    assert response.content
    if media_type is not None:
        assert response.headers["content-type"].split(";")[0] == media_type


def test_the_bundle_is_swagger_ui_and_its_licence_is_apache(api: Api) -> None:
    assert b"SwaggerUIBundle" in api.client.get("/docs/assets/swagger-ui-bundle.js").content
    assert "Apache License" in api.client.get("/docs/assets/LICENSE").text


def test_redoc_leads_to_the_docs(api: Api) -> None:
    response = api.client.get("/redoc", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/docs"


def test_the_oauth2_redirect_page_loads_nothing_from_elsewhere(api: Api) -> None:
    response = api.client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", response.text)
