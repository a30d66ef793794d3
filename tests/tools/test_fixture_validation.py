"""Fixtures load, or start-up stops with one line naming the file, the record and the field.

The field lists come from the fixture models (`tools.sandbox.records`), so a field added there is
covered here without touching this file: every optional field may be missing and the store still
answers every field of the GraphQL schema; every required field's absence names itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
from graphql import GraphQLEnumType
from typer.testing import CliRunner

from api.cli.sandbox import app
from tests.tools.conftest import DEMO_STORE, TOKEN, post_graphql, scenarios
from tests.tools.realistic_store import (
    GUEST,
    ROOTS,
    dotted,
    full_query,
    locations,
    reachable_fields,
    realistic_payloads,
    remove,
    write_realistic_store,
    write_store,
)
from tools import CustomerIdentity, ShopifyClient, ShopifyTools, load_policy
from tools.sandbox import FixtureError, SandboxServer, load_fixtures
from tools.sandbox import records as models
from tools.sandbox.graphql_api import sandbox_schema
from tools.sandbox.ledger import display_fulfillment_status
from tools.sandbox.record_defaults import SYNTHETIC_ID_BASE

FIELDS = models.all_field_paths()
OPTIONAL = [path for path, required in FIELDS if not required]
REQUIRED = [path for path, required in FIELDS if required]
QUERIES = {root: full_query(root)[0] for root in ROOTS}
FILES = {"customers": "customers.json", "orders": "orders.json", "products": "products.json"}


def _open_returns(server: SandboxServer) -> list[str]:
    """Open one return on the first order that can take one; the ids of the returns opened."""
    status, body = post_graphql(
        server,
        "{ orders(first: 250) { nodes { id cancelledAt fulfillments { "
        "fulfillmentLineItems { nodes { id quantity } } } } } }",
    )
    assert status == 200 and "errors" not in body, body
    for order in body["data"]["orders"]["nodes"]:
        items = [
            item
            for fulfillment in order["fulfillments"]
            for item in fulfillment["fulfillmentLineItems"]["nodes"]
            if item["quantity"]
        ]
        if order["cancelledAt"] or not items:
            continue
        status, created = post_graphql(
            server,
            "mutation($input: ReturnInput!) { returnCreate(returnInput: $input) { "
            "return { id } userErrors { field message } } }",
            {
                "input": {
                    "orderId": order["id"],
                    "returnLineItems": [{"fulfillmentLineItemId": items[0]["id"], "quantity": 1}],
                }
            },
        )
        assert status == 200 and "errors" not in created, created
        assert created["data"]["returnCreate"]["userErrors"] == []
        return [created["data"]["returnCreate"]["return"]["id"]]
    return []


def _query_everything(server: SandboxServer, counts: dict[str, int]) -> list[str]:
    """Every schema field for every order, customer, product and return; asserts no errors."""
    return_ids = _open_returns(server)
    for root in ("orders", "customers", "products"):
        status, body = post_graphql(server, QUERIES[root])
        assert status == 200 and "errors" not in body, body.get("errors")
        assert len(body["data"][root]["nodes"]) == counts[root]
    for return_id in return_ids:
        status, body = post_graphql(server, QUERIES["return"], {"id": return_id})
        assert status == 200 and "errors" not in body, body.get("errors")
        assert body["data"]["return"]["id"] == return_id
    return return_ids


# ---- the lists and the queries cover everything -------------------------------------------------
@pytest.mark.parametrize("root", ROOTS)
def test_the_queries_select_every_field_the_schema_serves(root: str) -> None:
    _, selected = full_query(root)
    assert reachable_fields(root) <= selected


def test_the_realistic_store_has_every_modelled_field() -> None:
    payloads = realistic_payloads()
    absent = [path for path, _ in FIELDS if next(locations(payloads, path), None) is None]
    assert absent == [], "add these fields to tests/tools/realistic_store.py"


def test_required_fields_are_the_ones_the_sandbox_cannot_do_without() -> None:
    assert REQUIRED == [
        "customers[].id",
        "orders[].id",
        "orders[].name",
        "orders[].created_at",
        "orders[].line_items",
        "orders[].line_items[].id",
        "orders[].line_items[].price",
        "orders[].line_items[].quantity",
        "orders[].refunds[].refund_line_items[].line_item_id",
        "orders[].refunds[].refund_line_items[].quantity",
        "orders[].refunds[].transactions[].amount",
        "orders[].refunds[].order_adjustments[].amount",
        "orders[].transactions[].amount",
        "products[].id",
        "products[].variants[].id",
        "products[].variants[].price",
    ]


def test_rest_enum_values_all_map_onto_the_schema_enums() -> None:
    schema = sandbox_schema()

    def values(alias: Any) -> tuple[str, ...]:
        return get_args(get_args(alias)[0])

    def enum(name: str) -> set[str]:
        kind = schema.type_map[name]
        assert isinstance(kind, GraphQLEnumType)
        return set(kind.values)

    fulfillment = values(models.OrderFulfillmentStatus)
    shown = {display_fulfillment_status({"fulfillment_status": value}) for value in fulfillment}
    assert shown <= enum("OrderDisplayFulfillmentStatus")
    assert set(get_args(models.CurrencyCode)) == enum("CurrencyCode")
    for alias, name in (
        (models.FinancialStatus, "OrderDisplayFinancialStatus"),
        (models.CancelReason, "OrderCancelReason"),
        (models.FulfillmentState, "FulfillmentStatus"),
        (models.TransactionKind, "OrderTransactionKind"),
        (models.TransactionStatus, "OrderTransactionStatus"),
        (models.RestockType, "RefundLineItemRestockType"),
        (models.CustomerState, "CustomerState"),
    ):
        assert {v.upper() for v in values(alias)} <= enum(name), name


# ---- optional fields may be missing -------------------------------------------------------------
def test_the_realistic_store_serves_every_field(tmp_path: Path) -> None:
    payloads = realistic_payloads()
    counts = {key: len(records) for key, records in payloads.items()}
    with SandboxServer(write_realistic_store(tmp_path), TOKEN) as server:
        assert _query_everything(server, counts)


@pytest.mark.parametrize("path", OPTIONAL)
def test_an_optional_field_may_be_missing_everywhere(tmp_path: Path, path: str) -> None:
    payloads = realistic_payloads()
    found = list(locations(payloads, path))
    assert found, f"{path} is not in the realistic store"
    for location in reversed(found):
        remove(payloads, location)
    counts = {key: len(records) for key, records in payloads.items()}
    with SandboxServer(write_store(tmp_path / "sandbox", payloads), TOKEN) as server:
        return_ids = _query_everything(server, counts)
    shipping_gone = path in ("orders[].fulfillments", "orders[].fulfillments[].line_items")
    assert return_ids or shipping_gone, "no fulfilled order left to open a return on"


def _kept(exported: Any, loaded: Any) -> bool:
    """Whether every exported key and value is in the loaded record, unchanged."""
    if isinstance(exported, dict):
        return isinstance(loaded, dict) and all(
            key in loaded and _kept(value, loaded[key]) for key, value in exported.items()
        )
    if isinstance(exported, list):
        return (
            isinstance(loaded, list)
            and len(loaded) == len(exported)
            and all(_kept(a, b) for a, b in zip(exported, loaded, strict=True))
        )
    return bool(exported == loaded)


def test_the_demo_store_loads_with_every_exported_value_unchanged() -> None:
    data = load_fixtures(DEMO_STORE / "sandbox")
    for key, file in FILES.items():
        exported = json.loads((DEMO_STORE / "sandbox" / file).read_text(encoding="utf-8"))[key]
        assert _kept(exported, getattr(data, key)), key


# ---- required fields: start-up stops and says which ---------------------------------------------
@pytest.mark.parametrize("path", REQUIRED)
def test_a_missing_required_field_names_file_record_and_field(tmp_path: Path, path: str) -> None:
    payloads = realistic_payloads()
    collection, index, inner = location = next(locations(payloads, path))
    remove(payloads, location)
    record = payloads[collection][index]
    label = record.get("name") if collection == "orders" else None
    label = label or record.get("id")
    named = f" ({label})" if label else ""
    folder = write_store(tmp_path / "sandbox", payloads)
    with pytest.raises(FixtureError) as caught:
        load_fixtures(folder)
    where = f"{folder / FILES[collection]}: {collection}[{index}]{named}"
    assert str(caught.value) == f"{where}: {dotted(inner)}: field required"


Payloads = dict[str, list[dict[str, Any]]]


def _start_up_error(tmp_path: Path, change: Callable[[Payloads], object]) -> FixtureError:
    """The error starting a sandbox on the realistic store after `change`."""
    payloads = realistic_payloads()
    change(payloads)
    folder = write_store(tmp_path / "sandbox", payloads)
    with pytest.raises(FixtureError) as caught:
        SandboxServer(folder, TOKEN)
    return caught.value


def _message(tmp_path: Path, change: Callable[[Payloads], object]) -> str:
    """The start-up error's message, file named relative to the fixture folder."""
    folder = tmp_path / "sandbox"
    return str(_start_up_error(tmp_path, change)).removeprefix(f"{folder}/")


