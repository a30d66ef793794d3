"""`/docs` in real headless Chromium with every request off this machine blocked: Swagger UI
comes from the app itself and renders the API's operations (issue 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api.main import create_app
from api.settings import Settings
from tests.browser.conftest import ARTIFACTS, chromium_or_skip, serving

CHROMIUM = chromium_or_skip()

from playwright.sync_api import ConsoleMessage, Route, expect, sync_playwright  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def served_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with no store: the docs need only its OpenAPI document."""
    tmp: Path = tmp_path_factory.mktemp("docs-page")
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp}/db.sqlite")
    with serving(create_app(settings)) as url:
        yield url


def test_the_docs_render_the_operations_with_the_network_cut_off(served_app: str) -> None:
    blocked: list[str] = []
    loaded: list[str] = []
    problems: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK:
            loaded.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":  # a refused asset or a Content-Security-Policy violation
            problems.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.route("**/*", only_loopback)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", console)
            page.goto(f"{served_app}/docs")

            expect(page.locator(".information-container .title")).to_contain_text("Threadline")
            messages = page.locator(".opblock-post", has_text="/v1/messages")
            expect(messages.first).to_be_visible()
            expect(page.locator(".opblock-get", has_text="/readyz").first).to_be_visible()
            assert page.locator(".opblock").count() >= 20  # every route, not a blank frame

            messages.first.locator(".opblock-summary").click()  # open one: its schema renders
            expect(messages.first.locator(".opblock-body")).to_contain_text("external_id")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
        finally:
            browser.close()

    assert blocked == []  # nothing was even attempted off this machine
    assert problems == []
    assert f"{served_app}/docs/assets/swagger-ui-bundle.js" in loaded
    assert f"{served_app}/openapi.json" in loaded
