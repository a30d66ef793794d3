"""The reviewer's page in real headless Chromium: sign in, approve, edit and reject held email
replies with the keyboard, lose a race to another reviewer, then check through the API what was
sent and escalated."""

from __future__ import annotations

import itertools
import re
from typing import Any

from inbox.models import Role
from tests.browser.conftest import ARTIFACTS, ServedApp, chromium_or_skip

CHROMIUM = chromium_or_skip()

from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright  # noqa: E402

_ids = itertools.count(1)

# Demo-store customers (stores/demo/sandbox) writing in by email, where replies are held.
EMAILS = [
    {
        "email": "nora.hughes7@outlook.com",
        "subject": "Where is order #1126?",
        "text": "Hi, I ordered #1126 on the 17th and haven't had a shipping email yet. "
        "Can you tell me where it is?\n\nThanks,\nNora",
    },
    {
        "email": "kenji.patel@icloud.com",
        "subject": "Order #1128",
        "text": "Hello, has my order #1128 been delivered? The tracking page hasn't "
        "changed in a couple of days.\n\nKenji",
    },
    {
        "email": "clara.kim43@fastmail.com",
        "subject": "Returning a jacket",
        "text": "Hi there, what is your return policy? I'd like to send back a jacket "
        "that doesn't fit. How many days do I have?\n\nClara",
    },
    {
        "email": "freya.ramirez@outlook.com",
        "subject": "Status of #1092",
        "text": "Could you check on order #1092 for me?\n\n"
        "Freya Ramirez <freya.ramirez@outlook.com>",
    },
]

ADDED = "If anything else looks off, just reply to this email."


def hold(served: ServedApp, message: dict[str, str]) -> str:
    """Sends a customer's email; the reply is held, and its review's id is returned."""
    body = {
        "channel": "email",
        "external_id": f"page-email-{next(_ids)}",
        "customer": {"email": message["email"]},
        "subject": message["subject"],
        "text": message["text"],
    }
    response = served.call(Role.helpdesk, "POST", "/v1/messages", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["outcome"] == "held_for_review", answer
    return str(answer["review_id"])


def review(served: ServedApp, review_id: str) -> dict[str, Any]:
    response = served.call(Role.reviewer, "GET", f"/v1/reviews/{review_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def unexpected(message: ConsoleMessage) -> list[str]:
    """A console error, unless it is the browser logging a refusal the page handles (a wrong
    key's 401, a lost race's 409)."""
    if message.type != "error":
        return []
    if re.search(r"Failed to load resource: .* status of (401|409)", message.text):
        return []
    return [f"console: {message.text}"]


def showing(page: Page, review_id: str) -> None:
    expect(page.locator("#item")).to_have_attribute("data-review-id", review_id)


def test_a_reviewer_decides_held_replies_with_the_keyboard(served_demo: ServedApp) -> None:
    approved_id, edited_id, rejected_id, contested_id = (hold(served_demo, m) for m in EMAILS)
    edited_reply = review(served_demo, edited_id)["reply"]["text"]
    first_word, rest = edited_reply.split(" ", 1)
    edited_text = f"{rest}\n\n{ADDED}"

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(15_000)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda msg: problems.extend(unexpected(msg)))
            page.goto(f"{served_demo.url}/review")

            # A wrong key is refused with a clear message, back at sign-in.
            page.fill("#key", "not-a-real-key")
            page.press("#key", "Enter")
            expect(page.locator("#sign-in-error")).to_contain_text("unknown or revoked")
            expect(page.locator("#sign-in")).to_be_visible()

            page.fill("#key", served_demo.keys[Role.reviewer])
            page.press("#key", "Enter")
            expect(page.locator("#queue li")).to_have_count(4)
            email_gate = page.locator('#gate-list > li[data-channel="email"]')
            expect(email_gate).to_contain_text("email: 0 / 100 reviewed")
            expect(email_gate).to_contain_text("review")
            expect(page.locator("#shortcuts")).to_contain_text("approve")

            showing(page, approved_id)  # the oldest pending item opens first
            expect(page.locator("#customer-text")).to_contain_text("#1126")
            page.keyboard.press("a")

            showing(page, edited_id)  # the next pending item opens by itself
            page.keyboard.press("e")
            expect(page.locator("#edit-text")).to_be_focused()
            expect(page.locator("#edit-text")).to_have_value(edited_reply)
            page.keyboard.press("r")  # typing in the field: not a shortcut
            expect(page.locator("#reject-form")).to_be_hidden()
            page.fill("#edit-text", edited_text)
            page.keyboard.press("Control+Enter")

            showing(page, rejected_id)
            page.keyboard.press("r")
            expect(page.locator("#reject-category")).to_be_focused()
            page.select_option("#reject-category", "wrong_facts")
            page.fill("#reject-note", "The return window is wrong for this jacket.")
            page.click("#reject-form button[type=submit]")

            # The customer's text is shown as text: their signature's <address> is no markup.
            showing(page, contested_id)
            expect(page.locator("#customer-text")).to_contain_text("<freya.ramirez@outlook.com>")
            # Another reviewer decides it first; this one's decision is refused and said so.
            taken = served_demo.call(
                Role.reviewer, "POST", f"/v1/reviews/{contested_id}/approve", json={}
            )
            assert taken.status_code == 200, taken.text
            page.keyboard.press("a")
            expect(page.locator("#notice")).to_contain_text("Someone else decided this item")

            expect(page.locator("#detail-empty")).to_contain_text("queue is empty")
            expect(page.locator("#queue li")).to_have_count(0)
            expect(email_gate).to_contain_text("email: 4 / 100 reviewed")

            # The edited item, decided: its decision and a word diff of the AI reply.
            page.select_option('#filters select[name="status"]', "edited")
            showing(page, edited_id)
            expect(page.locator("#decision")).to_contain_text("edited")
            expect(page.locator("#diff del").first).to_contain_text(first_word)
            expect(page.locator("#diff ins").last).to_contain_text(ADDED)
            expect(page.locator("#actions")).to_be_hidden()

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "review-page.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 0
        finally:
            browser.close()
    assert problems == []

    statuses = {rid: review(served_demo, rid) for rid in (approved_id, edited_id, rejected_id)}
    assert [statuses[rid]["status"] for rid in (approved_id, edited_id, rejected_id)] == [
        "approved",
        "edited",
        "rejected",
    ]
    rejected = statuses[rejected_id]["decision"]
    assert rejected["category"] == "wrong_facts"
    assert str(rejected["escalation_id"]).startswith("esc_")
    assert statuses[edited_id]["decision"]["final_text"] == edited_text

    outbox = served_demo.call(Role.helpdesk, "GET", "/v1/outbox", params={"purpose": "reply"})
    assert outbox.status_code == 200, outbox.text
    sent = {row["review_id"]: row["body"] for row in outbox.json()["items"]}
    assert sent[edited_id] == edited_text
    assert sent[approved_id] == statuses[approved_id]["reply"]["text"]
    assert rejected_id not in sent
