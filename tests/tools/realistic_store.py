"""A small store cut from the demo store, the paths of its fields, and queries for every field.

`write_realistic_store` writes ten demo orders (one per scenario, plus a shipping refund and a
guest order whose customer lives only on the order) with their customers and products, and adds
what the demo export lacks (payment transactions, refund parent ids) so that every field the
fixture models know about appears at least once. `full_query` selects every field the sandbox's
GraphQL schema serves, built by walking graphql-core's schema object.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLObjectType, get_named_type, is_leaf_type

from tests.tools.conftest import DEMO_SANDBOX, demo_orders, scenarios
from tools.sandbox.graphql_api import sandbox_schema

SCENARIOS = (
    "unfulfilled",
    "unfulfilled_payment_pending",
    "partially_fulfilled",
    "in_transit",
    "delivered_recent",
    "cancelled",
    "partially_refunded",
    "refunded",
    "final_sale_delivered",
)
SHIPPING_REFUNDED = "#1046"
"""A demo order whose refund gave back shipping (`order_adjustments`)."""
GUEST = "#9001"
PAID_BY_TRANSACTION = 777000000001
"""The sale transaction added to the partially refunded order."""


@cache
def _demo_json(name: str) -> str:
    return (DEMO_SANDBOX / f"{name}.json").read_text(encoding="utf-8")


def _demo(name: str) -> list[dict[str, Any]]:
    """The demo export's `customers` or `products` (a fresh copy)."""
    return json.loads(_demo_json(name))[name]


def realistic_payloads() -> dict[str, list[dict[str, Any]]]:
    """customers, orders and products of the realistic store (fresh copies)."""
    names = list(dict.fromkeys([scenarios()[s][0] for s in SCENARIOS] + [SHIPPING_REFUNDED]))
    orders = [copy.deepcopy(demo_orders()[name]) for name in names]
    owner_ids = {o["customer"]["id"] for o in orders}
    customers = [c for c in _demo("customers") if c["id"] in owner_ids]
    stranger = next(c for c in _demo("customers") if c["id"] not in owner_ids)

    guest = copy.deepcopy(orders[0])
    guest.update(id=guest["id"] + 500_000, name=GUEST, order_number=9001, number=8001)
    guest["customer"] = stranger  # a full REST customer copy, absent from customers.json
    for line in guest["line_items"]:
        line["id"] += 500_000
    orders.append(guest)

    refunded = next(o for o in orders if o["name"] == scenarios()["partially_refunded"][0])
    refunded["transactions"] = [
        {
            "id": PAID_BY_TRANSACTION,
            "order_id": refunded["id"],
            "kind": "sale",
            "status": "success",
            "gateway": refunded["gateway"],
            "amount": refunded["total_price"],
            "currency": refunded["currency"],
            "created_at": refunded["processed_at"],
            "parent_id": None,
        }
    ]
    for refund in refunded["refunds"]:
        for txn in refund["transactions"]:
            txn["parent_id"] = PAID_BY_TRANSACTION

    product_ids = {li["product_id"] for o in orders for li in o["line_items"]}
    products = [p for p in _demo("products") if p["id"] in product_ids]
    return {"customers": customers, "orders": orders, "products": products}


