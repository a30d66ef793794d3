from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from inbox.conversations import current_conversation, record_message
from inbox.db import session_scope
from inbox.identity import IdentityClaim, resolve_customer
from inbox.models import Author, Direction
from tests.api.conftest import Api

T0 = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


def _say(
    session: Session,
    claims: list[IdentityClaim],
    channel: str,
    text: str,
    when: datetime,
    author: Author = Author.customer,
) -> tuple[str, str]:
    customer = resolve_customer(session, claims, channel=channel).customer
    conversation = current_conversation(session, customer.id, channel)
    direction = Direction.inbound if author is Author.customer else Direction.outbound
    record_message(
        session,
        conversation,
        direction=direction,
        channel=channel,
        author=author,
        text=text,
        sent_at=when,
        external_id=f"{channel}-{when.timestamp()}-{author}",
    )
    return customer.id, conversation.id


def test_one_timeline_across_three_channels(api: Api) -> None:
    ig = IdentityClaim.of("instagram", "@maya.hikes", verified=True)
    mail = IdentityClaim.of("email", "maya@example.com", verified=True)
    sms = IdentityClaim.of("phone", "+1 (415) 555-0134", verified=True)
    with session_scope(api.engine) as session:  # type: ignore[arg-type]
        customer_id, conversation_id = _say(session, [ig], "instagram", "my hoodie came torn", T0)
        _say(
            session,
            [ig],
            "instagram",
            "Sorry! Could you share a photo?",
            T0 + timedelta(minutes=1),
            Author.ai,
        )
        # the helpdesk knows her Instagram and email belong together (e.g. from the order)
        _say(session, [mail, ig], "email", "Here is the photo", T0 + timedelta(hours=5))
        _say(session, [sms, mail], "sms", "any update?", T0 + timedelta(days=1))

    headers = api.headers("helpdesk")
    customer = api.client.get(f"/v1/customers/{customer_id}", headers=headers).json()
    assert {(i["kind"], i["value"]) for i in customer["identities"]} == {
        ("instagram", "maya.hikes"),
        ("email", "maya@example.com"),
        ("phone", "+14155550134"),
    }

    first = api.client.get(f"/v1/customers/{customer_id}/timeline?limit=3", headers=headers).json()
    assert [(m["channel"], m["author"], m["text"]) for m in first["messages"]] == [
        ("instagram", "customer", "my hoodie came torn"),
        ("instagram", "ai", "Sorry! Could you share a photo?"),
        ("email", "customer", "Here is the photo"),
    ]
    assert {m["conversation_id"] for m in first["messages"]} == {conversation_id}
    rest = api.client.get(
        f"/v1/customers/{customer_id}/timeline",
        params={"limit": 3, "cursor": first["next_cursor"]},
        headers=headers,
    ).json()
    assert [m["text"] for m in rest["messages"]] == ["any update?"]
    assert rest["next_cursor"] is None

    conversation = api.client.get(f"/v1/conversations/{conversation_id}", headers=headers).json()
    assert conversation["channels"] == ["instagram", "email", "sms"]
    assert conversation["status"] == "open"
    assert len(conversation["messages"]) == 4


def test_a_merged_customer_id_answers_with_the_survivor(api: Api) -> None:
    mail = IdentityClaim.of("email", "leo@example.com", verified=True)
    sms = IdentityClaim.of("phone", "+14155550188", verified=True)
    with session_scope(api.engine) as session:  # type: ignore[arg-type]
        older, _ = _say(session, [mail], "email", "hello from email", T0)
        newer, _ = _say(session, [sms], "sms", "hello from sms", T0 + timedelta(minutes=5))
        resolve_customer(session, [mail, sms], channel="whatsapp")
    headers = api.headers("reviewer")
    via_old = api.client.get(f"/v1/customers/{newer}", headers=headers).json()
    assert via_old["id"] == older and via_old["merged_ids"] == [newer]
    texts = [
        m["text"]
        for m in api.client.get(f"/v1/customers/{newer}/timeline", headers=headers).json()[
            "messages"
        ]
    ]
    assert texts == ["hello from email", "hello from sms"]


def test_bad_pagination_is_a_clear_4xx(api: Api) -> None:
    with session_scope(api.engine) as session:  # type: ignore[arg-type]
        customer_id, _ = _say(
            session, [IdentityClaim.of("email", "p@x.io", verified=True)], "email", "x", T0
        )
    headers = api.headers("helpdesk")
    bad_cursor = api.client.get(f"/v1/customers/{customer_id}/timeline?cursor=zzz", headers=headers)
    assert bad_cursor.status_code == 400 and bad_cursor.json()["error"]["code"] == "invalid_cursor"
    bad_limit = api.client.get(f"/v1/customers/{customer_id}/timeline?limit=0", headers=headers)
    assert bad_limit.status_code == 422
    assert api.client.get("/v1/customers/nope/timeline", headers=headers).status_code == 404
    assert api.client.get("/v1/conversations/nope", headers=headers).status_code == 404
