"""The sandbox's GraphQL endpoint logic: SDL schema, root resolvers, query cost.

`SandboxGraphQL.execute` parses and validates a request against `schema.graphql` with
graphql-core and runs it over the store; the HTTP layer (`server.py`) only adds transport.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from tools.sandbox.order_parts import refund_view, return_view
from tools.sandbox.order_view import order_view
from tools.sandbox.search import filter_customers, filter_orders
from tools.sandbox.shipments import create_fulfillment_event, event_view
from tools.sandbox.store import SandboxStore, UserErr
from tools.sandbox.values import Json, to_decimal
from tools.sandbox.views import connection, customer_view, gid_id, product_view


@cache
def sandbox_schema() -> GraphQLSchema:
    """The SDL schema shipped next to this module, built once per process."""
    sdl = resources.files("tools.sandbox").joinpath("schema.graphql").read_text(encoding="utf-8")
    return build_schema(sdl)


@lru_cache(maxsize=256)
def _prepared(query: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """Parsed and validated once per query text: clients send the same few queries again."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error,)
    return document, tuple(validate(sandbox_schema(), document))


def _errors(errors: list[UserErr], with_code: bool = False) -> list[Json]:
    return [
        {"field": e.field, "message": e.message, **({"code": e.code} if with_code else {})}
        for e in errors
    ]


def query_cost(document: DocumentNode) -> int:
    """A rough version of Shopify's calculated cost: 1 per object, `first` multiplies lists."""

    def cost(selections: Any, multiplier: int) -> int:
        total = 0
        for selection in selections or []:
            if not isinstance(selection, FieldNode) or selection.selection_set is None:
                continue
            first = next(
                (
                    int(getattr(a.value, "value", 1) or 1)
                    for a in selection.arguments or ()
                    if a.name.value in ("first", "last")
                ),
                1,
            )
            total += multiplier + cost(
                selection.selection_set.selections, multiplier * max(first, 1)
            )
        return total

    result = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            base = 10 if definition.operation.value == "mutation" else 0
            result += base + cost(definition.selection_set.selections, 1)
    return max(result, 1)


Notify = Callable[[str, Json], None]
"""Told of a change the shop sends a webhook for: (topic, REST payload)."""