def write_store(folder: Path, payloads: dict[str, list[dict[str, Any]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, records in payloads.items():
        (folder / f"{key}.json").write_text(json.dumps({key: records}), encoding="utf-8")
    (folder / "store.json").write_bytes((DEMO_SANDBOX / "store.json").read_bytes())
    return folder


def write_realistic_store(root: Path) -> Path:
    """The realistic store's `sandbox/` folder under `root`."""
    return write_store(root / "realistic" / "sandbox", realistic_payloads())


# ---- field paths ---------------------------------------------------------------------------
Location = tuple[str, int, tuple[str | int, ...]]
"""(collection, record index, keys and list positions inside the record)."""


def locations(payloads: dict[str, list[dict[str, Any]]], path: str) -> Iterator[Location]:
    """Every place a model path such as `orders[].refunds[].id` occurs, in file order."""
    collection, *steps = path.split(".")
    collection = collection.removesuffix("[]")

    def walk(value: Any, rest: list[str], here: tuple[str | int, ...]) -> Iterator[tuple]:
        if not isinstance(value, dict):
            return
        key = rest[0].removesuffix("[]")
        if key not in value:
            return
        if len(rest) == 1:
            yield (*here, key)
        elif rest[0].endswith("[]"):
            for position, item in enumerate(value[key] or []):
                yield from walk(item, rest[1:], (*here, key, position))
        else:
            yield from walk(value[key], rest[1:], (*here, key))

    for index, record in enumerate(payloads[collection]):
        for inner in walk(record, steps, ()):
            yield collection, index, inner


def remove(payloads: dict[str, list[dict[str, Any]]], location: Location) -> None:
    collection, index, inner = location
    value: Any = payloads[collection][index]
    for step in inner[:-1]:
        value = value[step]
    del value[inner[-1]]


def dotted(inner: tuple[str | int, ...]) -> str:
    """`("refunds", 0, "id")` as `refunds[0].id`, the way a `FixtureError` names a field."""
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in inner).lstrip(".")


# ---- queries for every field -------------------------------------------------------------
ROOTS = {
    "orders": "orders(first: 250)",
    "customers": "customers(first: 250)",
    "products": "products(first: 250)",
    "return": "return(id: $id)",
}
ARGUMENTS = {("Order", "suggestedRefund"): "(suggestFullRefund: true)"}
"""Arguments that make a field do its real work (all arguments in the schema are optional)."""


def _leaves(kind: GraphQLObjectType) -> list[str]:
    return [name for name, f in kind.fields.items() if is_leaf_type(get_named_type(f.type))]


class _Selection:
    """Every field below one root. Each object type is expanded in full once per query; where
    it comes back (GraphQL has no recursion, and `edges.node` repeats `nodes`) a field not yet
    selected gets the type's scalar fields, and one already selected is left out."""

    def __init__(self) -> None:
        self.expanded: set[str] = set()
        self.covered: set[tuple[str, str]] = set()

    def of(self, kind: GraphQLObjectType) -> str:
        self.expanded.add(kind.name)
        parts = []
        for name, field in kind.fields.items():
            target = get_named_type(field.type)
            call = f"{name}{ARGUMENTS.get((kind.name, name), '')}"
            if is_leaf_type(target):
                parts.append(call)
            elif not isinstance(target, GraphQLObjectType):
                continue
            elif target.name not in self.expanded:
                parts.append(f"{call} {{ {self.of(target)} }}")
            elif (kind.name, name) not in self.covered:
                parts.append(f"{call} {{ {' '.join(_leaves(target))} }}")
            else:
                continue
            self.covered.add((kind.name, name))
        return " ".join(parts)


def _root_type(root: str) -> GraphQLObjectType:
    field = sandbox_schema().query_type.fields[root]  # type: ignore[union-attr]
    kind = get_named_type(field.type)
    assert isinstance(kind, GraphQLObjectType)
    return kind


def full_query(root: str) -> tuple[str, set[tuple[str, str]]]:
    """The query for one root in `ROOTS`, and the (type, field) pairs it selects."""
    selection = _Selection()
    body = selection.of(_root_type(root))
    call = ROOTS[root]
    header = "query($id: ID!)" if "$id" in call else "query"
    return f"{header} {{ {call} {{ {body} }} }}", selection.covered


def reachable_fields(root: str) -> set[tuple[str, str]]:
    """Every (type, field) pair the schema can serve below one root."""
    todo: list[Any] = [_root_type(root)]
    seen: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    while todo:
        kind = todo.pop()
        if not isinstance(kind, GraphQLObjectType) or kind.name in seen:
            continue
        seen.add(kind.name)
        for name, field in kind.fields.items():
            pairs.add((kind.name, name))
            todo.append(get_named_type(field.type))
    return pairs
