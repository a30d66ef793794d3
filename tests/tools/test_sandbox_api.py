"""The sandbox speaks Shopify's Admin GraphQL over HTTP: auth, validation, shapes, admin hooks."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.tools.conftest import TOKEN, pick, post_graphql, sandbox_order
from tools.sandbox import SandboxServer

ORDER_FIELDS = """
  id name cancelledAt displayFinancialStatus displayFulfillmentStatus
  totalPriceSet { shopMoney { amount currencyCode } }
  totalRefundedSet { shopMoney { amount currencyCode } }
  shippingAddress { address1 city provinceCode zip countryCodeV2 }
  refunds(first: 5) { id totalRefundedSet { shopMoney { amount } } }
  returns(first: 5) { nodes { id name status } }
  fulfillments { displayStatus deliveredAt trackingInfo { company number url } }
"""


def test_wrong_or_missing_token_is_401(sandbox: SandboxServer) -> None:
    status, body = post_graphql(sandbox, "{ shop { name } }", token="nope")
    assert status == 401
    assert "Invalid API key or access token" in body["errors"]


def test_unknown_path_is_404(sandbox: SandboxServer) -> None:
    request = urllib.request.Request(
        f"{sandbox.url}/admin/api/2025-07/orders.json", headers={"X-Shopify-Access-Token": TOKEN}
    )
    try:
        urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:
        with error:
            assert error.code == 404
    else:
        raise AssertionError("expected 404")


def test_queries_are_validated_against_the_schema(sandbox: SandboxServer) -> None:
    status, body = post_graphql(sandbox, "{ orders(first: 1) { nodes { id notAField } } }")
    assert status == 200
    assert "Cannot query field 'notAField' on type 'Order'" in body["errors"][0]["message"]
    status, body = post_graphql(sandbox, "{ orders(first: 1) { nodes { id }")
    assert "Syntax Error" in body["errors"][0]["message"]
    status, body = post_graphql(sandbox, "query($id: ID!) { order(id: $id) { id } }", {"id": None})
    assert "non-null type 'ID!'" in body["errors"][0]["message"]
    status, body = post_graphql(
        sandbox, "{ orders(first: 1, sortKey: SHOE_SIZE) { nodes { id } } }"
    )
    assert "OrderSortKeys" in body["errors"][0]["message"]


def test_orders_by_name_with_nodes_and_edges(sandbox: SandboxServer) -> None:
    status, body = post_graphql(
        sandbox,
        '{ orders(first: 5, query: "name:#1001") { nodes { id name } '
        "edges { cursor node { name } } pageInfo { hasNextPage } } }",
    )
    assert status == 200
    orders = body["data"]["orders"]
    assert [n["name"] for n in orders["nodes"]] == ["#1001"]
    assert orders["edges"][0]["node"]["name"] == "#1001"
    assert orders["nodes"][0]["id"].startswith("gid://shopify/Order/")
    cost = body["extensions"]["cost"]
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0


def test_orders_by_email_and_order_fields(sandbox: SandboxServer) -> None:
    name = pick("partially_refunded")
    email = sandbox_order(sandbox, name)["email"] or ""
    _, body = post_graphql(
        sandbox, f'{{ orders(first: 50, query: "email:{email}") {{ nodes {{ {ORDER_FIELDS} }} }} }}'
    )
    nodes = body["data"]["orders"]["nodes"]
    assert name in [n["name"] for n in nodes]
    order = next(n for n in nodes if n["name"] == name)
    assert order["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    assert order["displayFulfillmentStatus"] == "FULFILLED"
    assert float(order["totalRefundedSet"]["shopMoney"]["amount"]) > 0
    assert order["totalRefundedSet"]["shopMoney"]["currencyCode"] == "USD"
    assert len(order["refunds"]) == 1
    assert order["fulfillments"][0]["displayStatus"] == "DELIVERED"
    tracking = order["fulfillments"][0]["trackingInfo"][0]
    assert tracking["company"] in {"UPS", "USPS", "FedEx", "DHL Express", "Canada Post"}
    assert tracking["number"] in tracking["url"]


def test_pagination_with_first_and_after(sandbox: SandboxServer) -> None:
    query = (
        "query($after: String) { orders(first: 40, after: $after) { nodes { id } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    seen: list[str] = []
    after = None
    while True:
        _, body = post_graphql(sandbox, query, {"after": after})
        page = body["data"]["orders"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 160


def test_customers_by_phone_and_email(sandbox: SandboxServer) -> None:
    snapshot = sandbox.store.snapshot()
    phone_only = next(c for c in snapshot["customers"] if c["phone"] and not c["email"])
    _, body = post_graphql(
        sandbox,
        f'{{ customers(first: 5, query: "phone:{phone_only["phone"]}")'
        " { nodes { id email phone defaultPhoneNumber { phoneNumber } "
        "amountSpent { amount currencyCode } } } }",
    )
    nodes = body["data"]["customers"]["nodes"]
    assert [n["id"] for n in nodes] == [f"gid://shopify/Customer/{phone_only['id']}"]
    assert nodes[0]["email"] is None
    assert nodes[0]["defaultPhoneNumber"]["phoneNumber"] == phone_only["phone"]


def test_mutation_user_errors_have_shopify_shape(sandbox: SandboxServer) -> None:
    name = pick("delivered_recent")
    order_id = f"gid://shopify/Order/{sandbox_order(sandbox, name)['id']}"
    _, body = post_graphql(
        sandbox,
        "mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, "
        "restock: true) { job { id } orderCancelUserErrors { field message code } "
        "userErrors { field message } } }",
        {"id": order_id},
    )
    payload = body["data"]["orderCancel"]
    assert payload["job"] is None
    assert payload["orderCancelUserErrors"][0]["code"] == "INVALID"
    assert payload["userErrors"][0]["field"] == ["orderId"]
    assert sandbox_order(sandbox, name)["cancelled_at"] is None


def test_refund_create_rejects_more_than_purchased(sandbox: SandboxServer) -> None:
    name = pick("delivered_recent")
    order = sandbox_order(sandbox, name)
    line = order["line_items"][0]
    _, body = post_graphql(
        sandbox,
        "mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id } "
        "userErrors { field message } } }",
        {
            "input": {
                "orderId": f"gid://shopify/Order/{order['id']}",
                "refundLineItems": [
                    {
                        "lineItemId": f"gid://shopify/LineItem/{line['id']}",
                        "quantity": line["quantity"] + 1,
                    }
                ],
            }
        },
    )
    errors = body["data"]["refundCreate"]["userErrors"]
    assert errors[0]["field"] == ["refundLineItems", "0", "quantity"]
    assert sandbox_order(sandbox, name)["refunds"] == []


def test_admin_endpoints_queue_faults_and_reset(sandbox: SandboxServer) -> None:
    def admin(method: str, path: str, payload: object = None) -> tuple[int, object]:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{sandbox.url}{path}", data, method=method, headers={"X-Shopify-Access-Token": TOKEN}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    assert admin("POST", "/_sandbox/faults", {"status": 503, "times": 1})[0] == 200
    assert post_graphql(sandbox, "{ shop { name } }")[0] == 503
    assert post_graphql(sandbox, "{ shop { name } }")[0] == 200
    assert admin("POST", "/_sandbox/faults", {"bogus": 1})[0] == 400
    status, state = admin("GET", "/_sandbox/state")
    assert status == 200 and len(state["orders"]) == 160  # type: ignore[index]
    assert admin("POST", "/_sandbox/reset", {})[0] == 200


def test_state_file_keeps_changes_across_restarts(tmp_path, sandbox: SandboxServer) -> None:
    from tests.tools.conftest import DEMO_SANDBOX

    state = tmp_path / "state.json"
    name = pick("unfulfilled")
    with SandboxServer(DEMO_SANDBOX, TOKEN, state_file=state) as first:
        order_id = next(o["id"] for o in first.store.snapshot()["orders"] if o["name"] == name)
        _, body = post_graphql(
            first,
            "mutation($id: ID!) { orderCancel(orderId: $id, "
            "reason: CUSTOMER, refund: false, restock: true) "
            "{ job { done } } }",
            {"id": f"gid://shopify/Order/{order_id}"},
        )
        assert body["data"]["orderCancel"]["job"]["done"] is True
    with SandboxServer(DEMO_SANDBOX, TOKEN, state_file=state) as second:
        assert sandbox_order(second, name)["cancelled_at"] is not None


def test_a_fault_with_a_rate_strikes_that_share_of_requests_the_same_way_each_run() -> None:
    from tools.sandbox.faults import Fault, FaultQueue

    def run() -> list[int | None]:
        queue = FaultQueue(seed=7)
        queue.add(Fault(status=503, rate=0.1, times=10_000))
        queue.add(Fault(throttled=True, rate=0.1, times=10_000))
        struck = (queue.take("query") for _ in range(2000))
        return [None if f is None else (f.status or 429) for f in struck]

    first = run()
    assert first == run()
    assert 0.17 < sum(f is not None for f in first) / len(first) < 0.23
    assert 0.07 < first.count(503) / len(first) < 0.13
    with pytest.raises(ValueError, match="rate"):
        Fault.from_json({"status": 500, "rate": 1.5})
