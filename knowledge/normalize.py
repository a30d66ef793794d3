"""Query normalization shared by the lexical and dense retrievers.

Customers write "refnd", "addy", "¿cuándo llega mi pedido?". The embedding model and BM25 are
English-only and exact-token, so before searching we (1) expand chat shorthand, (2) add English
equivalents for common support words in Spanish, French and German, and (3) for BM25 only, fix
misspellings against the index vocabulary. The original words are kept: expansion only adds.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "addy": "address",
    "pw": "password",
    "pwd": "password",
    "acct": "account",
    "intl": "international",
    "pkg": "package",
    "promo": "discount code",
    "giftcard": "gift card",
    "rn": "right now",
    "asap": "quickly",
    "wanna": "want to",
    "gonna": "going to",
    "cx": "cancel",
    "canx": "cancel",
    "ppl": "people",
    "tmrw": "tomorrow",
    "info": "information",
    "xl": "extra large",
    "xs": "extra small",
    "paypal": "paypal payment",
    "amex": "american express",
    "ship": "ship shipping",
    "cc": "credit card",
    "msg": "message",
    "bday": "birthday",
}

# Support vocabulary only; accents are stripped before lookup ("envío" -> "envio").
_GLOSSARY = {
    # Spanish
    "devolver": "return",
    "devolucion": "return",
    "devoluciones": "returns",
    "reembolso": "refund",
    "reembolsos": "refund",
    "envio": "shipping",
    "envios": "shipping",
    "pedido": "order",
    "pedidos": "order",
    "cancelar": "cancel",
    "direccion": "address",
    "talla": "size",
    "tallas": "size sizing",
    "tarjeta": "card",
    "regalo": "gift",
    "garantia": "warranty",
    "cuanto": "how long",
    "tarda": "takes",
    "llega": "arrive delivery",
    "roto": "damaged",
    "danado": "damaged",
    "pago": "payment",
    "contrasena": "password",
    "cuenta": "account",
    "datos": "data",
    "borrar": "delete",
    "aduanas": "customs duties",
    "impuestos": "taxes duties",
    "cambio": "exchange",
    "cambiar": "change exchange",
    "descuento": "discount",
    "codigo": "code",
    "horario": "hours",
    "internacional": "international",
    "dias": "days",
    "paquete": "package",
    "seguimiento": "tracking",
    "lavar": "wash care",
    "como": "how",
    "cuando": "when",
    "recibire": "receive",
    "mexico": "mexico international",
    # French
    "comment": "how",
    "recevoir": "receive",
    "quand": "when",
    "retour": "return",
    "retourner": "return",
    "remboursement": "refund",
    "rembourse": "refund",
    "livraison": "delivery shipping",
    "commande": "order",
    "annuler": "cancel",
    "adresse": "address",
    "taille": "size",
    "carte": "card",
    "cadeau": "gift",
    "douane": "customs duties",
    "douanes": "customs duties",
    "frais": "fees",
    "paiement": "payment",
    "passe": "password",
    "compte": "account",
    "donnees": "data",
    "supprimer": "delete",
    "endommage": "damaged",
    "echange": "exchange",
    "combien": "how long",
    "jours": "days",
    "colis": "package",
    "suivi": "tracking",
    "entretien": "care",
    "laver": "wash care",
    "remise": "discount",
    # German
    "wie": "how",
    "wann": "when",
    "lauft": "expire",
    "ablaufen": "expire",
    "deutschland": "germany international",
    "osterreich": "austria international",
    "schweiz": "switzerland international",
    "vergessen": "forgot",
    "zeit": "time",
    "rucksendung": "return",
    "ruckgabe": "return",
    "zurucksenden": "return",
    "erstattung": "refund",
    "ruckerstattung": "refund",
    "geld": "money refund",
    "versand": "shipping",
    "lieferung": "delivery",
    "bestellung": "order",
    "stornieren": "cancel",
    "grosse": "size",
    "karte": "card",
    "geschenkkarte": "gift card",
    "gutschein": "gift card voucher",
    "zoll": "customs duties",
    "gebuhren": "fees",
    "zahlung": "payment",
    "passwort": "password",
    "konto": "account",
    "daten": "data",
    "loschen": "delete",
    "beschadigt": "damaged",
    "kaputt": "damaged",
    "umtausch": "exchange",
    "umtauschen": "exchange",
    "lange": "how long",
    "tage": "days",
    "paket": "package",
    "sendungsverfolgung": "tracking",
    "garantie": "warranty",
    "waschen": "wash care",
    "rabatt": "discount",
    "rabattcode": "discount code",
}

# English support words that stores write in other words ("do gift cards expire?" against
# "stay valid for five years"). Both directions where both are common; additions only.
_SYNONYMS = {
    "expire": "valid validity",
    "expires": "valid validity",
    "expired": "valid validity",
    "expiry": "valid validity",
    "expiration": "valid validity",
    "valid": "expire",
    "validity": "expire",
    "deadline": "within days",
    "around": "hours open",
    "courier": "carrier",
    "couriers": "carrier",
    "parcel": "package",
    "package": "parcel",
    "swap": "exchange",
    "trade": "exchange",
    "exchange": "swap",
    "broken": "damaged",
    "smashed": "damaged",
    "cracked": "damaged",
    "snapped": "damaged",
    "faulty": "defective damaged",
    "defective": "faulty damaged",
    "fee": "cost",
    "fees": "cost",
    "guarantee": "warranty",
    "guaranteed": "warranty",
    "warranty": "guarantee",
    "reach": "contact",
    "christmas": "holiday",
    "xmas": "holiday",
    "hanukkah": "holiday",
    "thanksgiving": "holiday",
    "holidays": "holiday",
}
_STOPWORDS = frozenset(
    " ".join(
        (
            "a an the and or but if of to in on at for with from by as is are was were be",
            "been am i me my we our you your it its this that these those do does did have",
            "has had can could would should will just so than then there here what which who",
            "whom how when where why hi hello hey please thanks thank any some get got im ive",
            "id dont not no yes about up out into over again also too very really still yet",
            "ok okay",
        )
    ).split()
)

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def strip_accents(text: str) -> str:
    """'Rückgabe' -> 'Ruckgabe'; used for glossary lookups and lexical tokens."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_SENT_BACK = re.compile(
    r"\b(?:send|sends|sent|sending|ship|shipping|mail|post|take|bring)\s+(?:[a-z']+\s+){0,3}?back\b"
)
""""send the jacket back", "take it back": a return, in the words shoppers use for it."""


