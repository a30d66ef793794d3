"""Every ask in a message: its parts, a question told from a request, each part's own intent.

One message often carries several asks ("what is your returns policy and how many days do I
get?"), or hides its questions in an email between a greeting, a quoted reply and a signature;
the whole-message intent then answers one of them, or neither. Two steps:

- `split_message(text)`: the parts that may carry an ask (sentences, and clauses joined by
  "and"/"but"/"," when the next one opens a new question or request), with greetings, sign-offs,
  signatures and quoted or forwarded text set aside, and fragments ("ok.") kept with a neighbour.
  Rules only.
- `asks_of(text)`: one `Ask` per part, every part embedded in one encoder call. A statement that
  only gives context ("it was supposed to come monday") joins the ask it explains.

How an act is decided (measured by `python -m evals.acts`):

1. Rules on the wording, in this order: a bare yes/no; small talk; a request ("can you cancel",
   "please refund", an imperative, "I'd like to return"); a question ("?", a question word, "is it
   possible", "I'd like to know"). Rules come first because "can I send it back?" and "can you
   send it back?" differ by one word that sentence embeddings barely register.
2. With the part's intent: a question naming one of the customer's orders to act on ("can I get a
   refund for #6120?"), or asking whether they may act right after reporting a problem ("the bowl
   came chipped. can I get a refund?"), is a request.
3. No rule: a problem report, unless the act classifier (exemplars in acts.yaml) is confident it
   is something else ("I'd rather know your delivery times" without a question mark). Measured:
   the classifier alone is right on 0.90 of the held-out utterances, the rules on 0.99; among
   parts no rule reads, its wrong answers all scored under `MIN_MODEL_ACT_SCORE`.

A question about an action ("can I send it back?") gets a knowledge intent (`policy_question`,
or `delivery_options` for an address) and keeps the action in `topic_intent`: the router answers
it from the store's knowledge instead of starting an order flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from agent.understanding.classifier import (
    ActClassifier,
    ActScore,
    IntentClassifier,
    IntentPrediction,
)
from agent.understanding.confirm import is_confirmation, is_denial
from agent.understanding.entities import extract_entities
from agent.understanding.taxonomy import QUESTION_TOPICS, DialogueAct

MAX_PARTS = 12
"""More parts than this (a pasted document) and the rest is read as one last part."""
MAX_YES_NO_WORDS = 6
"""A yes/no part longer than this is read for what else it says."""
MIN_PART_WORDS = 3
"""A part shorter than this with no question mark ("ok.", "quick one") joins a neighbour."""
NO_ASK_INTENTS = frozenset({"greeting", "out_of_scope"})
MIN_MODEL_ACT_SCORE = 0.7
"""Below this the act classifier's question/request for a cue-less statement is not trusted."""
KNOWLEDGE_OF_ACTIONS = frozenset(QUESTION_TOPICS.values())
MIN_TOPIC_SCORE = 0.1
"""A knowledge question's runner-up action intent at least this likely is its topic."""
MAX_ECHO_WORDS = 5
"""A clause this short that points back ("please chase it") belongs to the clause before."""
_POINTS_BACK = re.compile(r"\b(?:it|them|this|that|these|those)\b", re.IGNORECASE)


class AsideKind(StrEnum):
    """Why a piece of the message is not an ask."""

    GREETING = "greeting"
    SIGN_OFF = "sign_off"
    SIGNATURE = "signature"
    QUOTED = "quoted"
    SMALL_TALK = "small_talk"


@dataclass(frozen=True)
class SetAside:
    """A piece of the message kept out of the asks, for the trace."""

    kind: AsideKind
    text: str


@dataclass(frozen=True)
class MessageParts:
    """A message split into the parts that may carry an ask."""

    parts: tuple[str, ...]
    """In message order; a message that is only a greeting or thanks is one small-talk part."""
    set_aside: tuple[SetAside, ...] = ()
    """Greetings, sign-offs, signatures, quoted replies and forwarded text."""