class SandboxGraphQL:
    """Resolvers for the Query and Mutation roots over one `SandboxStore`."""

    def __init__(self, store: SandboxStore, notify: Notify | None = None) -> None:
        self.store = store
        self.schema = sandbox_schema()
        self.notify = notify

    def prepare(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        """Parse and validate; syntax and validation errors come back as GraphQL errors."""
        document, errors = _prepared(query)
        return document, list(errors)

    def execute(
        self, document: DocumentNode, variables: Json | None, operation_name: str | None
    ) -> Json:
        with self.store.lock:
            result = execute(
                self.schema,
                document,
                root_value=self._root(),
                variable_values=variables,
                operation_name=operation_name,
            )
        if not isinstance(result, ExecutionResult):  # only async resolvers return awaitables
            raise TypeError("sandbox resolvers must be synchronous")
        payload: Json = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        return payload

    # ---- roots ---------------------------------------------------------------------------
    def _root(self) -> Json:
        store = self.store
        return {
            "shop": lambda _info: {
                "id": "gid://shopify/Shop/1",
                "name": store.shop.get("name", "Sandbox Store"),
                "email": store.shop.get("email", "sandbox@example.com"),
                "myshopifyDomain": store.shop.get("myshopify_domain", "sandbox.myshopify.com"),
                "currencyCode": store.shop.get("currency", "USD"),
                "ianaTimezone": store.shop.get("timezone", "UTC"),
            },
            "node": self._node,
            "order": self._order,
            "orders": self._orders,
            "customer": self._customer,
            "customers": self._customers,
            "product": self._product,
            "products": self._products,
            "return": self._return,
            "orderCancel": self._order_cancel,
            "orderUpdate": self._order_update,
            "returnCreate": self._return_create,
            "returnRequest": self._return_request,
            "refundCreate": self._refund_create,
            "fulfillmentEventCreate": self._fulfillment_event_create,
        }

    def _order_json(self, value: str) -> Json | None:
        return self.store.orders.get(gid_id(value, "Order") or "")

    def _node(self, info: Any, id: str) -> Json | None:
        kind = str(id).removeprefix("gid://shopify/").split("/")[0]
        resolver = {
            "Order": self._order,
            "Customer": self._customer,
            "Product": self._product,
            "Return": self._return,
        }.get(kind)
        return resolver(info, id) if resolver else None

    def _order(self, _info: Any, id: str) -> Json | None:
        order = self._order_json(id)
        return order_view(self.store, order) if order else None

    def _orders(
        self,
        _info: Any,
        query: str | None = None,
        reverse: bool = False,
        sortKey: str | None = None,
        **page: Any,
    ) -> Json:
        found = filter_orders(self.store.orders.values(), query, bool(reverse), sortKey)
        return connection([order_view(self.store, o) for o in found])(None, **page)

    def _customer(self, _info: Any, id: str) -> Json | None:
        customer = self.store.customers.get(gid_id(id, "Customer") or "")
        return customer_view(self.store, customer) if customer else None

    def _customers(
        self,
        _info: Any,
        query: str | None = None,
        reverse: bool = False,
        sortKey: str | None = None,
        **page: Any,
    ) -> Json:
        found = filter_customers(self.store.customers.values(), query, bool(reverse))
        return connection([customer_view(self.store, c) for c in found])(None, **page)

    def _product(self, _info: Any, id: str) -> Json | None:
        product = self.store.products.get(gid_id(id, "Product") or "")
        return product_view(self.store, product) if product else None

    def _products(
        self, _info: Any, query: str | None = None, reverse: bool = False, **page: Any
    ) -> Json:
        products = sorted(
            self.store.products.values(), key=lambda p: int(p["id"]), reverse=bool(reverse)
        )
        if query:
            products = [
                p
                for p in products
                if query.lower() in str(p.get("title", "")).lower()
                or query.lower() in str(p.get("tags", "")).lower()
            ]
        return connection([product_view(self.store, p) for p in products])(None, **page)

    def _return(self, _info: Any, id: str) -> Json | None:
        wanted = gid_id(id, "Return")
        for order in self.store.orders.values():
            for record in order.get("returns") or []:
                if str(record["id"]) == wanted:
                    return return_view(
                        self.store,
                        order,
                        record,
                        lambda _i=None, o=order: order_view(self.store, o),
                    )
        return None

    # ---- mutations -----------------------------------------------------------------------
    def _order_cancel(
        self,
        _info: Any,
        orderId: str,
        reason: str,
        refund: bool,
        restock: bool,
        notifyCustomer: bool | None = None,
        staffNote: str | None = None,
    ) -> Json:
        order_id = gid_id(orderId, "Order") or ""
        errors = self.store.cancel_order(order_id, reason, refund, staffNote)
        job = None if errors else {"id": f"gid://shopify/Job/{self.store.new_id()}", "done": True}
        return {
            "job": job,
            "orderCancelUserErrors": _errors(errors, with_code=True),
            "userErrors": _errors(errors),
        }

    def _order_update(self, _info: Any, input: Json) -> Json:
        order_id = gid_id(input["id"], "Order") or ""
        errors = self.store.update_order(order_id, input)
        order = self.store.orders.get(order_id)
        return {
            "order": order_view(self.store, order) if order and not errors else None,
            "userErrors": _errors(errors),
        }

    def _return_payload(self, order_id: str, record: Json | None, errors: list[UserErr]) -> Json:
        order = self.store.orders.get(order_id)
        view = None
        if record is not None and order is not None:
            view = return_view(
                self.store, order, record, lambda _i=None: order_view(self.store, order)
            )
        return {"return": view, "userErrors": _errors(errors, with_code=True)}

    def _return_create(self, _info: Any, returnInput: Json) -> Json:
        return self._open_return(returnInput, "OPEN")

    def _return_request(self, _info: Any, input: Json) -> Json:
        return self._open_return(input, "REQUESTED")

    def _open_return(self, request: Json, status: str) -> Json:
        """`returnCreate` opens a return; `returnRequest` asks the merchant to approve one."""
        order_id = gid_id(request["orderId"], "Order") or ""
        items = [
            {**i, "fulfillmentLineItemId": gid_id(i["fulfillmentLineItemId"]) or ""}
            for i in request["returnLineItems"]
        ]
        record, errors = self.store.create_return(order_id, items, status)
        return self._return_payload(order_id, record, errors)

    def _refund_create(self, _info: Any, input: Json) -> Json:
        order_id = gid_id(input["orderId"], "Order") or ""
        lines = [
            {**i, "lineItemId": gid_id(i["lineItemId"], "LineItem") or ""}
            for i in input.get("refundLineItems") or []
        ]
        transactions = [
            {
                **t,
                "parentId": gid_id(t["parentId"]) if t.get("parentId") else None,
                "amount": str(to_decimal(t["amount"])),
            }
            for t in input.get("transactions") or []
        ]
        refund, errors = self.store.create_refund(
            order_id, lines, input.get("shipping"), transactions, input.get("note")
        )
        order = self.store.orders.get(order_id)
        if refund is None or order is None:
            return {"refund": None, "order": None, "userErrors": _errors(errors)}
        node = order_view(self.store, order)
        return {
            "refund": refund_view(self.store, order, refund, lambda _i=None: node),
            "order": node,
            "userErrors": [],
        }

    def _fulfillment_event_create(self, _info: Any, fulfillmentEvent: Json) -> Json:
        event, fulfillment, errors = create_fulfillment_event(
            self.store,
            str(fulfillmentEvent["fulfillmentId"]),
            str(fulfillmentEvent["status"]),
            happened_at=fulfillmentEvent.get("happenedAt"),
            message=fulfillmentEvent.get("message"),
            estimated_delivery_at=fulfillmentEvent.get("estimatedDeliveryAt"),
        )
        if fulfillment is not None and self.notify is not None:
            self.notify("fulfillments/update", fulfillment)
        return {
            "fulfillmentEvent": event_view(event) if event is not None else None,
            "userErrors": _errors(errors),
        }
