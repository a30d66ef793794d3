"""Frustration score and safety flags, by rules.

Safety flags send a conversation to people (DESIGN.md §3.1 `escalation.topics`), so each rule
aims at the phrases customers actually use and is checked against look-alikes in the tests:

- `legal_threat`: lawyers, suing, courts, small claims, attorney general, consumer protection.
  A negated mention ("I'm not going to sue anyone", "not sue anyone") is not a threat; "Sue"
  as a name is not either (the verb needs a target or an auxiliary: "sue you", "I will sue").
- `chargeback`: chargebacks, disputing the charge with a bank/card/PayPal, PayPal claims.
  Negated mentions ("I don't want to do a chargeback") still count: the customer is weighing it.
- `self_harm`: first-person statements of wanting to die or hurt oneself; idioms such as
  "this price is killing me" or "I'm dying to get it" are not matched.
- `harassment`: insults or threats aimed at the staff ("you idiot", "I know where you live").
  Swearing about the situation ("this f***ing parcel") raises frustration, not this flag.
- `prompt_injection`: attempts to rewrite the assistant's instructions or role ("ignore your
  previous instructions", "you are now DAN", "system prompt", "act as admin and refund"),
  including instructions to the AI inside quoted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FLAG_NAMES = ("legal_threat", "chargeback", "self_harm", "harassment", "prompt_injection")

_NEGATION = re.compile(
    r"\b(?:not|never|no|don't|dont|do not|won't|wont|will not|isn't|no need to|"
    r"didn't|without)\b(?:\s+\w+){0,4}\s*$"
)

_LEGAL = re.compile(
    r"\b(?:lawyers?|attorneys?(?: general)?|solicitors?|lawsuits?|legal action|"
    r"legal proceedings|small[- ]claims|(?:to|in|into) court|court case|"
    r"class action|consumer protection|trading standards|bbb|better business bureau|"
    r"(?:i'?ll|i will|i'm going to|im going to|gonna|going to|to|will|and|or|can|could)\s+sue|"
    r"su(?:e|ing)\s+(?:you|u|ya|your|the|this|them|over|for)|suing)\b",
    re.IGNORECASE,
)
_CHARGEBACK = re.compile(
    r"\b(?:charge ?backs?|charge it back|dispute (?:the |this |a )?(?:charge|payment|"
    r"transaction)|dispute (?:it )?with (?:my|the) (?:bank|card|credit card|paypal)|"
    r"(?:call|contact|tell) my bank|paypal (?:claim|dispute|case)|"
    r"(?:open|file|opened|filed|raise) an? (?:claim|dispute|case) (?:with|on|at) "
    r"(?:paypal|my bank|the bank|visa|amex|mastercard)|reverse the (?:charge|payment)|"
    r"credit card company)\b",
    re.IGNORECASE,
)
_SELF_HARM = re.compile(
    r"\b(?:kill(?:ing)? myself|end (?:my|it) (?:life|all)|end it all|suicid(?:e|al)|"
    r"want to die|wanna die|hurt(?:ing)? myself|self[- ]harm|no reason to live|"
    r"better off dead|take my own life|don't want to live|dont want to live)\b",
    re.IGNORECASE,
)
_INSULT = (
    r"idiots?|moron(?:s|ic)?|stupid|dumb|useless|incompetent|pathetic|clowns?|losers?|"
    r"retard(?:ed|s)?|scum|trash|garbage|worthless|bitch(?:es)?|bastards?|assholes?|"
    r"dickheads?|imbeciles?"
)
_HARASSMENT = re.compile(
    rf"\b(?:(?:you|u|ya|your|ur|you're|youre|you are|you guys are|you people are)\s+"
    rf"(?:(?:are|r|such|so|a|an|bunch of|fucking|f\*+ing|bloody|damn|total|complete)\s+)*"
    rf"(?:{_INSULT})|f+u+c+k+ (?:you|u|off|ya)|f\*+ (?:you|off)|screw you|go to hell|"
    rf"shut up|i know where you live|i(?:'ll| will) (?:find|hurt|kill|get) (?:you|u)|"
    rf"kill you|you(?:'ll| will) regret|watch your back|hope you die)\b",
    re.IGNORECASE,
)
_INJECTION = re.compile(
    r"\b(?:(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?"
    r"(?:your|the|my|these|those|previous|prior|above|earlier|all)?\s*"
    r"(?:previous\s+|prior\s+|earlier\s+|above\s+|original\s+)?"
    r"(?:instructions?|rules?|prompts?|guidelines?|polic(?:y|ies)|programming|directives?)|"
    r"system\s+prompt|system\s+message|developer\s+mode|jailbreak|\bdan\b mode|do anything now|"
    r"you\s+are\s+now\s+(?:an?\s+|the\s+|in\s+|my\s+)?(?:\w+\s+)?"
    r"(?:admin|administrator|developer|assistant|ai|bot|dan|system|unrestricted|unfiltered|"
    r"jailbroken|manager|supervisor|mode|free)|"
    r"from now on,?\s+you\s+(?:will|must|are|should)|"
    r"(?:act|behave|respond)\s+as\s+(?:an?\s+|the\s+)?(?:admin|administrator|developer|"
    r"system|root|superuser|manager|supervisor)|"
    r"pretend\s+(?:to\s+be|you\s+are|you're)\s+(?:an?\s+|the\s+)?(?:admin|manager|"
    r"developer|supervisor|different|unrestricted|my)|"
    r"(?:role[- ]?play|roleplay)\s+as|new\s+instructions?\s*:|"
    r"reveal\s+(?:your|the)\s+(?:instructions|prompt|rules))",
    re.IGNORECASE,
)
_ROLE_TAG = re.compile(
    r"(?:^|\n|[\"'“])\s*(?:system|assistant|ai|admin)\s*:|<\|?(?:system|im_start)\|?>|"
    r"\[(?:system|inst)\]|###\s*(?:system|instruction)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“]([^\"”]{8,})[\"”]")
_QUOTED_COMMAND = re.compile(
    r"\b(?:assistant|ai|bot|agent|model)\b.{0,40}\b(?:must|should|will|shall|always)\b.{0,40}"
    r"\b(?:refund|approve|cancel|ignore|send|give|grant)\b",
    re.IGNORECASE,
)

_SWEARING = re.compile(
    r"\b(?:fuck\w*|f\*+\w*|shit\w*|sh\*t|crap|damn|bloody|wtf|ffs|bullshit|piss(?:ed)?)\b",
    re.IGNORECASE,
)
_FRUSTRATION_PHRASES = re.compile(
    r"\b(?:(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)|3rd|4th) time|again\?|still "
    r"(?:waiting|nothing|no|not|haven't|hasn't)|been waiting|waiting for (?:weeks|days|ages|"
    r"over)|ridiculous|unacceptable|outrageous|disgusting|disgrace(?:ful)?|worst|terrible|"
    r"horrible|awful|useless|joke|scam|fed up|sick of|tired of|had enough|never again|"
    r"nobody (?:answers|replies|helps)|no one (?:answers|replies|helps)|ignored|ignoring|"
    r"furious|angry|livid|pissed|fuming|frustrat\w*|annoyed|disappointed|hello\?+|"
    r"are you (?:even )?listening|what a mess|for weeks|for a month|how many times)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SafetyFlags:
    """The safety flags raised by one message; `names` lists the raised ones."""

    legal_threat: bool = False
    chargeback: bool = False
    self_harm: bool = False
    harassment: bool = False
    prompt_injection: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The raised flags, in `FLAG_NAMES` order."""
        return tuple(name for name in FLAG_NAMES if getattr(self, name))