@dataclass(frozen=True)
class Ask:
    """One ask of a message, classified on its own text."""

    text: str
    act: DialogueAct
    intent: str
    """A taxonomy intent; `confirm`/`deny` for a yes/no; the knowledge intent for a question
    about an action (see `topic_intent`)."""
    confidence: float
    """Calibrated probability of the classifier's intent for this part (1.0 for a yes/no)."""
    low_confidence: bool
    topic_intent: str | None = None
    """For a question about an action: that action's intent (`return_item` ...)."""

    def trace(self) -> dict[str, object]:
        """A JSON-ready summary for the ops trace."""
        return {
            "text": self.text,
            "act": str(self.act),
            "intent": self.intent,
            "topic_intent": self.topic_intent,
            "confidence": self.confidence,
            "low_confidence": self.low_confidence,
        }


# --- splitting -------------------------------------------------------------------------------

_QUOTE_START = re.compile(
    r"^[ \t]*(?:-{2,}\s*(?:original message|forwarded message|message d'origine|"
    r"mensaje original|ursprüngliche nachricht|weitergeleitete nachricht)\s*-{2,}|"
    r"begin forwarded message:?|_{8,}|"
    r"(?:on|le|el|am)\b[^\n]*(?:\n[^\n]*)?\b(?:wrote|a écrit|escribió|schrieb)\s*:|"
    r"(?:from|de|von)\s*:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*"
    r"(?:sent|date|to|subject|envoyé|enviado|gesendet|datum)\s*:)",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE_START = re.compile(
    r"^[ \t]*(?:--\s*|—\s*|(?:sent|envoyé|enviado) (?:from|de|desde) (?:my|mon|mi) [^\n]*|"
    r"sent from (?:outlook|yahoo|gmail|mail)[^\n]*|get outlook for [^\n]*|"
    r"von meinem [^\n]* gesendet)$",
    re.IGNORECASE | re.MULTILINE,
)
_GREETING_WORD = (
    r"hi|hello|hey|hiya|howdy|dear|good (?:morning|afternoon|evening|day)|greetings|hola|"
    r"buenos días|buenas|bonjour|bonsoir|salut|hallo|guten tag|moin|liebes?|sehr geehrte[rs]?"
)
_GREETING_LINE = re.compile(
    rf"(?i:{_GREETING_WORD}|to whom it may concern)"
    r"(?:[ \t]+(?:[A-Z][\w.&'-]*|(?i:there|team|all|guys|folks|everyone|sir|madam|or|and|"
    r"support|friends|y'all))){0,3}[ \t]*[,!.:]*"
)
_GREETING_PREFIX = re.compile(
    rf"^(?:{_GREETING_WORD})(?:\s+(?:there|team|all|guys|folks|everyone))?\s*[,!.:\-]+\s*",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"(?i:(?:many |a lot of |big )?(?:thanks|thank you)(?: (?:so|very) much| a lot| again|"
    r" in advance| for (?:your|the) (?:help|time|support|assistance))?|thx|ty|tia|cheers|"
    r"best(?: regards| wishes)?|(?:kind|warm|warmest|with kind|many) regards|regards|"
    r"sincerely|yours(?: truly| sincerely| faithfully)?|all the best|take care|talk soon|"
    r"merci(?: beaucoup)?|cordialement|gracias|saludos|un saludo|danke(?: schön)?|"
    r"viele grüße|mit freundlichen grüßen|lg|mfg)"
    r"[ \t]*[,.!]*(?:[ \t]*[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){0,2})?[ \t]*[.!]*"
)
_NAME_LINE = re.compile(r"[A-Z][\w'-]*\.?(?:[ \t]+[A-Z][\w'-]*\.?){0,2}")
_SMALL_TALK = re.compile(
    rf"^(?:(?:{_GREETING_WORD}|thanks?|thank you|thx|ty|cheers|bye|goodbye|see you|"
    r"have a (?:nice|good|great) (?:day|one|weekend)|merci|gracias|danke|ok|okay|great|"
    r"perfect|awesome|how are you|(?:i )?hope (?:you(?:'re| are) (?:well|good)|"
    r"(?:this|my (?:email|message)) finds you well|you (?:can|could) help)|"
    r"sorry (?:to (?:bother|trouble) you|for (?:the|my) (?:trouble|long (?:email|message)|"
    r"bother)|for bothering you)|so much|very much|"
    r"a lot|in advance|again|for (?:your|the) (?:help|time))[\s,.!?]*)+"
    r"(?-i:[A-Z][\w'-]*)?[\s.!]*$",
    re.IGNORECASE,
)
_ACKNOWLEDGEMENT = re.compile(
    r"(?:ok|okay|k|kk|alright|all right|fine|right|great|perfect|cool)[\s,.!]*", re.IGNORECASE
)
"""An "ok." next to an ask acknowledges, it does not confirm: it joins its neighbour."""
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "no", "nr", "vs", "etc", "e.g", "i.e", "approx", "apt"}
    | {"ave", "rd", "jr", "sr", "co", "inc", "ltd", "dept"}
)
_SENTENCE_END = re.compile(r"[.?!]+[\"')\]]*\s+")

