"""The Bitext customer-support utterances, for the intents our knowledge covers.

Bitext labels intents, not passages, so this run is scored per document: a hit is any passage
from a document that answers the intent. The dataset lives outside the project
(`../shared/datasets/bitext/`, CDLA-Sharing-1.0) and the run is skipped when it is absent.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BITEXT_DIR = PROJECT_ROOT.parent / "shared" / "datasets" / "bitext"
CSV_NAME = "Bitext_Sample_Customer_Support_Training_Dataset_4514.csv"

INTENT_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "cancel_order": ("order-changes.md",),
    "change_order": ("order-changes.md",),
    "check_cancellation_fee": ("order-changes.md",),
    "change_shipping_address": ("order-changes.md",),
    "set_up_shipping_address": ("account.md",),
    "place_order": ("ordering.md",),
    "track_order": ("shipping.md",),
    "delivery_options": ("shipping.md", "international-shipping.md"),
    "delivery_period": ("shipping.md", "international-shipping.md"),
    "check_payment_methods": ("payments.md",),
    "payment_issue": ("payments.md",),
    "check_refund_policy": ("refunds.md", "returns-and-exchanges.md"),
    "get_refund": ("refunds.md", "returns-and-exchanges.md"),
    "track_refund": ("refunds.md",),
    "recover_password": ("account.md",),
    "create_account": ("account.md",),
    "edit_account": ("account.md",),
    "registration_problems": ("account.md",),
    "delete_account": ("privacy.md", "account.md"),
    "newsletter_subscription": ("account.md", "privacy.md"),
    "contact_customer_service": ("contact.md",),
    "contact_human_agent": ("contact.md",),
    "check_invoice": ("ordering.md",),
    "get_invoice": ("ordering.md",),
}
"""Intent -> documents that answer it. Left out: switch_account, complaint and review (no policy
document answers them: they are routed to people or to the review flow)."""


@dataclass(frozen=True)
class BitextUtterance:
    """One customer message with the documents that answer its intent."""

    text: str
    intent: str
    documents: frozenset[str]


def bitext_csv(directory: Path = BITEXT_DIR) -> Path | None:
    """The dataset file, or None when `../shared` is not there (e.g. a user's clone)."""
    path = directory / CSV_NAME
    return path if path.is_file() else None


def load_bitext(path: Path, per_intent: int = 0, seed: int = 4) -> list[BitextUtterance]:
    """Utterances of the mapped intents; `per_intent` > 0 takes a seeded sample of each."""
    by_intent: dict[str, list[BitextUtterance]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            documents = INTENT_DOCUMENTS.get(row["intent"])
            if documents:
                by_intent[row["intent"]].append(
                    BitextUtterance(row["instruction"], row["intent"], frozenset(documents))
                )
    rng = random.Random(seed)
    sample: list[BitextUtterance] = []
    for intent in sorted(by_intent):
        rows = by_intent[intent]
        sample.extend(rng.sample(rows, per_intent) if 0 < per_intent < len(rows) else rows)
    return sample
