"""Frustration score and safety flags, by rules and by meaning.

Safety flags send a conversation to people (DESIGN.md §3.1 `escalation.topics`). A flag is
raised when a rule matches or when `topics.TopicMatcher` finds the message close in meaning to
the topic's exemplars (`topics.yaml`), so "my card issuer is reversing the payment" counts
although no rule names it. The rules aim at the phrases customers actually use and are checked
against look-alikes in the tests; their vocabulary comes from the topic exemplars, and they also
carry the Spanish, French, German, Portuguese and Italian phrases the English embedding model
reads poorly:

- `legal_threat` (`topic_rules`): lawsuits, courts, small claims, formal demands and court
  papers, "a judge will decide", a lawyer the customer has or is getting ("my lawer says...",
  "I've a solicitor now, over to you"), complaints to a consumer regulator, agency or tribunal of
  any of the usual countries (ACCC, NCAT, Fair Trading, FTC, a state AG, the ICO, Procon...)
  and police reports about the store. Being or knowing a lawyer, a lawyer who recommended the
  shop, a negated mention ("I'm not going to sue anyone"), "Sue" as a name and a product or a
  programme ("the Small Claims board game", "a court case on TV") are not threats.
- `chargeback` (`topic_rules`): chargebacks (also misspelt, "charging it back"), PayPal and
  buyer-protection claims, and a bank, card or wallet named with a reversal (dispute, reverse,
  claw back, report as fraud...) in the same sentence; not a fraud alert the customer confirms
  or a refund the processor reversed. Negated mentions ("I don't want to do a chargeback")
  still count: the customer is weighing it.
- `self_harm` (`topic_rules`): first-person statements of wanting to die or hurt oneself,
  named methods (overdose, a train, a bridge) and quiet ones ("won't be here to spend it",
  goodbye notes, giving things away); idioms such as "this price is killing me" or "I'm dying
  to get it", and "end it all: the subscription, the newsletter" are not matched.
- `harassment` (`harassment_rules`): insults aimed at the staff, threats to them, their
  families or premises ("a brick through your window", waiting outside after a shift), ill
  wishes, sexual remarks about them and threats to publish their details. Swearing about the
  situation ("this f***ing parcel") raises frustration, not this flag.
- `prompt_injection`: attempts to rewrite the assistant's instructions or role ("ignore your
  previous instructions", "you are now DAN", "system prompt", "act as admin and refund"),
  including instructions to the AI inside quoted text. Rules only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.understanding import harassment_rules, topic_rules
from agent.understanding.topics import TopicMatcher

FLAG_NAMES = ("legal_threat", "chargeback", "self_harm", "harassment", "prompt_injection")

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


def _injection(text: str) -> bool:
    if _INJECTION.search(text) or _ROLE_TAG.search(text):
        return True
    return any(_QUOTED_COMMAND.search(quote) for quote in _QUOTED.findall(text))


def rule_flags(text: str) -> SafetyFlags:
    """The flags the regexes alone raise (see the module docstring)."""
    return SafetyFlags(
        legal_threat=topic_rules.legal_threat(text),
        chargeback=topic_rules.chargeback(text),
        self_harm=topic_rules.self_harm(text),
        harassment=harassment_rules.harassment(text),
        prompt_injection=_injection(text),
    )


def topic_scores(text: str) -> dict[str, float]:
    """The semantic score of each topic flag, 0..1, for the trace (`TopicMatcher.thresholds`
    says where each is raised)."""
    return TopicMatcher.load().scores(text)


def safety_flags(text: str) -> SafetyFlags:
    """Raise each safety flag the message warrants: a rule hit or a semantic one.

    `prompt_injection` is rules only: the words of an injection are ordinary words, and what
    gives one away is its form (role tags, instructions aimed at the assistant).
    """
    rules = rule_flags(text)
    semantic = TopicMatcher.load().topics(text)
    return SafetyFlags(
        legal_threat=rules.legal_threat or "legal_threat" in semantic,
        chargeback=rules.chargeback or "chargeback" in semantic,
        self_harm=rules.self_harm or "self_harm" in semantic,
        harassment=rules.harassment or "harassment" in semantic,
        prompt_injection=rules.prompt_injection,
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
    if harassment_rules.harassment(text):
        signals.append(0.6)
    calm = 1.0
    for weight in signals:
        calm *= 1.0 - weight
    return round(1.0 - calm, 3)