_WH = (
    r"how (?:long|much|many|soon|often|quickly|fast|late|do|does|did|can|could|would|will|is|"
    r"are|should|come)|how's|what(?:'s| is| are| do| does| did| about| if| happens| kind)|"
    r"when(?:'s| is| are| will| would| do| does| did| can| should| could)|"
    r"where(?:'s| is| are| do| does| did| can| should| will)|why|"
    r"which (?:one|ones|size|colou?r|courier|carrier|day|date|address|card|payment|method|"
    r"option|way|do|does|should|would|can)|who (?:do|does|did|can|should|will|pays)"
)
"""Question openings; a bare ", which" or ", who" usually starts a relative clause instead."""
_AUX = (
    r"(?:do|does|did|is|are|was|were|can|could|will|would|should|may|has|have)\s+"
    r"(?:you|u|i|we|it|they|there|this|that|my|the|your|orders?|returns?|refunds?|exchanges?)"
)
_CLAUSE_STARTER = rf"(?:(?:also|then)\s+)?(?:{_WH}|{_AUX}|please|pls|i'?d like|i want|i need)\b"
_CLAUSE_BREAK = re.compile(
    rf"(?:,\s*|;\s*|\s+)(?:and|but|plus|&)\s+(?={_CLAUSE_STARTER})|[,;]\s+(?={_CLAUSE_STARTER})",
    re.IGNORECASE,
)
_SUBORDINATE = re.compile(
    r"^(?:if|when|once|after|before|since|because|as|although|though|unless|in case|so that)\b",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^(?:(?:and|also|but|so|plus|oh|ok|okay|well|btw|by the way|one more thing|in the meantime|"
    r"meanwhile|while i'm writing|while i am writing|quick one|quick question|two questions|"
    r"another thing|secondly|lastly|finally|then|hi|hey|hello|sorry)\b[\s:,.!\-\u2013\u2014]*)+",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'#$€£-]+", text)


def _cut_quotes(text: str, aside: list[SetAside]) -> str:
    """Drop quoted replies, forwarded messages and signatures after a `--` or mobile footer."""
    for pattern, kind in (
        (_QUOTE_START, AsideKind.QUOTED),
        (_SIGNATURE_START, AsideKind.SIGNATURE),
    ):
        match = pattern.search(text)
        if match:
            aside.append(SetAside(kind, text[match.start() :].strip()))
            text = text[: match.start()]
    kept = []
    for line in text.split("\n"):
        if line.lstrip().startswith(">"):
            aside.append(SetAside(AsideKind.QUOTED, line.strip()))
        else:
            kept.append(line)
    return "\n".join(kept)


def _cut_greeting_and_sign_off(lines: list[str], aside: list[SetAside]) -> list[str]:
    """Set aside a greeting line at the top and a sign-off (with name and title) at the bottom."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    if content and _GREETING_LINE.fullmatch(lines[content[0]].strip()):
        aside.append(SetAside(AsideKind.GREETING, lines[content[0]].strip()))
        lines = lines[: content[0]] + lines[content[0] + 1 :]
        content = [i for i, line in enumerate(lines) if line.strip()]
    tail = content[-4:]
    for position, index in enumerate(tail):
        rest = [lines[i].strip() for i in tail[position:]]
        if _SIGN_OFF.fullmatch(rest[0]) and all(
            len(_words(line)) <= 6 and "?" not in line for line in rest[1:]
        ):
            aside.append(SetAside(AsideKind.SIGN_OFF, "\n".join(rest)))
            return lines[:index]
    if len(content) >= 2 and _NAME_LINE.fullmatch(lines[content[-1]].strip()):
        aside.append(SetAside(AsideKind.SIGNATURE, lines[content[-1]].strip()))
        return lines[: content[-1]]
    return lines


def _sentences(paragraph: str) -> list[str]:
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        before = paragraph[start : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if (
            match.group().startswith(".")
            and match.group().strip() == "."
            and (last in _ABBREVIATIONS or len(last) == 1)
        ):
            continue
        sentences.append(paragraph[start : match.end()].strip())
        start = match.end()
    sentences.append(paragraph[start:].strip())
    return [s for s in sentences if s]


def _paragraphs(lines: list[str]) -> list[str]:
    """Join wrapped lines; a line break ends a sentence after end punctuation or a new ask."""
    paragraphs: list[str] = []
    current = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
        elif current and (
            re.search(r"[.?!:;]$", current)
            or re.match(_CLAUSE_STARTER, _LEAD_IN.sub("", line), re.IGNORECASE)
        ):
            paragraphs.append(current)
            current = line
        else:
            current = f"{current} {line}".strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def _clauses(sentence: str) -> list[str]:
    """Split a sentence where a new question or request starts after "and", "but" or ","."""
    clauses, start = [], 0
    for match in _CLAUSE_BREAK.finditer(sentence):
        left = sentence[start : match.start()].strip()
        long_enough = len(_words(_LEAD_IN.sub("", left))) >= MIN_PART_WORDS or _is_yes_no(left)
        if (
            long_enough
            and not _SUBORDINATE.match(_LEAD_IN.sub("", left))
            and not _same_ask(left, sentence[match.end() :])
        ):
            clauses.append(left)
            start = match.end()
    clauses.append(sentence[start:].strip())
    return [c for c in clauses if c]


def _same_ask(left: str, right: str) -> bool:
    """A short request pointing back continues the request before it ("..., please stop it")."""
    next_clause = _CLAUSE_BREAK.split(right, maxsplit=1)[0]
    return (
        len(_words(next_clause)) <= MAX_ECHO_WORDS
        and _POINTS_BACK.search(next_clause) is not None
        and rule_act(left) == rule_act(next_clause) == DialogueAct.REQUEST
    )


def _is_small_talk(text: str) -> bool:
    return bool(_SMALL_TALK.match(text.strip())) and not _ACKNOWLEDGEMENT.fullmatch(text.strip())


def _is_yes_no(text: str) -> bool:
    """A bare yes or no: short, and asking nothing besides ("ok, where is it?" is a question)."""
    if len(_words(text)) > MAX_YES_NO_WORDS or "?" in text:
        return False
    rest = re.sub(r"^\W*\w+\W*", "", text.strip())
    return (is_confirmation(text) or is_denial(text)) and not re.match(_WH, rest, re.IGNORECASE)


def _is_fragment(text: str) -> bool:
    acknowledgement = _ACKNOWLEDGEMENT.fullmatch(text.strip())
    return (
        len(_words(text)) < MIN_PART_WORDS
        and "?" not in text
        and (acknowledgement is not None or not _is_yes_no(text))
    )


def _merge_fragments(parts: list[str]) -> list[str]:
    """Attach fragments to the next part (the previous one at the end); join statement runs."""
    merged: list[str] = []
    carry = ""
    for part in parts:
        text = f"{carry} {part}".strip() if carry else part
        carry = ""
        if _is_fragment(text):
            carry = text
        elif merged and _statement(text) and _statement(merged[-1]):
            merged[-1] = f"{merged[-1]} {text}"
        else:
            merged.append(text)
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    return merged


def _statement(text: str) -> bool:
    """No question, request, yes/no or small-talk cue: a report, or context for another part."""
    return not _is_yes_no(text) and not _is_small_talk(text) and rule_act(text) is None


def split_message(text: str) -> MessageParts:
    """Split a message into the parts that may carry an ask (see the module docstring)."""
    aside: list[SetAside] = []
    body = _cut_quotes(text.replace("\r\n", "\n").replace("\xa0", " "), aside)
    lines = _cut_greeting_and_sign_off(body.split("\n"), aside)
    pieces: list[str] = []
    for paragraph in _paragraphs(lines):
        for sentence in _sentences(paragraph):
            pieces.extend(_clauses(sentence))
    if pieces:
        greeting = _GREETING_PREFIX.match(pieces[0])
        if greeting and len(_words(pieces[0][greeting.end() :])) >= 2:
            aside.append(SetAside(AsideKind.GREETING, greeting.group().strip()))
            pieces[0] = pieces[0][greeting.end() :]
    talk = [p for p in pieces if _is_small_talk(p) and not _is_yes_no(p)]
    if talk and len(talk) < len(pieces):
        aside.extend(SetAside(AsideKind.SMALL_TALK, p) for p in talk)
        pieces = [p for p in pieces if p not in talk]
    if not pieces:
        small_talk = [a.text for a in aside if a.kind != AsideKind.QUOTED]
        pieces = [" ".join(small_talk)] if small_talk else ([text.strip()] if text.strip() else [])
        aside = [a for a in aside if a.kind == AsideKind.QUOTED]
    parts = _merge_fragments(pieces)
    if len(parts) > MAX_PARTS:  # a pasted document: bound the work, keep every word
        parts = [*parts[: MAX_PARTS - 1], " ".join(parts[MAX_PARTS - 1 :])]
    return MessageParts(tuple(parts), tuple(aside))


# --- acts by rule ----------------------------------------------------------------------------

_INFO_VERB = r"(?:tell|let (?:me|us) know|explain|advise|clarify|say|inform|answer)"
_ACTION_VERB = (
    r"(?:cancel|refund|reimburse|return|send|resend|re-send|ship|reship|swap|exchange|switch|"
    r"change|update|amend|edit|correct|fix|modify|redirect|reroute|deliver|replace|process|"
    r"arrange|set up|start|issue|check|chase|track|look|find|investigate|follow|push|hurry|"
    r"speed|stop|void|remove|delete|add|give|email|e-mail|forward|put|get|help|sort|credit|open|"
    r"list|scrap|withdraw|close|hold|expedite|upgrade|show|reissue|re-issue|confirm|make|drop|"
    r"book|collect|pick up|mail|post|cancel|kill)"
)
_OBJECT = (
    r"(?:me|my|mine|it|this|that|these|those|the|a|an|one|order|orders|#|\d|up|out|on|over|back|"
    r"for|into|everything|all|both|them|us|our|please|pls|plz|asap|now|again|what|where|whether)"
)
_POLITE = r"(?:(?:please|pls|plz|kindly|just|also|possibly|maybe|quickly)\s+)*"
_NOT_INFO = rf"(?!{_POLITE}(?:be able to\s+)?{_INFO_VERB}\b)"
"""At the subject: what follows is not "tell me"/"explain" ("could you also tell me ...")."""
_AGENT_ASK = re.compile(
    rf"^(?:can|could|would|will|cn|can't|won't)\s+(?:you|u|ya|someone|somebody|anyone|"
    rf"you guys|your team)\s+{_NOT_INFO}",
    re.IGNORECASE,
)
_SERVICE_QUESTION = re.compile(
    r"^(?:can|could|will|would)\s+(?:you|u)\s+(?:ship|deliver|post|send)\s+(?:to|in|on|abroad|"
    r"internationally|overseas|outside)\b",
    re.IGNORECASE,
)
_POLITE_ASK = re.compile(
    rf"\b(?:you|u)\s+(?:could|can|would|might|will|'d)\s+{_NOT_INFO}{_POLITE}"
    rf"(?:be able to\s+)?{_ACTION_VERB}\w*|\bfor you to\s+{_NOT_INFO}\w+|"
    r"\bi need you to\b|\bwould you mind\b",
    re.IGNORECASE,
)
_ASKS_TO_BE_TOLD = re.compile(rf"\b{_INFO_VERB}\b(?:\s+(?:me|us))?\s+(?:if|whether)\b", re.I)
""""tell me whether you would refund": a question about what the store does."""
_IMPERATIVE = re.compile(
    rf"(?:^|[.!?,;]\s*|\band\s+){_POLITE}{_ACTION_VERB}(?:\s+\w+)?\s+{_OBJECT}"
    rf"|(?:^|[.!?,;]\s*){_POLITE}{_ACTION_VERB}\s*(?:pls|plz|please|asap|now)?[.!]*$",
    re.IGNORECASE,
)
_WISH = re.compile(
    r"^(?:i|we)\s*(?:'d|would|'m|am)?\s*(?:really\s+|also\s+|just\s+|now\s+|no longer\s+)?"
    r"(?:like|love|want|wanna|need|wish|demand|expect|insist on|require|rather|prefer|"
    r"returning|sending|going to (?:return|send|cancel|exchange))\b"
    r"(?!\s+(?:to\s+)?(?:know|ask|understand|find out|learn|enquire|inquire|hear|"
    r"check (?:if|whether|what|how|when)|see (?:if|whether)|some (?:info|information)|"
    r"(?:more )?(?:info|information|details) (?:on|about)|an answer|clarification)\b)",
    re.IGNORECASE,
)
_MUST_GO = re.compile(
    r"\b(?:needs?|has|have)\s+to\s+(?:go back|be (?:cancelled|canceled|returned|refunded|"
    r"exchanged|changed|replaced|sent back))\b",
    re.IGNORECASE,
)
_FOREIGN_REQUEST = re.compile(
    r"\b(?:quiero|quisiera|necesito|por favor|pueden|podrían|mánde\w*|envíe\w*|cancelen|"
    r"je veux|je voudrais|je souhaite|j'aimerais|merci de|pouvez-vous|pourriez-vous|veuillez|"
    r"ich möchte|ich will|ich hätte gern|bitte|können sie|könnten sie|würden sie)\b"
    r"(?!\s+(?:saber|savoir|wissen)\b)",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    rf"^(?:{_WH}|{_AUX}|wat|wht|wher|whats|wheres|hw|hows|whens|any (?:idea|chance|way)|"
    r"is it possible|isn't|aren't|won't|can't|don't|doesn't|didn't|did|do|does|can|could|"
    r"is|are|was|were|will|would|should|may|has|have|how|what|when|where|"
    r"est-ce|qu'est-ce|comment|combien|quand|pourquoi|puis-je|peut-on|peut-être|"
    r"cómo|cuánto|cuándo|dónde|qué|puedo|se puede|wie|wann|wo|warum|kann ich|gibt es)\b",
    re.IGNORECASE,
)
_INFO_ASK = re.compile(
    r"\b(?:i(?:'d| would)? (?:also |just )?(?:like|want|wanna|need) to know|wondering|"
    r"i wonder|tell me|let me know|can you explain|curious|any idea|do you know|"
    r"i have a question|question about|quiero saber|je voudrais savoir|ich möchte wissen)\b",
    re.IGNORECASE,
)
_WEAK_REQUEST = re.compile(r"\b(?:please|pls|plz|asap|kindly)\b", re.IGNORECASE)


def _lead_stripped(text: str) -> str:
    return _LEAD_IN.sub("", text.strip().replace("\u2019", "'")).strip()


def rule_act(text: str) -> DialogueAct | None:
    """The act the wording alone decides, or None (a statement: a report, or context)."""
    if _is_yes_no(text):
        return DialogueAct.YES_NO
    if _is_small_talk(text):
        return DialogueAct.SMALL_TALK
    core = _lead_stripped(text)
    if not _SERVICE_QUESTION.match(core) and (
        _AGENT_ASK.match(core)
        or (_POLITE_ASK.search(core) and not _ASKS_TO_BE_TOLD.search(core))
        or _IMPERATIVE.search(core)
        or _WISH.match(core)
        or _MUST_GO.search(core)
        or _FOREIGN_REQUEST.search(core)
    ):
        return DialogueAct.REQUEST
    if "?" in core or core.startswith("¿") or _QUESTION_START.match(core) or _INFO_ASK.search(core):
        return DialogueAct.QUESTION
    if _WEAK_REQUEST.search(core):
        return DialogueAct.REQUEST
    return None


_MAY_I = re.compile(r"^(?:can|could|may|am i able to|is it ok if)\s*(?:i|we)\b", re.IGNORECASE)


def _act_in_context(text: str, act: DialogueAct, intent: str, previous: Ask | None) -> DialogueAct:
    """A question about acting on a named order, or right after reporting a problem with an item,
    asks to act ("the bowl came chipped. can I get a refund?")."""
    if act != DialogueAct.QUESTION or intent not in QUESTION_TOPICS:
        return act
    if extract_entities(text).order_names:
        return DialogueAct.REQUEST
    if (
        previous is not None
        and previous.act == DialogueAct.REPORT
        and previous.intent in {"damaged_item", intent}
        and _MAY_I.match(_lead_stripped(text))
    ):
        return DialogueAct.REQUEST
    return act


# --- asks ------------------------------------------------------------------------------------

_TOPIC_WORD = re.compile(
    r"(?:ship|deliver|post|courier|parcel|package|track|order|purchase|return|refund|money|"
    r"reimburs|exchang|swap|cancel|address|invoice|receipt|bill|pay|card|charg|cost|fee|price|"
    r"discount|code|coupon|voucher|promo|account|password|log|sign|email|newsletter|size|colou?r|"
    r"stock|material|fabric|wash|fit|broke|damag|wrong|missing|faulty|defect|warrant|policy|"
    r"credit|gift|product|item|stuff|shirt|dress|jeans|shoe|jacket|coat|hoodie|bag|mug|"
    r"person|human|agent|complain|pedido|commande|bestell|envío|livraison|versand|devol|"
    r"rembours|reembols|retour)",
    re.IGNORECASE,
)
"""Word stems that name what a part is about; a follow-up without one leans on the part before."""


@dataclass(frozen=True)
class _Reading:
    """One part with what the rules and the models say about it."""

    text: str
    rule: DialogueAct | None
    own: IntentPrediction
    in_context: IntentPrediction | None
    model_act: ActScore


def _intent_of(reading: _Reading) -> IntentPrediction:
    """The part's own intent, or, for a follow-up that names no topic ("how long would I have?"),
    the intent of the part read after the one before it."""
    own, joined = reading.own, reading.in_context
    if joined is None or joined.low_confidence:
        return own
    return joined if own.low_confidence or not _names_topic(reading.text) else own


def _names_topic(text: str) -> bool:
    return any(_TOPIC_WORD.match(word) for word in _words(text))


def read_message(
    text: str, classifier: IntentClassifier | None = None, acts: ActClassifier | None = None
) -> tuple[IntentPrediction, MessageParts, tuple[Ask, ...]]:
    """The whole message's intent, its parts and its asks, from one encoder call."""
    model = classifier or IntentClassifier.load()
    act_model = acts or ActClassifier.load(model.encoder)
    split = split_message(text)
    parts = list(split.parts)
    joined = [f"{parts[i - 1]} {parts[i]}" for i in range(1, len(parts))]
    vectors = model.encode([text, *parts, *joined])
    predictions = model.predict_vectors(vectors)
    whole, own, paired = (
        predictions[0],
        predictions[1 : 1 + len(parts)],
        predictions[1 + len(parts) :],
    )
    model_acts = act_model.predict_vectors(vectors[1 : 1 + len(parts)])
    readings = [
        _Reading(part, rule_act(part), own[i], paired[i - 1] if i else None, model_acts[i])
        for i, part in enumerate(parts)
    ]
    asks: list[Ask] = []
    pending_context = ""
    for reading in readings:
        ask = _ask(reading, asks[-1] if asks else None)
        if ask is None:
            if asks:  # context for the ask before it: "it was supposed to come monday"
                asks[-1] = _with_text(asks[-1], f"{asks[-1].text} {reading.text}")
            else:
                pending_context = f"{pending_context} {reading.text}".strip()
            continue
        if pending_context:
            ask = _with_text(ask, f"{pending_context} {ask.text}")
            pending_context = ""
        asks.append(ask)
    if pending_context:  # nothing but context: the message is one report
        asks.append(_ask(readings[0], None, keep=True) or _fallback(readings[0]))
    if _NOT_ABOUT_AN_ORDER.search(text):
        asks = _general(asks)
    return whole, split, tuple(asks)


_NOT_ABOUT_AN_ORDER = re.compile(
    r"\b(?:(?:is|it'?s|this'?s|that'?s)(?:n'?t| not) (?:about|regarding|for) (?:an?|my|any|one "
    r"of my|a specific|a particular) (?:\w+ )?(?:orders?|purchases?)|not about (?:an?|my|any|one "
    r"of my) (?:\w+ )?(?:orders?|purchases?)|(?:nothing|not) (?:ordered|bought|purchased) yet|"
    r"(?:haven'?t|have not|didn'?t|did not) (?:ordered|bought|purchased|placed an order)(?: "
    r"anything)?(?: yet)?\b(?! (?:arrive|come|turn))|no orders? (?:yet|placed)|"
    r"(?:just )?a general (?:policy )?(?:question|q)\b|general (?:policy )?q\b|"
    r"before i (?:order|buy|purchase|place an order))",
    re.IGNORECASE,
)
"""The customer says the message is a general question ("this isn't about an order of mine",
"nothing ordered yet"): its order words ask how things work, not about an order of theirs."""
GENERAL_TOPICS = {
    **QUESTION_TOPICS,
    "refund_status": "policy_question",
    "track_order": "delivery_options",
    "order_details": "policy_question",
}


def _general(asks: list[Ask]) -> list[Ask]:
    """The asks of a message that says it is a general question: the saying set aside, and what
    reads as an order matter taken as a question about how that works."""
    kept = [
        a
        for a in asks
        if not (_NOT_ABOUT_AN_ORDER.search(a.text) and len(_words(a.text)) <= GENERAL_NOTE_WORDS)
    ] or asks
    return [
        Ask(
            a.text,
            DialogueAct.QUESTION,
            GENERAL_TOPICS[a.intent],
            a.confidence,
            a.low_confidence,
            a.intent,
        )
        if a.intent in GENERAL_TOPICS and a.act != DialogueAct.YES_NO
        else a
        for a in kept
    ]


GENERAL_NOTE_WORDS = 9
"""A part this short that says the message is general says nothing else ("nothing ordered yet")."""


def _with_text(ask: Ask, text: str) -> Ask:
    return Ask(text, ask.act, ask.intent, ask.confidence, ask.low_confidence, ask.topic_intent)


def _fallback(reading: _Reading) -> Ask:
    own = reading.own
    return Ask(reading.text, DialogueAct.REPORT, own.intent, own.confidence, own.low_confidence)


def _statement_act(model_act: ActScore) -> DialogueAct:
    """A part no rule reads is a problem report unless the act classifier is sure it is not."""
    return model_act.act if model_act.score >= MIN_MODEL_ACT_SCORE else DialogueAct.REPORT


def _ask(reading: _Reading, previous: Ask | None, keep: bool = False) -> Ask | None:
    """The ask a part carries, or None when it only gives context for a neighbour."""
    text = reading.text
    if reading.rule == DialogueAct.YES_NO:
        intent = "confirm" if is_confirmation(text) else "deny"
        return Ask(text, DialogueAct.YES_NO, intent, 1.0, False)
    prediction = _intent_of(reading)
    act = reading.rule or _statement_act(reading.model_act)
    if reading.rule is None and not keep:
        if prediction.intent in NO_ASK_INTENTS or (
            prediction.low_confidence and not _names_topic(text)
        ):
            return None  # "Sorry, forwarding this from my wife."
        if previous is not None and (
            prediction.low_confidence
            or prediction.intent in {previous.intent, previous.topic_intent}
        ):
            return None  # "where is #9904? it was supposed to come monday."
        if act in (DialogueAct.SMALL_TALK, DialogueAct.YES_NO):
            act = DialogueAct.REPORT
    act = _act_in_context(text, act, prediction.intent, previous)
    intent, topic = prediction.intent, None
    if act == DialogueAct.QUESTION and intent in QUESTION_TOPICS:
        intent, topic = QUESTION_TOPICS[intent], intent
    elif act == DialogueAct.QUESTION and intent in KNOWLEDGE_OF_ACTIONS:
        # "what is your returns policy?": policy first, returns close behind.
        topic = next(
            (
                s.intent
                for s in prediction.top[1:]
                if s.intent in QUESTION_TOPICS and s.score >= MIN_TOPIC_SCORE
            ),
            None,
        )
    elif act == DialogueAct.SMALL_TALK:
        intent = "greeting"
    return Ask(text, act, intent, prediction.confidence, prediction.low_confidence, topic)


def asks_of(text: str, classifier: IntentClassifier | None = None) -> tuple[Ask, ...]:
    """Every ask of a message, in order (see the module docstring)."""
    return read_message(text, classifier)[2]