def test_the_exact_messages(tmp_path: Path) -> None:
    payloads = realistic_payloads()
    order, product = payloads["orders"][3]["name"], payloads["products"][0]["id"]

    def no_price(p: Payloads) -> None:
        del p["orders"][3]["line_items"][0]["price"]

    def no_order_id(p: Payloads) -> None:
        del p["orders"][3]["id"]

    def no_customer_id(p: Payloads) -> None:
        del p["customers"][1]["id"]

    def null_variant_price(p: Payloads) -> None:
        p["products"][0]["variants"][0]["price"] = None

    assert _message(tmp_path / "a", no_price) == (
        f"orders.json: orders[3] ({order}): line_items[0].price: field required"
    )
    assert _message(tmp_path / "b", no_order_id) == (
        f"orders.json: orders[3] ({order}): id: field required"
    )
    assert _message(tmp_path / "c", no_customer_id) == (
        "customers.json: customers[1]: id: field required"
    )
    assert _message(tmp_path / "d", null_variant_price) == (
        f"products.json: products[0] ({product}): variants[0].price: field required"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda o: o["line_items"][0].update(price="twelve"),
            "line_items[0].price: not an amount: 'twelve'",
        ),
        (
            lambda o: o["line_items"][0].update(quantity=-1),
            "line_items[0].quantity: input should be greater than or equal to 0 (got -1)",
        ),
        (
            lambda o: o.update(created_at="last tuesday"),
            "created_at: not an ISO 8601 timestamp: 'last tuesday'",
        ),
        (
            lambda o: o.update(cancel_reason="bored"),
            "cancel_reason: input should be 'customer', 'declined', 'fraud', 'inventory', "
            "'other' or 'staff' (got 'bored')",
        ),
        (
            lambda o: o.update(currency="XBT"),
            "currency: input should be 'AUD', 'BRL', 'CAD', 'CHF', 'CNY', 'CZK', 'DKK', 'EUR', "
            "'GBP', 'HKD', 'INR', 'JPY', 'KRW', 'MXN', 'NOK', 'NZD', 'PLN', 'SEK', 'SGD', "
            "'USD' or 'ZAR' (got 'XBT')",
        ),
        (
            lambda o: o.update(tags={"a": 1}),
            "tags: not a comma-separated string or a list of tags: {'a': 1}",
        ),
        (
            lambda o: o.update(id="#12"),
            "id: input should be a valid integer, unable to parse string as an integer (got '#12')",
        ),
        (
            lambda o: o["line_items"].append("a line"),
            "line_items[{n}]: input should be a valid dictionary or instance of LineItem "
            "(got 'a line')",
        ),
    ],
)
def test_a_malformed_value_names_itself(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    order = realistic_payloads()["orders"][2]
    expected = message.replace("{n}", str(len(order["line_items"])))
    assert _message(tmp_path, lambda p: change(p["orders"][2])) == (
        f"orders.json: orders[2] ({order['name']}): {expected}"
    )


def test_a_refund_of_a_line_the_order_does_not_have(tmp_path: Path) -> None:
    name = scenarios()["refunded"][0]
    index = [o["name"] for o in realistic_payloads()["orders"]].index(name)

    def dangling(p: Payloads) -> None:
        p["orders"][index]["refunds"][0]["refund_line_items"][0]["line_item_id"] = 42

    assert _message(tmp_path, dangling) == (
        f"orders.json: orders[{index}] ({name}): "
        "refunds[0].refund_line_items[0].line_item_id: no line item 42 in this order"
    )


def test_a_fulfillment_line_nothing_ties_to_an_order_line(tmp_path: Path) -> None:
    orders = realistic_payloads()["orders"]
    index = next(i for i, o in enumerate(orders) if len(o["line_items"]) > 1 and o["fulfillments"])

    def untied(p: Payloads) -> None:
        item = p["orders"][index]["fulfillments"][0]["line_items"][0]
        for key in ("id", "admin_graphql_api_id", "variant_id", "sku", "name", "title"):
            item.pop(key, None)

    assert _message(tmp_path, untied) == (
        f"orders.json: orders[{index}] ({orders[index]['name']}): "
        "fulfillments[0].line_items[0].id: field required "
        "(no single line item of the order matches)"
    )


def test_a_duplicate_id(tmp_path: Path) -> None:
    products = realistic_payloads()["products"]

    def duplicate(p: Payloads) -> None:
        p["products"].append(dict(p["products"][0]))

    assert _message(tmp_path, duplicate) == (
        f"products.json: products[{len(products)}] ({products[0]['id']}): "
        "id: duplicate of products[0]"
    )


def test_every_problem_is_listed_and_the_message_says_how_many_more(tmp_path: Path) -> None:
    def two(p: Payloads) -> None:
        del p["orders"][0]["name"]
        del p["products"][1]["variants"][0]["price"]

    payloads = realistic_payloads()
    order, product = payloads["orders"][0]["id"], payloads["products"][1]["id"]
    folder = tmp_path / "sandbox"
    error = _start_up_error(tmp_path, two)
    assert error.problems == [
        f"{folder}/orders.json: orders[0] ({order}): name: field required",
        f"{folder}/products.json: products[1] ({product}): variants[0].price: field required",
    ]
    assert str(error) == f"{error.problems[0]} (and 1 more)"


def test_sandbox_serve_prints_the_one_line_and_exits_2(tmp_path: Path) -> None:
    payloads = realistic_payloads()
    del payloads["orders"][1]["line_items"][0]["quantity"]
    folder = write_store(tmp_path / "sandbox", payloads)
    result = CliRunner().invoke(app, ["serve", "--data", str(folder), "--port", "0"])
    assert result.exit_code == 2
    name = payloads["orders"][1]["name"]
    assert result.output.strip() == (
        f"error: {folder}/orders.json: orders[1] ({name}): line_items[0].quantity: field required"
    )
    assert "Traceback" not in result.output


# ---- the tester's store: refund line item and refund transaction without ids --------------------
def _without_refund_ids() -> tuple[dict[str, list[dict[str, Any]]], str]:
    payloads = realistic_payloads()
    name = scenarios()["refunded"][0]
    refund = next(o for o in payloads["orders"] if o["name"] == name)["refunds"][0]
    del refund["refund_line_items"][0]["id"]
    del refund["transactions"][0]["id"]
    return payloads, name


def test_refund_parts_without_ids_load_with_stable_ids_and_query_fine(tmp_path: Path) -> None:
    payloads, name = _without_refund_ids()
    folder = write_store(tmp_path / "sandbox", payloads)

    def minted() -> tuple[int, int]:
        order = next(o for o in load_fixtures(folder).orders if o["name"] == name)
        refund = order["refunds"][0]
        return refund["refund_line_items"][0]["id"], refund["transactions"][0]["id"]

    first = minted()
    assert minted() == first
    real = {
        item["id"]
        for order in payloads["orders"]
        for refund in order.get("refunds", [])
        for item in refund["refund_line_items"] + refund["transactions"]
        if "id" in item
    }
    assert all(value >= SYNTHETIC_ID_BASE and value not in real for value in first)

    counts = {key: len(records) for key, records in payloads.items()}
    with SandboxServer(folder, TOKEN) as server:
        _query_everything(server, counts)
        order = next(o for o in payloads["orders"] if o["name"] == name)
        owner = CustomerIdentity.of(email=order["email"], phone=order["phone"])
        tools = ShopifyTools(
            ShopifyClient(server.url, TOKEN), load_policy(DEMO_STORE / "policy.yaml")
        )
        assert tools.lookup_orders(owner).ok
        result = tools.get_order(owner, name)
        assert result.ok, result.detail
        assert result.data["order"]["refunds"]


def test_minted_ids_survive_a_restart_with_a_state_file(tmp_path: Path) -> None:
    payloads, name = _without_refund_ids()
    folder = write_store(tmp_path / "sandbox", payloads)
    state = tmp_path / "state.json"

    def refund_ids(server: SandboxServer) -> list[int]:
        order = next(o for o in server.store.snapshot()["orders"] if o["name"] == name)
        return [r["id"] for r in order["refunds"][0]["refund_line_items"]]

    with SandboxServer(folder, TOKEN, state_file=state) as server:
        before = refund_ids(server)
        assert _open_returns(server)  # a mutation: the state file is written
    with SandboxServer(folder, TOKEN, state_file=state) as server:
        assert refund_ids(server) == before


def test_a_state_file_from_before_validation_is_completed_too(tmp_path: Path) -> None:
    payloads, _ = _without_refund_ids()
    folder = write_store(tmp_path / "sandbox", payloads)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({**payloads, "max_id": 1}), encoding="utf-8")
    counts = {key: len(records) for key, records in payloads.items()}
    with SandboxServer(folder, TOKEN, state_file=state) as server:
        _query_everything(server, counts)
    state.write_text(json.dumps({**payloads, "orders": [{"id": 1}]}), encoding="utf-8")
    with pytest.raises(FixtureError, match=r"state\.json: orders\[0\] \(1\): name: field required"):
        SandboxServer(folder, TOKEN, state_file=state)


def test_a_guest_customer_on_the_order_is_served_from_the_order(tmp_path: Path) -> None:
    with SandboxServer(write_realistic_store(tmp_path), TOKEN) as server:
        status, body = post_graphql(
            server,
            f'{{ orders(first: 1, query: "name:{GUEST}") {{ nodes {{ customer {{ '
            "displayName createdAt amountSpent { amount currencyCode } } } } }",
        )
    assert status == 200 and "errors" not in body
    assert body["data"]["orders"]["nodes"][0]["customer"]["createdAt"]
