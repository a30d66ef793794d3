"""`/demo` in real headless Chromium with every request off this machine blocked: a visitor opens
the chat widget, asks about returns with the keyboard, gets the agent's answer, and finds the
conversation still there after a reload (issue: chat widget)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from api.main import create_app
from api.routes import widget
from api.routes.widget import visitor_key
from api.settings import DEMO_STORE_DIR, Settings
from api.store_runtime import start_store
from inbox.db import make_engine, session_scope, upgrade
from inbox.keys import create_key
from inbox.models import Role

from .conftest import ARTIFACTS, ServedApp, chromium_or_skip, serving

CHROMIUM = chromium_or_skip()

from playwright.sync_api import (  # noqa: E402
    ConsoleMessage,
    Locator,
    Page,
    Route,
    expect,
    sync_playwright,
)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUESTION = "How many days do I have to return something?"


def with_widget(app: FastAPI) -> FastAPI:
    """`app` with the widget's router (the app registers it itself once the lead adds it)."""
    if not any(str(c.path).startswith("/widget") for c in iter_route_contexts(app.routes)):
        app.include_router(widget.router)
    return app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The demo store's app, where the widget is on by default, with a helpdesk key."""
    tmp: Path = tmp_path_factory.mktemp("widget-page")
    settings = Settings(
        data_dir=tmp, database_url=f"sqlite:///{tmp}/db.sqlite", store_dir=DEMO_STORE_DIR
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        keys = {Role.helpdesk: create_key(session, Role.helpdesk, "widget page")[0]}
    app = with_widget(create_app(settings, engine))
    # Opened before listening, as `threadline serve` does: the models and the knowledge index
    # load outside the server's start-up deadline (the app's shutdown closes the store).
    app.state.store = start_store(settings, engine, DEMO_STORE_DIR)
    with serving(app) as url:
        yield ServedApp(url, keys)
    engine.dispose()


def answers(page: Page) -> Locator:
    """The agent's answers in the widget (its greeting aside); Playwright reaches into the
    widget's open shadow root."""
    return page.locator("li.entry.agent:not(.greeting)")


def test_a_visitor_asks_about_returns_and_keeps_the_conversation(served: ServedApp) -> None:
    blocked: list[str] = []
    problems: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":  # a refused asset or a Content-Security-Policy violation
            problems.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            # Reduced motion: the panel appears without its animation, so the screenshot is
            # of the settled page.
            page = browser.new_page(
                viewport={"width": 1280, "height": 860}, reduced_motion="reduce"
            )
            page.set_default_timeout(30_000)
            page.route("**/*", only_loopback)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", console)
            page.goto(f"{served.url}/demo")

            expect(page.locator("h1")).to_contain_text("Northwind Outfitters")
            launcher = page.get_by_role("button", name=re.compile("Open chat"))
            launcher.click()
            dialog = page.get_by_role("dialog", name="Northwind Outfitters")
            expect(dialog).to_be_visible()
            message = page.get_by_label("Message", exact=True)
            expect(message).to_be_focused()

            message.fill(QUESTION)
            message.press("Enter")
            expect(page.locator("li.entry.you")).to_have_text(QUESTION)
            expect(answers(page)).to_have_count(1)
            expect(answers(page)).to_contain_text("30 days")
            expect(answers(page)).to_contain_text("return")
            expect(page.get_by_role("status").filter(has_text="typing")).to_be_hidden()
            expect(message).to_have_value("")

            page.reload()
            expect(dialog).to_be_visible()  # it stays open, with the conversation in it
            expect(page.locator("li.entry.you")).to_have_text(QUESTION)
            expect(answers(page)).to_contain_text("30 days")

            # A suggested question on the page goes to the same conversation.
            page.get_by_role("button", name="What is your return policy?").click()
            expect(page.locator("li.entry.you")).to_have_count(2)
            expect(answers(page)).to_have_count(2)
            message.press("Escape")  # from inside the panel: it closes, focus back on the launcher
            expect(dialog).to_be_hidden()
            expect(launcher).to_be_focused()
            page.get_by_role("button", name=re.compile("Open chat")).press("Enter")
            expect(dialog).to_be_visible()

            visitor = page.evaluate(
                "key => localStorage.getItem(key)", f"threadline:{served.url}:visitor"
            )
            page.evaluate("window.scrollTo(0, 0)")
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "widget-demo.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 0
        finally:
            browser.close()

    assert blocked == []  # nothing was even attempted off this machine
    assert problems == []

    # Each question was recorded once: the reload sent nothing again.
    found = served.call(
        Role.helpdesk, "GET", "/v1/customers", params={"handle": visitor_key(str(visitor))}
    )
    [customer] = found.json()["customers"]
    timeline = served.call(Role.helpdesk, "GET", f"/v1/customers/{customer['id']}/timeline")
    inbound = [m["text"] for m in timeline.json()["messages"] if m["direction"] == "in"]
    assert sorted(inbound) == sorted([QUESTION, "What is your return policy?"])
