"""Identity resolution on real databases (SQLite and PostgreSQL)."""

from sqlmodel import Session, select

from inbox.conversations import current_conversation, record_message
from inbox.identity import IdentityClaim, canonical_customer, resolve_customer
from inbox.models import Author, Customer, Direction, Event, Identity, Message


def email(value: str, verified: bool = True) -> IdentityClaim:
    return IdentityClaim.of("email", value, verified=verified)


def phone(value: str, verified: bool = True) -> IdentityClaim:
    return IdentityClaim.of("phone", value, verified=verified)


def instagram(value: str, verified: bool = True) -> IdentityClaim:
    return IdentityClaim.of("instagram", value, verified=verified)


def events(session: Session, kind: str) -> list[Event]:
    return list(session.exec(select(Event).where(Event.kind == kind)).all())


def say(session: Session, customer_id: str, channel: str, text: str) -> Message:
    conversation = current_conversation(session, customer_id, channel)
    return record_message(
        session,
        conversation,
        direction=Direction.inbound,
        channel=channel,
        author=Author.customer,
        text=text,
    )


def test_first_message_creates_a_customer_and_the_next_finds_it(session: Session) -> None:
    first = resolve_customer(session, [email("Maya@Example.com")], name="Maya", channel="email")
    assert first.created
    again = resolve_customer(session, [email("maya@example.com ")], channel="email")
    assert not again.created
    assert again.customer.id == first.customer.id
    assert session.exec(select(Customer)).all() == [first.customer]


def test_new_identifiers_link_to_the_same_customer_across_channels(session: Session) -> None:
    maya = resolve_customer(session, [email("maya@example.com")], channel="email").customer
    # The helpdesk knows both (e.g. the Shopify customer record): the phone joins Maya.
    both = resolve_customer(
        session, [email("maya@example.com"), phone("+1 415 555 0134")], channel="sms"
    )
    assert both.customer.id == maya.id
    assert [(i.kind, i.value) for i in both.linked] == [("phone", "+14155550134")]
    # Later an SMS alone, with the number written differently, finds her.
    sms = resolve_customer(session, [phone("(415) 555-0134")], channel="sms")
    assert sms.customer.id == maya.id and not sms.created


def test_verified_proof_of_two_records_merges_them_with_an_audit_event(session: Session) -> None:
    by_email = resolve_customer(session, [email("leo@example.com")], channel="email").customer
    by_phone = resolve_customer(session, [phone("+14155550188")], channel="sms").customer
    say(session, by_email.id, "email", "Where is my order?")
    say(session, by_phone.id, "sms", "Hello, any update?")
    assert by_email.id != by_phone.id

    proof = resolve_customer(
        session, [email("leo@example.com"), phone("+14155550188")], channel="whatsapp"
    )

    survivor = proof.customer
    assert survivor.id == by_email.id  # the older record survives
    assert proof.merged_ids == [by_phone.id]
    absorbed = session.get(Customer, by_phone.id)
    assert absorbed is not None and absorbed.merged_into_id == survivor.id
    assert canonical_customer(session, by_phone.id).id == survivor.id  # type: ignore[union-attr]
    texts = {m.text for m in session.exec(select(Message)).all() if m.customer_id == survivor.id}
    assert texts == {"Where is my order?", "Hello, any update?"}  # merging keeps every message
    owners = {i.customer_id for i in session.exec(select(Identity)).all()}
    assert owners == {survivor.id}
    [audit] = events(session, "customers_merged")
    assert audit.customer_id == survivor.id
    assert audit.payload["absorbed_customer_id"] == by_phone.id
    assert audit.payload["moved"]["messages"] == 1


def test_an_unverified_claim_never_merges_or_links(session: Session) -> None:
    owner = resolve_customer(session, [email("ana@example.com")], channel="email").customer
    stranger = resolve_customer(session, [phone("+14155550177")], channel="sms").customer

    # On SMS someone types "my email is ana@example.com": a claim, not proof.
    result = resolve_customer(
        session, [phone("+14155550177"), email("ana@example.com", verified=False)], channel="sms"
    )

    assert result.customer.id == stranger.id
    assert result.merged_ids == []
    assert [c.value for c in result.conflicts] == ["ana@example.com"]
    ana = session.exec(select(Identity).where(Identity.value == "ana@example.com")).one()
    assert ana.customer_id == owner.id and ana.verified
    assert events(session, "customers_merged") == []
    assert len(events(session, "identity_conflict")) == 1
    assert session.get(Customer, stranger.id).merged_into_id is None  # type: ignore[union-attr]


def test_a_prover_takes_an_identifier_that_was_only_claimed(session: Session) -> None:
    claimant = resolve_customer(
        session,
        [
            IdentityClaim.of("chat_visitor", "v-1", verified=True),
            email("sam@example.com", verified=False),
        ],
        channel="chat",
    ).customer
    claimed = session.exec(select(Identity).where(Identity.value == "sam@example.com")).one()
    assert claimed.customer_id == claimant.id and not claimed.verified

    # The real owner writes from that address: they are a different, proven customer.
    owner = resolve_customer(session, [email("sam@example.com")], channel="email")

    assert owner.created and owner.customer.id != claimant.id
    session.refresh(claimed)
    assert claimed.customer_id == owner.customer.id and claimed.verified
    [moved] = events(session, "identity_reassigned")
    assert moved.payload["from_customer_id"] == claimant.id


def test_claim_then_proof_by_the_same_customer_marks_it_verified(session: Session) -> None:
    visitor = IdentityClaim.of("chat_visitor", "v-2", verified=True)
    first = resolve_customer(session, [visitor, email("kim@example.com", verified=False)]).customer
    later = resolve_customer(session, [visitor, email("kim@example.com", verified=True)])
    assert later.customer.id == first.id
    kim = session.exec(select(Identity).where(Identity.value == "kim@example.com")).one()
    assert kim.verified
    assert len(events(session, "identity_verified")) == 1


def test_three_records_proven_one_merge_into_the_oldest(session: Session) -> None:
    a = resolve_customer(session, [email("ola@example.com")]).customer
    b = resolve_customer(session, [phone("+14155550111")]).customer
    c = resolve_customer(session, [instagram("ola.runs")]).customer
    result = resolve_customer(
        session, [instagram("@Ola.Runs"), phone("415-555-0111"), email("OLA@example.com")]
    )
    assert result.customer.id == a.id
    assert sorted(result.merged_ids) == sorted([b.id, c.id])
    assert len(events(session, "customers_merged")) == 2