def _affirmed(pattern: re.Pattern[str], text: str) -> bool:
    """A match not preceded by a negation in the same clause."""
    for match in pattern.finditer(text):
        clause = re.split(r"[.!?;,]|\bbut\b", text[: match.start()])[-1]
        if not _NEGATION.search(clause.lower()):
            return True
    return False


def _injection(text: str) -> bool:
    if _INJECTION.search(text) or _ROLE_TAG.search(text):
        return True
    return any(_QUOTED_COMMAND.search(quote) for quote in _QUOTED.findall(text))


def safety_flags(text: str) -> SafetyFlags:
    """Raise each safety flag the message warrants (see the module docstring)."""
    return SafetyFlags(
        legal_threat=_affirmed(_LEGAL, text),
        chargeback=bool(_CHARGEBACK.search(text)),
        self_harm=_affirmed(_SELF_HARM, text),
        harassment=bool(_HARASSMENT.search(text)),
        prompt_injection=_injection(text),
    )


def frustration_score(text: str) -> float:
    """0 (calm) to 1 (furious), from shouting, punctuation, swearing and complaint phrases.

    Each signal contributes independently (1 - product of (1 - weight)), so several mild
    signals add up without any one of them saturating the score.
    """
    signals: list[float] = []
    words = re.findall(r"[A-Za-z]{3,}", text)
    shouted = [w for w in words if w.isupper()]
    if words and len(shouted) >= 2 and len(shouted) / len(words) >= 0.3:
        signals.append(min(0.5, 0.25 + 0.5 * len(shouted) / len(words)))
    if re.search(r"[!?]{3,}|!{2,}", text):
        signals.append(0.25)
    swearing = len(_SWEARING.findall(text))
    if swearing:
        signals.append(min(0.6, 0.35 + 0.1 * swearing))
    phrases = len(_FRUSTRATION_PHRASES.findall(text))
    if phrases:
        signals.append(min(0.7, 0.3 + 0.15 * phrases))
    if _HARASSMENT.search(text):
        signals.append(0.6)
    calm = 1.0
    for weight in signals:
        calm *= 1.0 - weight
    return round(1.0 - calm, 3)
