"""Bitext utterances mapped onto Threadline's intents.

The dataset lives outside the project (`../shared/datasets/bitext/`, CDLA-Sharing-1.0); every
caller must handle its absence (a user's clone has no `../shared`). The mapping was fixed from
the intents' definitions before measuring, not tuned on the results.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BITEXT_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "bitext"
CSV_NAME = "Bitext_Sample_Customer_Support_Training_Dataset_4514.csv"

INTENT_MAP: dict[str, str] = {
    "track_order": "track_order",
    "cancel_order": "cancel_order",
    "change_shipping_address": "change_address",
    "set_up_shipping_address": "change_address",
    "delivery_options": "delivery_options",
    "delivery_period": "delivery_options",
    "get_refund": "refund_request",
    "track_refund": "refund_status",
    "check_refund_policy": "policy_question",
    "check_payment_methods": "policy_question",
    "check_cancellation_fee": "policy_question",
    "payment_issue": "payment_problem",
    "check_invoice": "order_details",
    "get_invoice": "order_details",
    "complaint": "complaint",
    "contact_human_agent": "human_agent",
    "contact_customer_service": "human_agent",
    "create_account": "account",
    "edit_account": "account",
    "delete_account": "account",
    "switch_account": "account",
    "recover_password": "account",
    "registration_problems": "account",
    "newsletter_subscription": "account",
}
"""Bitext intent -> ours. `change_address` covers every shipping-address request (an order's,
or a new saved one: the agent asks which order when none is named); the invoice intents are
order documents; the fee and payment-method questions are store rules."""

UNMAPPED: dict[str, str] = {
    "change_order": "editing the items of an order: no matching intent (the agent cannot do it)",
    "place_order": "help placing a new order: no matching intent",
    "review": "leaving a product review: no matching intent",
}
"""Bitext intents with no counterpart, skipped, with the reason."""


@dataclass(frozen=True)
class Utterance:
    """One Bitext customer message with its original and mapped intent."""

    text: str
    bitext_intent: str
    expected: str


def bitext_csv(directory: Path = BITEXT_DIR) -> Path | None:
    """The dataset file, or None when `../shared` is not there."""
    path = directory / CSV_NAME
    return path if path.is_file() else None


def load_utterances(path: Path) -> list[Utterance]:
    """Every utterance of a mapped intent, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Utterance(row["instruction"], row["intent"], INTENT_MAP[row["intent"]])
            for row in csv.DictReader(handle)
            if row["intent"] in INTENT_MAP
        ]


def load_instructions(path: Path) -> list[str]:
    """Every instruction in the file, mapped or not (for the training-overlap check)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["instruction"] for row in csv.DictReader(handle)]