def expand_query(query: str) -> str:
    """The query plus English expansions of shorthand, foreign support words and synonyms."""
    lowered = strip_accents(query.lower())
    words = _TOKEN.findall(lowered)
    lookups = (_SHORTHAND, _GLOSSARY, _SYNONYMS)
    additions = [extra for word in words for table in lookups if (extra := table.get(word))]
    if _SENT_BACK.search(lowered):
        additions.append("return")
    if not additions:
        return query
    return f"{query} ({' '.join(dict.fromkeys(additions))})"


def stem(word: str) -> str:
    """A deliberately small English suffix stripper (plural, -ing, -ed), enough for BM25."""
    if len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + replacement
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-free, stop-word-free, stemmed tokens."""
    words = _TOKEN.findall(strip_accents(text.lower()).replace("'s", ""))
    return [stem(w) for w in words if w not in _STOPWORDS]


class SpellFixer:
    """Map unknown query tokens to the closest index token ('refnud' -> 'refund')."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary = sorted(set(vocabulary))
        self._known = frozenset(self.vocabulary)
        self._cache: dict[str, str | None] = {}

    def fix(self, tokens: Iterable[str]) -> list[str]:
        """Known tokens pass through; unknown ones of 4+ letters get their closest match."""
        fixed: list[str] = []
        for token in tokens:
            if token in self._known or len(token) < 4 or token.isdigit():
                fixed.append(token)
                continue
            if token not in self._cache:
                matches = difflib.get_close_matches(token, self.vocabulary, n=1, cutoff=0.8)
                self._cache[token] = matches[0] if matches else None
            match = self._cache[token]
            if match:
                fixed.append(match)
        return fixed
