// One review item on the page: the customer's message, the AI reply, the decision, the
// conversation on every channel, and the orders, sources and actions the reply was built from.

import { $, el, fill, fixed, percent, stamp, when } from "./dom.js";
import { renderDiff } from "./diff.js";

export function renderItem(item) {
  $("detail-empty").hidden = true;
  const article = $("item");
  article.hidden = false;
  article.dataset.reviewId = item.id;
  article.dataset.status = item.status;
  $("item-title").textContent = `${item.customer_name || item.customer_id || "Unknown customer"} · ${item.channel}`;
  const meta = [
    `${item.kind}${item.held && item.status === "pending" ? " (held: sent only when approved)" : ""}`,
    `intent ${item.intent || "none"}`,
    `confidence ${item.confidence === null || item.confidence === undefined ? "–" : percent(item.confidence)}`,
    `${item.status}`,
    `created ${when(item.created_at)}`,
    item.id,
  ];
  $("item-meta").textContent = meta.join(" · ");
  fill(
    $("item-risks"),
    ...((item.risks || []).length
      ? item.risks.map((risk) => el("span", { text: risk }))
      : [el("span", { className: "quiet", text: "no risks flagged" })]),
  );

  const asked = item.customer_message || {};
  $("customer-subject").textContent = asked.subject || "";
  $("customer-subject").hidden = !asked.subject;
  $("customer-text").textContent = asked.text || "(no message)";
  $("reply-text").textContent = (item.reply && item.reply.text) || "";
  $("actions").hidden = item.status !== "pending";

  renderDecision(item);
  renderConversation(item.conversation || [], asked.id);
  renderOrders(item.orders || []);
  fill(
    $("sources"),
    ...listOrNone(item.sources, (source) =>
      el("li", {}, el("strong", { text: source.title || source.id }), ` (${fixed(source.score, 2)})`),
    ),
  );
  fill(
    $("tool-actions"),
    ...listOrNone(item.actions, (action) =>
      el(
        "li",
        {},
        el("strong", { text: action.tool }),
        ` — ${action.status}`,
        action.detail ? el("div", { text: action.detail }) : null,
        action.args ? el("pre", { text: JSON.stringify(action.args, null, 1) }) : null,
      ),
    ),
  );
}

function listOrNone(items, render) {
  return items && items.length ? items.map(render) : [el("li", { className: "muted", text: "none" })];
}

function renderDecision(item) {
  const decision = item.decision;
  $("decision").hidden = !decision;
  $("diff-block").hidden = true;
  if (!decision) return;
  const facts = [
    ["Status", decision.status],
    ["By", decision.by],
    ["At", stamp(decision.at)],
    ["Category", decision.category],
    ["Note", decision.note],
    ["Escalation", decision.escalation_id],
    ["Outbox", decision.outbox_id],
  ].filter(([, value]) => value);
  fill($("decision-facts"), ...facts.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value })]));
  if (decision.status === "edited" && decision.final_text !== null && decision.final_text !== undefined) {
    renderDiff($("diff"), (item.reply && item.reply.text) || "", decision.final_text);
    $("diff-block").hidden = false;
  }
}

function renderConversation(messages, answeredId) {
  fill(
    $("conversation"),
    ...listOrNone(messages, (message) =>
      el(
        "li",
        {
          className: `${message.direction}${message.id === answeredId ? " answered" : ""}`,
          "data-message-id": message.id,
        },
        el("div", {
          className: "when",
          text: `${message.channel} · ${message.author} (${message.direction}) · ${when(message.sent_at)}`,
          title: message.sent_at,
        }),
        message.subject ? el("div", { className: "subject", text: message.subject }) : null,
        el("div", { className: "body", text: message.text || "" }),
      ),
    ),
  );
}

function renderOrders(orders) {
  fill(
    $("orders"),
    ...listOrNone(orders, (order) => {
      const lines = (order.lines || []).map((line) => `${line.quantity} × ${line.name}`);
      const shipments = (order.shipments || []).map((s) =>
        [s.status, s.carrier, s.tracking_number].filter(Boolean).join(" "),
      );
      const head = [
        order.financial_status,
        order.fulfillment_status,
        order.cancelled_at ? "cancelled" : null,
        order.total ? `${order.total} ${order.currency || ""}`.trim() : null,
      ].filter(Boolean);
      return el(
        "li",
        {},
        el("strong", { text: order.name || order.id || "order" }),
        head.length ? ` — ${head.join(", ")}` : null,
        order.created_at ? el("div", { className: "muted", text: `placed ${order.created_at}` }) : null,
        lines.length ? el("div", { text: lines.join("; ") }) : null,
        shipments.length ? el("div", { className: "muted", text: `shipments: ${shipments.join("; ")}` }) : null,
      );
    }),
  );
}
