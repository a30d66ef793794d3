// The review gate's progress per channel, one line each: the channels still reviewed first.

import { el, fixed, percent } from "./dom.js";

const STAGE_ORDER = { review: 0, draft: 1, autonomous: 2 };

// "email: 63 / 100 reviewed, 94% approved, lower bound 0.87 — review", and what blocks
// promotion; a channel already autonomous shows its sampled reviews instead.
function gateLine(channel, intents) {
  for (const intent of channel.intents || []) intents.add(intent.intent);
  const autonomous = channel.stage === "autonomous";
  const counted = autonomous
    ? `${channel.reviewed} sampled replies reviewed`
    : `${channel.reviewed} / ${channel.review_first} reviewed`;
  const line =
    `${channel.channel}: ${counted}, ${percent(channel.approval_rate)} approved, ` +
    `lower bound ${fixed(channel.lower_bound, 2)}`;
  const extra = [];
  if (autonomous) extra.push(`samples ${percent(channel.sample_rate)}`);
  if (channel.pending) extra.push(`${channel.pending} pending`);
  if ((channel.autonomous_intents || []).length) {
    extra.push(`sent at once: ${channel.autonomous_intents.join(", ")}`);
  }
  if (!autonomous && channel.eligible) extra.push("gate met: may be promoted");
  const blockers = autonomous ? [] : channel.blockers || [];
  return el(
    "li",
    { "data-channel": channel.channel, className: channel.eligible && !autonomous ? "eligible" : "" },
    line,
    " — ",
    el("span", { className: "stage", text: channel.stage }),
    extra.length ? ` (${extra.join("; ")})` : null,
    blockers.length
      ? el("ul", { className: "blockers" }, ...blockers.map((b) => el("li", { text: b })))
      : null,
  );
}

export function gateLines(channels, intents) {
  return [...channels]
    .sort((a, b) => STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage])
    .map((channel) => gateLine(channel, intents));
}
