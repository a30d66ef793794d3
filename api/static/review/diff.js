// A word-level diff of the AI reply and the text a reviewer sent instead.

import { el, fill } from "./dom.js";

// Splits into words and the whitespace between them, then walks a longest-common-subsequence
// table; returns [["same"|"del"|"ins", text], ...] with neighbours of one kind merged.
export function wordDiff(before, after) {
  const a = before.split(/(\s+)/).filter(Boolean);
  const b = after.split(/(\s+)/).filter(Boolean);
  const ops = [];
  const push = (kind, text) => {
    const last = ops[ops.length - 1];
    if (last && last[0] === kind) last[1] += text;
    else ops.push([kind, text]);
  };
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) push("same", a[start++]);
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  if (n * m > 1_000_000) {
    // Too long to compare word by word in a page: show it as replaced.
    if (n) push("del", midA.join(""));
    if (m) push("ins", midB.join(""));
  } else {
    const width = m + 1;
    const table = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        table[i * width + j] =
          midA[i] === midB[j]
            ? table[(i + 1) * width + j + 1] + 1
            : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (midA[i] === midB[j]) {
        push("same", midA[i++]);
        j++;
      } else if (table[(i + 1) * width + j] >= table[i * width + j + 1]) push("del", midA[i++]);
      else push("ins", midB[j++]);
    }
    while (i < n) push("del", midA[i++]);
    while (j < m) push("ins", midB[j++]);
  }
  for (let k = endA; k < a.length; k++) push("same", a[k]);
  return ops;
}

export function renderDiff(node, before, after) {
  const tags = { same: "span", del: "del", ins: "ins" };
  fill(node, ...wordDiff(before, after).map(([kind, text]) => el(tags[kind], { text })));
}
