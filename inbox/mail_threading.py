"""Email threading: the Message-ID of a reply Threadline sends and the In-Reply-To/References
that keep it in the customer's thread (RFC 5322 §3.6.4)."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence

_MAX_REFERENCES_CHARS = 900
"""References longer than this keep their first id and as many of the latest as fit."""


def new_message_id(domain: str) -> str:
    """A fresh, globally unique Message-ID such as ``<176...@mail.shop.example>``."""
    if not domain.strip() or re.search(r"[\s<>@]", domain):
        raise ValueError(f"a Message-ID needs a plain domain, not {domain!r}")
    return email.utils.make_msgid(domain=domain)


def reply_headers(
    *, message_id: str | None, references: Sequence[str], own_id: str
) -> dict[str, str]:
    """Threading headers for our answer to the message ``message_id`` (RFC 5322 section 3.6.4).

    References is the earlier chain plus ``message_id``, without repeats. A long chain keeps its
    first id and as many of the latest as fit, so the header stays under ~900 characters.
    """
    headers = {"Message-ID": own_id}
    if not message_id:
        return headers
    parent = message_id.strip()
    earlier = (ref.strip() for ref in references if ref.strip() and ref.strip() != parent)
    chain = [*dict.fromkeys(earlier), parent]  # the parent comes last, even if listed before
    first, later = chain[0], chain[1:]
    kept: list[str] = []
    size = len(first)
    for ref in reversed(later):
        if kept and size + 1 + len(ref) > _MAX_REFERENCES_CHARS:
            break
        kept.append(ref)
        size += 1 + len(ref)
    headers["In-Reply-To"] = parent
    headers["References"] = " ".join([first, *reversed(kept)])
    return headers
