"""Explicit yes / no, decided by rules.

The agent performs an irreversible action (cancel, return, refund) only on an explicit yes, so
this is deliberately strict: the message must open with an affirmative ("yes", "go ahead",
"sí", "please do") and carry no negation or hesitation anywhere; a mixed message ("yes but
wait") is neither, and the agent asks again. A denial is a message that opens with a negative
or asks to wait/stop.
"""

from __future__ import annotations

import re
import unicodedata

_YES = (
    r"yes|yess+|yes+ please|yeah|yea|yep|yup|ya|yah|sure|ok|okay|okey|k|kk|alright|all right|"
    r"correct|right|exactly|absolutely|definitely|certainly|affirmative|confirm|confirmed|"
    r"i confirm|go ahead|please go ahead|go right ahead|you can go ahead|go for it|please do|do it|"
    r"please proceed|proceed|that's right|"
    r"thats right|that is right|that's correct|sounds good|perfect|fine|of course|"
    r"si|sí|oui|ja|sim|da|claro|vale|d'accord|bien sur|bien sûr|genau|y"
)
_NO = (
    r"no|nope|nah|nay|non|nein|não|nao|negative|don't|dont|do not|never mind|nevermind|"
    r"not now|not yet|cancel that|stop|wait|hold on|hold off|hang on|not really|"
    r"i changed my mind|changed my mind|i've changed my mind|forget it"
)
_YES_START = re.compile(rf"^(?:{_YES})(?:\b|$)")
_NO_START = re.compile(rf"^(?:{_NO})(?:\b|$)")
_HESITATION = re.compile(
    r"\b(?:not|don't|dont|do not|wait|hold on|hold off|hang on|but|unless|instead|"
    r"never ?mind|not sure|maybe|stop|no|nope|rather not)\b|n't\b"
)


def _normalise(text: str) -> str:
    lowered = unicodedata.normalize("NFC", text).lower().strip()
    lowered = lowered.replace("\u2019", "'")
    lowered = re.sub(r"[!.?,;:👍🙏✅]+", " ", lowered)
    return re.sub(r"\s+", " ", lowered).strip()


def is_confirmation(text: str) -> bool:
    """True for an explicit, unhedged yes ("yes", "go ahead", "yes cancel it", "sí")."""
    normalised = _normalise(text)
    if not normalised:
        return text.strip() in {"👍", "✅"}
    if not _YES_START.match(normalised):
        return False
    rest = _YES_START.sub("", normalised, count=1)
    return not _HESITATION.search(rest)


def is_denial(text: str) -> bool:
    """True for an explicit no or a request to wait ("no", "don't", "wait", "never mind")."""
    normalised = _normalise(text)
    if _NO_START.match(normalised):
        return True
    return bool(
        re.match(r"^(?:please )?(?:don't|do not|dont) (?:do|cancel|refund|return)", normalised)
    )
