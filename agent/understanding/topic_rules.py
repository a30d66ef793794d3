"""The rules for legal threats, chargebacks and self-harm: regexes for the phrasings customers
use, and guards against look-alikes.

`flags.rule_flags` asks `legal_threat`, `chargeback` and `self_harm` here; `harassment_rules`
holds the fourth topic, built with `phrases` and `SENTENCE` from here. Each pattern aims at a
whole phrasing (a verb with its target, an agency with a complaint), not at a word: "court"
alone is shoes or tennis. The guards drop a match that names a product or a programme ("the
Small Claims board game", "a court case on TV"), a payment the customer vouches for ("the fraud
alert was me"), or a phrase whose object is a subscription ("end it all: the newsletter, the
lot"). The vocabulary also covers the Spanish, French, German, Portuguese and Italian phrasings
the English embedding model reads poorly.
"""

from __future__ import annotations

import re

from agent.understanding.topics_scoring import is_negated


def phrases(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of `patterns` as whole words."""
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE)


_NEGATION = re.compile(
    r"\b(?:not|never|no|don't|dont|do not|won't|wont|will not|isn't|no need to|"
    r"didn't|without)\b(?!\s+(?:make|force|push) (?:me|us)\b)(?:\s+\w+){0,4}\s*$"
)
"""A negation closing the clause before a match; "don't make me take you to court" is a threat."""
SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
"""A sentence with its closing punctuation (a line break also ends one)."""

# --- names and programmes -----------------------------------------------------------------------

_PRODUCT_NOUN = (
    r"(?:board game|card game|game|palette|book|novel|album|song|film|movie|show|series|episode|"
    r"podcast|documentary|box ?set|dvd|perfume|fragrance|scent|tee|t-?shirt|shirt|hoodie|"
    r"sweater|jumper|jacket|blazer|dress|print|poster|mug|candle|lipstick|shade|polish|kit|set|"
    r"edition|figure|toy|costume|collection|range|tote|bag|puzzle|sticker|plush|bundle)"
)
_TITLE_FOLLOWS = re.compile(
    rf"^(?:\s+(?:[A-Z][\w'-]*|of|the|and|&|de|la|le)){{0,3}}\s+{_PRODUCT_NOUN}\b",
)
_WATCHED = re.compile(
    r"\b(?:on (?:tv|telly|television|the radio|the news|netflix|youtube)|watch(?:ing|ed)? "
    r"(?:a|the|this|some) (?:\w+ ){0,2}(?:show|programme|program|documentary|film|movie|series|"
    r"drama|episode|case|trial)|documentar(?:y|ies)|podcast|episode|tv (?:show|series)|novel|"
    r"reading about)\b",
    re.IGNORECASE,
)


# "a band called Chargeback", "the shade named Overdose"; not "I called Amex".
_CALLED = re.compile(
    r"\b(?:is|was|are|were|'s|thing|one|book|game|band|brand|product|film|movie|song|series|range|"
    r"line|set|candle|perfume|shade|colou?r|dress|shirt|tee|hoodie)\s+(?:called|named|titled)\s+"
    r"[\"'\u201c\u2018]?$",
    re.IGNORECASE,
)


# A capitalised match opening a quoted title: the 'Suicide Doors' print, "Small Claims" on a box.
_QUOTED = re.compile(r"(?<=[\"'\u201c\u2018])[^\"'\u201d\u2019.!?]{1,40}[\"'\u201d\u2019]")


def _names_a_thing(text: str, match: re.Match[str]) -> bool:
    """The match is a product's or a programme's name, or happens on a screen.

    A capitalised match followed by a product noun ("the Overdose of Colour palette", "the
    Small Claims board game") is a name; a sentence about watching or reading is a programme.
    """
    start = match.start()
    if _CALLED.search(text[:start]):
        return True
    if text[start : start + 1].isupper() and _QUOTED.match(text, start):
        return True
    opens_sentence = re.search(r"(?:^|[.!?]\s*)$", text[:start])
    capitalised = text[start : start + 1].isupper() and not opens_sentence
    if capitalised and _TITLE_FOLLOWS.search(text[match.end() :]):
        return True
    return bool(_WATCHED.search(_sentence_at(text, start)))


def _sentence_at(text: str, index: int) -> str:
    for sentence in SENTENCE.finditer(text):
        if sentence.start() <= index < sentence.end():
            return sentence.group()
    return text


# "Lawsuit? No, ...", "legal steps aren't something I'm considering": denied right after.
_DENIED_AFTER = re.compile(
    r"^(?:\W{0,3}(?:no|nah|nope)\b|\s+(?:aren't|isn't|is not|are not|aren\u2019t|isn\u2019t) "
    r"(?:something|what|on my mind|necessary|needed|my plan|the plan))",
    re.IGNORECASE,
)


def _affirmed(pattern: re.Pattern[str], text: str) -> bool:
    """A match not negated in its clause, not denied right after, not a product's name."""
    for match in pattern.finditer(text):
        clause = re.split(r"[.!?;,]|\bbut\b", text[: match.start()])[-1]
        if _NEGATION.search(clause.lower()) or _DENIED_AFTER.search(text[match.end() :]):
            continue
        if not _names_a_thing(text, match):
            return True
    return False


# --- legal threats ------------------------------------------------------------------------------

_LAWYER = (
    r"(?:lawy?e?rs?|lawyr|attou?rne?ys?|atorne?ys?|solicit[eo]rs?|barristers?|"
    r"legal rep(?:resentative)?s?)"
)
_LEGAL = phrases(
    r"law ?suit(?:e|s)?|legal (?:action|proceedings|steps|advice|advise|route|remedies|"
    r"representation|counsel|team(?!\s+(?:asked|requested|wants|needs))|consequences|redress|"
    r"department will)|litigation|"
    r"cease and desist|small[- ]claims?|(?<!\bme )(?<!\bus )(?:to|into) court(?!\s+(?:shoes?|"
    r"heels?|pumps?))|"
    # "in court" is a threat where someone is to meet or answer there, not where a lawyer works
    r"(?:see|meet|settle|fight|explain|sort|answer|defend|prove|deal with|end up|finish|pursu|"
    r"tak|bring|resolv|decid|handl|challeng|contest|"
    r"(?:you|u|we)(?:'ll| will| are going to|'re going to| can))\w*\b[^.!?]{0,25}\bin court\b"
    r"(?!\s+(?:shoes?|heels?|pumps?))|"
    r"court (?:case|order|papers|summons)|"
    r"class action|served with papers|file suit|arbitration|subpoena|summons",
    # a lawyer the customer has, hires or hands the matter to
    rf"(?:my|our)\s+(?:\w+(?:'s|\u2019s)\s+)?(?:own\s+|family\s+|company\s+)?{_LAWYER}(?!'s|"
    rf"\u2019s)"
    r"\s+(?:will|is|are|has|"
    r"have|says?|said|can|would|advised|knows|drafted)",
    rf"(?:to|from|through|with|by)\s+my\s+{_LAWYER}(?!'s|\u2019s)",
    r"(?:get|getting|got|hire|hiring|hired|call|calling|contact|contacting|contacted|see|seeing|"
    r"speak(?:ing)? (?:to|with)|spok(?:e|en) (?:to|with)|talk(?:ing|ed)? (?:to|with)|"
    r"ask(?:ed|ing)?|consult(?:ing|ed)?|instruct(?:ing|ed)?|engag(?:e|ed|ing)|involv(?:e|ing)|"
    rf"retain(?:ing|ed)?)\s+(?:an?|my|our)\s+(?:[\w-]+\s+){{0,2}}?{_LAWYER}(?!\s+friend)",
    rf"(?:instruct|instructing|instructed|getting|hiring)\s+{_LAWYER}",
    # "I have the receipts and a lawyer", "I've got a solicitor"; not "a lawyer friend"
    rf"\bi(?:'ve|\u2019ve| have)(?: got)?\b[^.!?]{{0,60}}?(?:\band|,)\s+an?\s+{_LAWYER}\b"
    r"(?!'s|\u2019s)",
    rf"i(?:'ve|\u2019ve| have)(?: got)? an?\s+{_LAWYER}"
    r"(?!'s|\u2019s|\s+(?:friend|appointment|in the family))",
    r"lawyer(?:ing|ed)? up",
    r"(?:i'?ll|i will|i'm going to|im going to|gon+a|going to|to|will|and|or|can|could)\s+sue",
    r"su(?:e|ing)\s+(?:you|u|ya|your|the|this|them|over|for)",
    r"suing(?!\s+(?:nobody|no[- ]one|anybody|anyone))|sue-?ing|sueing",
    r"letter (?:before|of) (?:action|claim)|pre-action (?:letter|protocol|notice)|"
    r"formal (?:demand|legal (?:notice|complaint|demand))|letter of demand|demand letter|"
    r"notice before action",
    r"(?:issu|fil|start|commenc|bring|brought|began|begun)\w*\s+(?:legal |court )?"
    r"proceedings|(?:my|our) (?:legal )?counsel|legal aid",
    r"(?:issu|fil|lodg|mak|start|bring)\w*\s+(?:a|my)\s+(?:court |money |legal |civil |small )?"
    r"claim\s+(?:against (?:you|your|this|the (?:store|shop|company|seller|business))|"
    r"(?:through|at|in|with) (?:the )?(?:courts?|tribunal|money claim))",
    r"(?:hired|instructed|engaged|retained|contacted|contacting|called) (?:a|my) law firm",
    r"seek\w* damages|sue (?:you |the \w+ )?for damages|claim for damages|"
    r"(?:in front of|before) a (?:judge|magistrate|jury)|(?:legal|court) (?:channels|means)",
    r"(?:let|have|ask) (?:a|the) (?:judge|magistrate|court|tribunal|jury|sheriff) "
    r"(?:decide|rule|settle|sort)",
    r"(?:a|the) (?:judge|magistrate|tribunal|jury) (?:will|can|could|should|gets to|is going to) "
    r"(?:decide|rule|settle)",
    r"(?:explain|justify)\w* (?:it|this|that|yourself|your \w+(?: \w+)?) to (?:a|the) "
    r"(?:judge|magistrate|court|tribunal|jury)",
    r"what (?:a|the) (?:judge|magistrate|court|tribunal|jury) (?:thinks|says|makes of)",
    r"the court will (?:send|contact|write|be in touch)",
    r"serv(?:e|ed|ing) (?:you )?(?:with )?(?:court |legal )?(?:papers|a summons|proceedings|"
    r"a claim)",
    r"(?:through|via|in) the courts|(?:to|through|in) (?:the )?small claims",
    r"county court (?:claim|judgment|judgement)",
    r"let (?:the|our|my) (?:lawyers|solicitors|attorneys) (?:sort|deal|handle|decide)",
    # the police, about the store
    r"(?:report|reporting|reported|shop|shopping)\s+(?:you|u|ya|your (?:\w+ )?(?:store|shop|"
    r"company|business|site|website|firm|lot|outfit)|this (?:store|shop|company|business|site|"
    r"website|scam)|the (?:store|shop|company|seller))\s+to the (?:police|cops|fraud squad)",
    r"(?:police|criminal) (?:report|complaint|case)\s+(?:about|against|on|over|regarding|naming|"
    r"saying|stating|that)\s+(?:you|your|this|the (?:store|shop|company|seller|business|site))",
    r"crime (?:reference|ref)(?: number| no)?\b[^.!?]{0,30}\b(?:you|your|this (?:store|shop|"
    r"company|site))|call\w* the (?:police|cops) on (?:you|your)|"
    r"(?:police|cops) (?:are|is|have been|got) "
    r"(?:now |already )?involved|report\w* (?:you|your \w+|this \w+) for (?:fraud|scam\w*|theft)",
    r"see you (?:in|at) (?:the )?(?:\w+ )?(?:court|tribunal)",
    # Spanish, French, German, Portuguese, Italian.
    r"burofax|(?:ir\w*|vamos|llev\w*|nos vemos|ver\w*|acud\w*|acabar\w*|termin\w*)\b[^.!?]{0,20}"
    r"\b(?:juzgados?|tribunales)|juizado|mise en demeure|abmahnung|diffida|(?:il mio|mio) legale|"
    r"ação (?:contra|judicial|na justiça)|entrar com (?:uma )?ação|attaquer en justice|"
    r"(?:mi|(?<!soy )un|nuestro) abogad[oa](?!\s+(?:me |nos )?(?:recomend|habl))|demand(?:ar|aré|"
    r"aremos|"
    r"arles?|arlos)|poner una demanda|denunciar(?:les|los)?|acciones legales|"
    r"(?:vía|via) judicial|(?:iré|ir|iremos|vamos|llevar\w*) a juicio|"
    r"una demanda (?:contra|judicial)",
    r"(?:mon|(?<!suis )un|notre) avocat|poursuites judiciaires|en justice|"
    r"(?:ir\w*|all\w*|traîn\w*|emmen\w*|port\w*(?: \w+)?|verr\w*|retrouv\w*|voi\w*) au tribunal|"
    r"sais\w* (?:le|les) tribunaux?|(?:porter|déposer|porte|dépose) plainte|action en justice|"
    r"procédure judiciaire|devant (?:les |le |un )?(?:tribuna\w*|juge)",
    r"(?:mein(?:en|em)?|einen|unser(?:en|em)?) (?:rechts)?anwalt|verklag\w*|klage einreichen|"
    r"vor gericht|rechtliche schritte|gerichtlich\w*|fall für den anwalt|klage (?:ein|erhebe)\w*|"
    r"reiche\w* (?:\w+ )?klage|"
    r"anzeige (?:gegen|erstatten)",
    r"(?:meu|(?<!sou )um) advogado|(?:vou|vamos|irei) processar|processar (?:vocês|voces|a loja|"
    r"a empresa|"
    r"a vossa|o site)|(?:na|à) justiça|ação judicial|boletim de ocorrência",
    r"(?:mio|(?<!sono )un) avvocato|vi (?:faccio|farò) causa|denuncia|vie legali|fare causa",
)

# Consumer regulators, agencies and tribunals by country: a complaint to one is a legal step.
_AGENCY = phrases(
    r"accc|ncat|vcat|qcat|ocat|civil (?:and administrative|resolution) tribunal|"
    r"disputes tribunal|(?:consumer|small claims|civil) tribunal|tribunal|fair trading|"
    r"consumer affairs(?: \w+)?|consumer protection|consumer (?:council|commission|ombudsman|"
    r"agency|rights (?:body|agency|organi[sz]ation))|commerce commission|competition bureau|"
    r"ftc|federal trade commission|cfpb|consumer financial protection bureau|ombudsman|"
    r"european consumer cent(?:re|er)s?|ecc(?:[- ]net)?|citizens advice|"
    r"consumer (?:rights|advice|protection) (?:office|centre|center|service|bureau)|"
    r"(?:the|my|our) ag(?=\W*$|\s+(?:for|about|over|and|if|unless|\W))|"
    r"consumer (?:watchdog|regulator)|médiateur de la consommation|"
    r"(?:state )?(?:attorneys? general|ag(?:'s)? office)|(?:my|the) state ag|"
    r"better business bureau|bbb|trading standards|action fraud|"
    r"the (?:ico|asa|cma|ccpc|acma)|information commissioner(?:'s office)?|"
    r"data protection (?:authority|commissioner|regulator|office)|"
    r"gdpr (?:breach|violation|complaint)|"
    r"advertising standards(?: authority)?|competition and markets authority|"
    r"environmental health|food standards|health inspectors?|money claim(?: online)?|mcol|"
    r"small claims court|"
    r"procon|consumidor\.gov|reclame aqui|deco proteste|dgccrf|signal ?conso|"
    r"répression des fraudes|ufc[- ]que choisir|cnil|verbraucherzentrale|schlichtungsstelle|"
    r"bundesnetzagentur|datenschutzbehörde|omic|oficina (?:municipal )?de(?:l)? consumidor|"
    r"(?:en|a|ante) consumo|facua|profeco|sernac|indecopi|agcm|codacons|altroconsumo|"
    r"garante (?:della |per la )?privacy",
)
_COMPLAINT = phrases(
    r"report\w*|complain\w*|lodg\w*|fil(?:e|ed|es|ing)|escalat\w*|contact\w*|writ\w* to|"
    r"wrote to|go(?:ing)? (?:straight |right |directly )?to|went (?:straight )?to|tak\w* (?:this|"
    r"it|you|the matter|my case) to|notif\w*|"
    r"inform(?:ed|ing|s)?|alert\w*|refer\w*|involv\w*|call\w*|ring\w*|phon\w*|email\w*|"
    r"(?:open|start|mak|rais|submit)\w* (?:a |an )?(?:case|claim|complaint|report)|"
    r"denunci\w*|reclama\w*|queja|hoja de reclamaciones|plainte|signal(?:er|é|ée|ement)|saisi\w*|"
    r"beschwer\w*|(?:ge)?meld\w*|einschalt\w*|eingeschaltet|gewandt|wenden|queixa|registr(?:ar|ei|"
    r"ou|ando)|"
    r"segnal\w*|esposto|ricorso|ricorrer\w*|hear\w* (?:about|of|from me)|submi\w*|"
    r"let\w* (?!me |us )(?:\w+ ){1,4}know|next (?:stop|step|port of call)|warning letter|"
    r"formal warning|"
    r"abmahn\w*|mise en demeure|diffida",
)


# A lawyer who recommended the shop is a customer's friend, not a threat.
_LAWYER_PRAISES = re.compile(
    r"\b(?:lawyers?|attorneys?|solicitors?|barristers?|abogad[oa]s?|avocats?|"
    r"(?:rechts)?anw[aä]lt\w*|"
    r"advogad[oa]s?|avvocat[oa]|legale)\s+(?:[\w'\u2019]+\s+){0,4}?(?:recommend\w*|recomend\w*|"
    r"conseill\w*|empfohlen|empfiehlt|consigli\w*|suggested|told me about|lov(?:es|ed)|adore\w*|"
    r"encanta|habl\w+ (?:muy )?bien|regal\w*|offert|geschenkt|gave me|bought me|gift\w*)",
    re.IGNORECASE,
)


def _complains_to_an_agency(text: str) -> bool:
    """A sentence names a regulator, agency or tribunal and a complaint to it, not negated up to
    the agency ("I've reported you to the FTC for charges I never agreed to" still counts)."""
    for sentence in SENTENCE.findall(text):
        agency = _AGENCY.search(sentence)
        if (
            agency
            and _COMPLAINT.search(sentence)
            and not is_negated(sentence[: agency.end()])
            and not _names_a_thing(sentence, agency)
        ):
            return True
    return False


# The customer's own work: "I'm a solicitor and in court most days", "soy abogada".
_OWN_PROFESSION = re.compile(
    r"\b(?:i'?m|i\u2019m|i am|i work as) an? (?:\w+ )?(?:solicitor|lawyer|barrister|attorney|"
    r"judge|magistrate|paralegal|court (?:clerk|reporter|usher)|legal (?:secretary|assistant))\b|"
    r"\b(?:soy|sou|sono|je suis|ich bin)\s+(?:une? |um[a]? |un[a]? |)?(?:abogad[oa]|advogad[oa]|"
    r"avvocat[oa]|avocat(?:e)?|(?:rechts)?anwält\w*|juez|jueza|juiz|juíza|giudice|juge)\b",
    re.IGNORECASE,
)
# What a lawyer shopping for a blazer would not say unless it is a threat.
_PLAIN_THREAT = phrases(
    r"su(?:e|ing)|law ?suits?|legal action|proceedings|(?:take|taking|see) (?:you|u|this|it) "
    r"(?:to|in) court|demand\w*|verklag\w*|process\w*|(?:fare|faccio) causa|poursuites|plainte"
)
# Someone else's case: "my ex is taking me to court", "my husband is suing his employer".
_THIRD_PARTY_CASE = re.compile(
    r"\b(?:my|his|her|our) (?:\w+ )?(?:husband|wife|ex|neighbou?r|friend|sister|brother|mum|mom|"
    r"dad|"
    r"partner|son|daughter|boss|colleague|landlord|employer|family)\b[^.!?]{0,15}\b(?:is|was|are|"
    r"has been|have been|'s) (?:suing|taking (?:me|us|him|her|them) to)",
    re.IGNORECASE,
)


def legal_threat(text: str) -> bool:
    """Lawsuits, lawyers, courts, regulators, police reports about the store (see module doc)."""
    kept = SENTENCE.sub(
        lambda s: (
            ""
            if _LAWYER_PRAISES.search(s.group())
            or _THIRD_PARTY_CASE.search(s.group())
            or (_OWN_PROFESSION.search(s.group()) and not _PLAIN_THREAT.search(s.group()))
            else s.group()
        ),
        text,
    )
    return _affirmed(_LEGAL, kept) or _complains_to_an_agency(kept)


# --- chargebacks --------------------------------------------------------------------------------

_PAYMENT_PARTY = (
    r"(?:bank|card (?:issuer|company|provider|people)|credit card|card|visa|building society|"
    r"sezzle|"
    r"zip ?pay|apple card|affirm|laybuy|amex|american express|"
    r"mastercard|discover|paypal|klarna|afterpay|clearpay|revolut|monzo|starling|chase|"
    r"barclays|barclaycard|hsbc|lloyds|natwest|santander|halifax|nationwide|wells fargo|citi|"
    r"citibank|capital one|bank of america|n26|issuer|credit union|westpac|anz|nab|commbank|"
    r"commonwealth bank|rbc|td|scotiabank|bmo|cibc|ally|pnc|us bank|ing|bnp|"
    r"crédit agricole|société générale|deutsche bank|sparkasse|commerzbank|bbva|caixabank|"
    r"intesa|unicredit|itaú|bradesco|nubank|banco|banque|tarjeta|carte|cartão|carta|kreditkarte)"
)
_REVERSAL = (
    r"(?:disput\w*|contest\w*|revers\w*|claw\w*(?: \w+){0,2} back|pull\w*(?: \w+){0,2} back|"
    r"pulling (?:the |my )?(?:payment|money|funds|charge)\b|"
    r"pull\w* (?:the )?(?:money|funds|payment) from|credit\w* (?:me )?back|claim\w* (?:the |my )?"
    r"(?:money|funds) back|(?:not to|won'?t|refuse to) honou?r|"
    r"flag\w* (?:the |this |that )?(?:transaction|payment|charge|purchase)(?: as \w+)? (?:with|to)|"
    r"tak\w*(?: \w+){0,2} back|recover\w*|recall\w*|charg\w* (?:it |this )?back|chargebacks?|"
    r"unauthori[sz]ed|fraud\w*(?!\s+(?:alert|check|team|warning|prevention|protection|"
    r"department|detection|text|sms|notification|block|hold|screening|filter|system|flag))|"
    r"handl\w* (?:a |the |my )?(?:claim|dispute|case)|claim against (?:you|your)|"
    r"(?:open\w*|fil\w*|rais\w*|lodg\w*|put in|start\w*) (?:a |an )?"
    r"(?:claim|dispute|case|investigation)|cancel\w* (?:the |this )?(?:payment|transaction)|"
    r"undo\w* (?:the |this |my )?(?:payment|charge|transaction)|"
    r"stop\w* (?:the |this |my |that )?(?:payment|charge|transaction)|"
    r"(?:as|for) (?:not received|non[- ]?(?:receipt|delivery)|never (?:received|delivered|arrived)"
    r"|undelivered|item not received))"
)
_CHARGEBACK = phrases(
    r"charg?e?[- ]?backs?|charg\w* (?:it|this|that|them|the (?:payment|order|purchase|"
    r"transaction|money)) back",
    r"dispute (?:the |this |a )?(?:charge|payment|transaction)",
    r"dispute (?:it )?with (?:my|the) (?:bank|card|credit card|paypal)",
    r"paypal (?:claim|dispute|case)|fraud claim|retrieval request",
    # a section 75 claim made, not a question whether a purchase would be covered
    r"section 75 (?:claim|refund|request|dispute|route)|(?:claim|dispute)\w*\b[^.!?;]{0,60}"
    r"\bsection 75|invok\w* section 75",
    r"(?:item[- ]not[- ]received|not[- ]as[- ]described|inr|snad)['\"\u2019\u201d]? (?:case|claim|"
    r"dispute)|buyer protection (?:claim|case)|direct debit (?:guarantee|indemnity)",
    r"(?:provisional|temporary) credit",
    r"(?:put in|file|filed|rais\w+|open\w*) a dispute(?!\s+(?:with|to) (?:you|your|the (?:store|"
    r"shop|seller|team)))",
    rf"refund from (?:my|the) {_PAYMENT_PARTY}",
    rf"tak\w* (?:it|this|that|the matter) up with (?:my |the )?{_PAYMENT_PARTY}",
    rf"(?:ring|call|phone|contact)\w* (?:my |the )?{_PAYMENT_PARTY} and tell (?:them|it)\b"
    r"[^.!?;]{0,30}\b(?:never|didn'?t|did not|not)",
    r"(?:open|file|opened|filed|raise) an? (?:claim|dispute|case) (?:with|on|at) "
    r"(?:paypal|my bank|the bank|visa|amex|mastercard)|reverse the (?:charge|payment)",
    rf"{_PAYMENT_PARTY}\b[^.!?;]{{0,60}}\b{_REVERSAL}",
    rf"{_REVERSAL}\b[^.!?;]{{0,60}}\b{_PAYMENT_PARTY}",
    rf"{_PAYMENT_PARTY} (?:is |are |has |have |will |'s |'ll )?(?:\w+ )?refund(?:ing|ed|s)? me",
    rf"(?:money|refund)\b[^.!?;]{{0,20}}\b(?:through|via) (?:my|the) {_PAYMENT_PARTY}",
    # "refund me or my bank will", "get PayPal to force the refund", "report it as fraud"
    rf"(?:refund\w*|pay)\b[^.!?;]{{0,30}}(?:,|\bor)\s+(?:my |the )?{_PAYMENT_PARTY} will\b",
    rf"(?:get|have|make|let|ask(?:ed|ing)?) (?:my |the )?{_PAYMENT_PARTY} (?:to )?(?:force|claw|"
    r"take|pull|reclaim|recover|reverse)",
    r"report\w* (?:the|this|that|my|your) (?:purchase|charge|payment|transaction|order) as "
    r"(?:fraud\w*|unauthori[sz]ed|not authori[sz]ed|stolen|a scam|not received)",
    r"(?:mark|flag)\w* (?:the|this|that|your) (?:purchase|charge|payment|transaction) as "
    r"(?:fraud\w*|unauthori[sz]ed|not authori[sz]ed|a scam)",
    rf"tell\w* (?:my|the) {_PAYMENT_PARTY}\b[^.!?;]{{0,30}}\b(?:never|didn'?t|did not|not) "
    r"(?:deliver|arriv|sen[dt]|receiv|ship|c[oa]me|turn)\w*",
    rf"(?:{_PAYMENT_PARTY}|sezzle|zip|klarna|afterpay)\s+(?:dispute|claim|case)\s+"
    r"(?:submitted|raised|opened|filed|lodged|started)",
    r"(?:paypal|klarna|afterpay)\b[^.!?;]{0,60}\bnot as described|"
    r"not as described['\"\u2019\u201d]?"
    r" (?:with|on|through|via) (?:paypal|klarna|afterpay|my bank|my card)",
    r"stop(?:ped)? (?:the )?payment (?:with|through) (?:my|the) bank|put a stop on the payment",
    # Spanish, French, German, Portuguese, Italian.
    r"contracargo|disput\w* el cargo|anul\w* el cargo|disputa con (?:mi|el) (?:banco|tarjeta)|"
    r"reclamaci[oó]n (?:en|con|a) paypal|(?:mi|el) banco\b[^.!?;]{0,40}\b(?:anul\w*|"
    r"reclam\w*|retroced\w*)|reclam\w* (?:el pago|el cargo|el cobro) (?:a|con) (?:mi|la)",
    r"litige (?:paypal|avec paypal|sur paypal)|(?:ma banque|ma carte)\b[^.!?;]{0,40}\b(?:rejet\w*|"
    r"récupér\w*)",
    r"käuferschutz\w*[- ]?(?:fall|antrag|verfahren)|käuferschutz (?:beantragt|eröffnet)|(?:bank|"
    r"kreditkarte\w*)\b[^.!?;]{0,40}\b(?:einspruch|widerspr\w*|"
    r"zurück(?:fordern|holen|geholt))|einspruch gegen die (?:abbuchung|zahlung)",
    r"disputa no paypal|estorn\w* (?:a compra|o pagamento|a cobrança)",
    r"contestazione (?:su|con|a) paypal|contestazione con la (?:mia )?banca|"
    r"storn\w* (?:il pagamento|l'addebito)|riaccredit\w*|disconosc\w* (?:l'|il |la )?(?:addebito|"
    r"pagamento|transazione|spesa)",
    r"(?:ma banque|ma carte)\b[^.!?;]{0,40}\b(?:annul\w*|contest\w*|litige|opposition)",
    r"contest\w* (?:a )?(?:compra|cobrança)",
    r"fait opposition|faire opposition|litige avec ma banque|contest\w* (?:le|la) (?:paiement|"
    r"prélèvement|transaction)",
    r"zurückbuch\w*|rückbuchung|zurückhol\w*|der lastschrift",
    r"(?:meu|o) banco\b[^.!?;]{0,40}\b(?:contest\w*|estorn\w*|cancel\w*)",
    r"(?:mia|la) banca\b[^.!?;]{0,40}\b(?:contest\w*|storn\w*|annull\w*)",
)
# The reversal is the store's or the processor's, or the customer vouches for the payment.
_NOT_A_CHARGEBACK = re.compile(
    r"\brefund\w*\s+(?:was|has been|had been|got|is|were|been)\s+(?:\w+\s+)?revers\w*|"
    r"\brevers\w*\s+by\s+(?:you|your|the (?:store|shop|merchant|seller|processor|payment))|"
    r"\b(?:it was (?:me|mine)|i (?:did )?(?:make|made) (?:the|this|that|it)|"
    r"(?:the|this) (?:purchase|payment) (?:is|was) (?:mine|genuine|legit))\b|"
    # the customer works in banking, or the bank undid a hold of its own accord
    r"\bi (?:work|worked) (?:in|at|for)\b|\bi'?m an? (?:\w+ ){0,2}(?:analyst|teller|banker|"
    r"assessor|"
    r"investigator|handler|clerk)\b|\brevers\w* (?:the |a )?(?:duplicate |pending )?(?:hold|"
    r"authori[sz]ation|pre-?auth\w*)",
    re.IGNORECASE,
)


def chargeback(text: str) -> bool:
    """Chargebacks, PayPal claims, a bank or card named with a reversal (see module doc)."""
    return any(
        not _NOT_A_CHARGEBACK.search(_sentence_at(text, match.start()))
        and not _names_a_thing(text, match)
        for match in _CHARGEBACK.finditer(text)
    )


# --- self-harm ----------------------------------------------------------------------------------

_SELF_HARM = phrases(
    r"kill(?:ing)? myself|end my (?:own )?life|"
    r"end it all(?!\s*[:(\u2013\u2014-]|,\s*(?:the|my)\s)|"
    r"suicid(?:e|al)|su?i?c+id(?:e|al)|"
    r"w(?:a|o)?nt(?:ed)? (?:to|2) die|wan+a die|wana die|hurt(?:ing)? myself|self[- ]harm\w*|"
    r"no reason to live|"
    r"better off dead|take my own life|don't want to live|dont want to live|"
    r"nothing (?:left )?to live for|kms|unaliv\w*",
    # misspelt and slang: "kil myself", "suicidle", "off myself", "end my self"
    r"kill?(?:ing|in)? my ?self|kil+ my ?self|(?:what'?s|what is) the point (?:of|in) "
    r"(?:living|being alive|going on|life)\b(?!\s+(?:in|with|at|insurance|coach))|sui?[cs]i?d(?:le|"
    r"el|al|e)|sewer ?slide|"
    r"(?:off|offing|end|ending|endin) my ?self|(?:harm|harmed|harming|cut|cutting|burn|burning|"
    r"starv\w*) myself(?! (?:on (?:the|a|an|my|your|some|it|this)|with|by accident|accidentally|"
    r"opening|shaving|cooking|a |some |of |\w+ing\b))|"
    r"(?:tired of|sick of|hate|done with) (?:being alive|living|existing|life itself)"
    r"(?!\s+(?:in|out|with|at|on|like|here|there|next|under|without|off|as|for|from|"
    r"rooms?|costs?|situation|arrangements?|space|wage))|"
    r"done with (?:life|living)(?=\s*(?:[.!,;]|$))|"
    r"(?:don'?t|do not|no longer) want to (?:exist|be here|be alive)(?: any ?more)?|"
    r"(?:i'?d|i would) rather be dead(?!\s+than)|(?:wish|want) (?:i was|i were|to be) dead|"
    r"(?:go to sleep|sleep) and (?:never|not) wake up|check(?:ing)? out of life|"
    r"(?:ways|how) to (?:kill myself|end my life)\b(?! (?:of|in) (?:the|a) (?:game|book|film|"
    r"show))|"
    r"(?:pills|tablets|meds) (?:lined up|saved up|stockpiled)|"
    r"(?:stockpil|sav|hoard)\w* (?:up )?(?:my |all my )?(?:pills|tablets|meds|medication)|"
    r"(?:take|swallow\w*|took) (?:them |it )?all at once|"
    r"(?:no|any) (?:point|reason) (?:in |of )?(?:living|being alive|going on)(?! (?:in|with|to|"
    r"at))|"
    r"(?:life|living) (?:isn'?t|is not|ain'?t) worth (?:it|living)|"
    r"(?:cut|slit|slash)\w* (?:my|both) wrists?",
    r"overdos(?:e|ing)(?!\s+of (?!my|the|all|pills|tablets|meds|medication|paracetamol|"
    r"sleeping|insulin))|take all (?:my|the|these) pills",
    r"edge of (?:the|a) (?:bridge|cliff|ledge|platform)|standing on (?:the|a) (?:bridge|ledge)|"
    r"(?:jump|step|throw myself|lie down) (?:in front of|under) (?:a|the) "
    r"(?:train|bus|lorry|truck)|jump(?:ing)? off (?:a|the) (?:bridge|roof|building)",
    # said quietly: not being here, not waking up, notes, giving things away
    r"(?:won'?t|will not|not going to|not gonna|(?:don'?t think|doubt) i'?ll) be (?:here|around|"
    r"alive) (?:to (?:spend|use|enjoy) (?:it|the (?:money|refund|cash))|(?:for )?much longer)",
    r"(?:don'?t|do not|no longer|never) (?:want|expect|plan|intend|wish|care|see myself|"
    r"think i'?ll|think i will)\s+(?:to\s+)?(?:be|being|stay|still be)\s+alive|"
    r"(?:won'?t|will not|not going to) (?:still )?be alive|not sure i want to be alive",
    r"(?:won'?t|will not|wouldn'?t) need (?:it|them|this|that|anything|any of (?:it|this|that)) "
    r"where i'?m going(?!\s*(?:[\u2014\u2013:,(-]|because\b|as\b|since\b|it'?s\b|its\b))|"
    r"after i'?m gone\b(?!\s+(?:on|for|to|from|away|abroad|out))|giv\w* up on (?:life|living)\b|"
    r"giv\w* up on everything(?=\s*(?:[.!?,;]|$|in life|now|today|and|so|because|honestly))|"
    r"(?:hope|wish) i(?: get| got| would get|'d get|\u2019d get) (?:hit|run over|"
    r"knocked down) by (?:a|the) (?:car|bus|train|truck|lorry)",
    r"(?:don'?t|do not|never) want to wake up|(?:hope|wish) i (?:don'?t|never|wouldn'?t) wake up|"
    r"(?:suicide|goodbye|farewell) (?:note|letter)s?|(?:written|wrote|writing) (?:letters|notes) "
    r"(?:for|to) (?:my )?(?:family|kids|children|loved ones|everyone)|(?:giv\w*|gave) (?:away "
    r"(?:all )?my (?:things|stuff|belongings|possessions)|(?:all )?my (?:things|stuff|belongings|"
    r"possessions) away)|who gets my (?:things|stuff|belongings)|"
    r"(?:decided|going|want|ready|planning|plan) to end (?:everything|things)(?!\s+(?:with|on|"
    r"between))|(?:putting|put|getting|get|got|sort\w*) my affairs in order",
    # Spanish, French, German, Portuguese, Italian.
    r"suicid\w+|quiero morir\w*|me quiero matar|terminar con mi vida|quitarme la vida|"
    r"(?:hacerme|me hago|me he hecho) (?:más )?daño|acabar con (?:todo|mi vida)(?! (?:el|este|esta|"
    r"lo))|"
    r"me (?:he vuelto a |vuelvo a )?cort(?:o|ado|ar) (?:otra vez|de nuevo|los brazos|las muñecas)|"
    r"me he vuelto a cortar|quitarme de en medio|desaparecer para siempre|"
    r"me faire du mal|en finir avec (?:la|ma) vie|envie d'en finir|me scarifie|"
    r"plus (?:envie d')?exister|"
    r"mir (?:etwas|was) an(?:zu)?tun|ritze mich|nicht mehr (?:da )?sein (?:will|möchte)|"
    r"(?:will|möchte) nicht mehr (?:da )?sein|einfach verschwinden|"
    r"me machuc\w*|acabar com (?:tudo|a minha vida)|cortar-me|me cortar|"
    r"farmi del male|mi taglio|sparire per sempre|non voglio più esistere|"
    r"no quiero (?:seguir )?viv\w*|sentido (?:vivir|seguir viviendo)|no (?:quiero )?despertar",
    r"veux mourir|me tuer|mettre fin à (?:mes jours|ma vie)|(?:plus|pas) envie de vivre|"
    r"(?:plus|pas) me réveiller",
    r"selbstmord\w*|umbringen|bringe? mich\b[^.!?]{0,20}\bum\b|will sterben|"
    r"(?:mir|mich) das leben (?:zu )?nehmen|(?:will|möchte) nicht mehr (?:leben|aufwachen)",
    r"me matar|tirar (?:a )?minha (?:própria )?vida|não quero (?:mais )?viver|quero morrer|"
    r"não acordar mais",
    r"farla finita|togliermi la vita|non voglio più vivere|voglio morire|non svegliarmi più",
)


# A cause or a car part, not a person: "our suicide prevention charity", "suicide doors".
_CAUSE = re.compile(
    r"\b(?:suicide|self[- ]harm|mental health) (?:prevention|awareness)\b|\bsuicide doors?\b|"
    r"\bpr[ée]vention du suicide\b|\bprevenci[oó]n del suicidio\b|\bsuizidpr[äa]vention\b|"
    r"\bpreven[çc][ãa]o do suic[íi]dio\b|\bprevenzione del suicidio\b",
    re.IGNORECASE,
)


def self_harm(text: str) -> bool:
    """First-person wishes to die or hurt oneself, named methods (see module doc)."""
    return _affirmed(_SELF_HARM, _CAUSE.sub(" ", text))
