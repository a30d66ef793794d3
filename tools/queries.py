"""The GraphQL documents the tools send: one order shape for every read, and the mutations.

Page sizes keep each query's calculated cost well under Shopify's 1,000-point single-query limit.
"""

from __future__ import annotations

_MONEY = "shopMoney { amount currencyCode }"

ORDER_FIELDS = f"""
fragment OrderFields on Order {{
  id name email phone createdAt processedAt updatedAt cancelledAt cancelReason closedAt
  displayFinancialStatus displayFulfillmentStatus currencyCode
  customer {{ id displayName email phone }}
  shippingAddress {{
    name firstName lastName company address1 address2 city province provinceCode zip
    country countryCodeV2 phone formatted
  }}
  subtotalPriceSet {{ {_MONEY} }} totalPriceSet {{ {_MONEY} }} totalTaxSet {{ {_MONEY} }}
  totalShippingPriceSet {{ {_MONEY} }} totalRefundedSet {{ {_MONEY} }}
  totalReceivedSet {{ {_MONEY} }} netPaymentSet {{ {_MONEY} }}
  lineItems(first: 50) {{
    nodes {{
      id name title variantTitle sku quantity currentQuantity refundableQuantity
      unfulfilledQuantity
      originalUnitPriceSet {{ {_MONEY} }} discountedTotalSet {{ {_MONEY} }}
      product {{ id tags }}
    }}
  }}
  fulfillments(first: 5) {{
    id name status displayStatus createdAt updatedAt deliveredAt
    trackingInfo(first: 3) {{ company number url }}
    fulfillmentLineItems(first: 25) {{ nodes {{ id quantity lineItem {{ id }} }} }}
  }}
  refunds(first: 5) {{
    id createdAt note totalRefundedSet {{ {_MONEY} }}
    refundLineItems(first: 25) {{ nodes {{ quantity lineItem {{ id }} }} }}
  }}
  transactions(first: 10) {{ id kind status gateway amountSet {{ {_MONEY} }} }}
  returns(first: 5) {{
    nodes {{
      id name status
      returnLineItems(first: 25) {{
        nodes {{ id quantity fulfillmentLineItem {{ id lineItem {{ id }} }} }}
      }}
    }}
  }}
}}
"""

ORDER_BY_ID = "query OrderById($id: ID!) { order(id: $id) { ...OrderFields } }" + ORDER_FIELDS

ORDERS_SEARCH = (
    "query OrdersSearch($query: String!, $first: Int!) {"
    " orders(first: $first, query: $query, sortKey: CREATED_AT, reverse: true) {"
    " nodes { ...OrderFields } } }" + ORDER_FIELDS
)

CUSTOMERS_SEARCH = """
query CustomersSearch($query: String!, $first: Int!) {
  customers(first: $first, query: $query) {
    nodes {
      id displayName firstName lastName email phone createdAt numberOfOrders
      amountSpent { amount currencyCode }
      defaultAddress { city provinceCode countryCodeV2 }
    }
  }
}
"""

ORDER_CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
                     $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
              notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

RETURN_CREATE = """
mutation ReturnCreate($returnInput: ReturnInput!) {
  returnCreate(returnInput: $returnInput) {
    return { id name status totalQuantity }
    userErrors { field message code }
  }
}
"""

SUGGESTED_REFUND = f"""
query SuggestedRefund($id: ID!, $lines: [RefundLineItemInput!], $shipping: Boolean) {{
  order(id: $id) {{
    id
    suggestedRefund(refundLineItems: $lines, refundShipping: $shipping) {{
      amountSet {{ {_MONEY} }} subtotalSet {{ {_MONEY} }} totalTaxSet {{ {_MONEY} }}
      maximumRefundableSet {{ {_MONEY} }}
      shipping {{ amountSet {{ {_MONEY} }} }}
      refundLineItems {{ quantity lineItem {{ id }} }}
      suggestedTransactions {{
        kind gateway amountSet {{ {_MONEY} }} parentTransaction {{ id }}
      }}
    }}
  }}
}}
"""

REFUND_CREATE = f"""
mutation RefundCreate($input: RefundInput!) {{
  refundCreate(input: $input) {{
    refund {{ id createdAt totalRefundedSet {{ {_MONEY} }} }}
    userErrors {{ field message }}
  }}
}}
"""

ORDER_UPDATE = """
mutation OrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}
"""
