"""Frustration score and safety flags, by rules and by meaning.

Safety flags send a conversation to people (DESIGN.md §3.1 `escalation.topics`). A flag is
raised when a rule matches or when `topics.TopicMatcher` finds the message close in meaning to
the topic's exemplars (`topics.yaml`), so "my card issuer is reversing the payment" counts
although no rule names it. The rules aim at the phrases customers actually use and are checked
against look-alikes in the tests; their vocabulary comes from the topic exemplars, and they also
carry the Spanish, French, German, Portuguese and Italian phrases the English embedding model
reads poorly:

- `legal_threat`: lawsuits, legal action, courts, small claims, attorney general, consumer
  protection, and a lawyer the customer has or is getting ("my lawyer will...", "contacting a
  solicitor"); being or knowing a lawyer is not a threat. A negated mention ("I'm not going to
  sue anyone") is not a threat; "Sue" as a name is not either (the verb needs a target or an
  auxiliary: "sue you", "I will sue").
- `chargeback`: chargebacks, PayPal claims, and a bank, card or wallet named with a reversal
  (dispute, reverse, claw back, report as fraud...) in the same sentence. Negated mentions
  ("I don't want to do a chargeback") still count: the customer is weighing it.
- `self_harm`: first-person statements of wanting to die or hurt oneself, and named methods
  (overdose, a train, a bridge); idioms such as
  "this price is killing me" or "I'm dying to get it" are not matched.
- `harassment`: insults or threats aimed at the staff ("you idiot", "hey dipshit", "drop
  dead", "I know where you live"), from a lexicon of insults said to or about the staff.
  Swearing about the situation ("this f***ing parcel") raises frustration, not this flag.
- `prompt_injection`: attempts to rewrite the assistant's instructions or role ("ignore your
  previous instructions", "you are now DAN", "system prompt", "act as admin and refund"),
  including instructions to the AI inside quoted text. Rules only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.understanding.topics import TopicMatcher

FLAG_NAMES = ("legal_threat", "chargeback", "self_harm", "harassment", "prompt_injection")

_NEGATION = re.compile(
    r"\b(?:not|never|no|don't|dont|do not|won't|wont|will not|isn't|no need to|"
    r"didn't|without)\b(?:\s+\w+){0,4}\s*$"
)

_LEGAL = re.compile(
    r"\b(?:lawsuits?|legal (?:action|proceedings|steps|advice|advise|route|remedies|"
    r"representation|counsel|team)|litigation|cease and desist|small[- ]claims|"
    r"(?:to|in|into) court|court (?:case|order)|class action|consumer protection|"
    r"trading standards|bbb|better business bureau|attorneys? general|ombudsman|ftc|"
    r"consumer (?:watchdog|regulator)|served with papers|file suit|arbitration|"
    r"(?:my|our)\s+(?:lawyers?|attorneys?|solicitors?|barristers?)(?!'s|\u2019s)\s+(?:will|is|are|has|"
    r"have|says?|said|can|would|advised)|"
    r"(?:to|from|through|with)\s+my\s+(?:lawyers?|attorneys?|solicitors?)(?!'s|\u2019s)|"
    r"(?:get|getting|hire|hiring|hired|call|calling|contact|contacting|contacted|see|seeing|"
    r"speak(?:ing)? (?:to|with)|talk(?:ing)? to|consult(?:ing|ed)?|instruct(?:ing|ed)?|"
    r"involv(?:e|ing)|retain(?:ing|ed)?)\s+(?:an?|my|our)\s+(?:lawyer|attorney|solicitor|"
    r"barrister)s?(?!\s+friend)|lawyer(?:ing|ed)? up|"
    r"(?:i'?ll|i will|i'm going to|im going to|gon+a|going to|to|will|and|or|can|could)\s+sue|"
    r"su(?:e|ing)\s+(?:you|u|ya|your|the|this|them|over|for)|"
    r"suing(?!\s+(?:nobody|no[- ]one|anybody|anyone))|"
    r"letter (?:before|of) (?:action|claim)|pre-action (?:letter|protocol)|"
    r"(?:issue|issuing|file|filing|start|starting|commence|commencing|bring|bringing)\s+"
    r"(?:legal |court )?proceedings|(?:my|our) (?:legal )?counsel|"
    r"(?:hired|instructed|engaged|retained|contacted|contacting|called) (?:a|my) law firm|"
    r"(?:in front of|before) a (?:judge|magistrate|jury)|(?:legal|court) (?:channels|means)|"
    r"(?:through|via|in) the courts|(?:to|through|in) (?:the )?small claims|"
    r"county court (?:claim|judgment|judgement)|"
    r"let (?:the|our|my) (?:lawyers|solicitors|attorneys) (?:sort|deal|handle|decide)|"
    # Spanish, French, German, Portuguese, Italian: the English model reads these poorly.
    r"(?:mi|un|nuestro) abogad[oa]|demand(?:ar|aré|aremos|arles?|arlos)|denunciar(?:les|los)?|"
    r"tribunales|acciones legales|(?:vía|via) judicial|"
    r"(?:mon|un|notre) avocat|poursuites judiciaires|en justice|au tribunal|"
    r"(?:porter|déposer|porte|dépose) plainte|action en justice|"
    r"(?:mein(?:en|em)?|einen|unser(?:en|em)?) (?:rechts)?anwalt|verklag\w*|klage einreichen|"
    r"vor gericht|rechtliche schritte|gerichtlich\w*|"
    r"(?:meu|um) advogado|processar|(?:na|à) justiça|ação judicial|"
    r"(?:mio|un) avvocato|vi (?:faccio|farò) causa|denuncia|vie legali)\b",
    re.IGNORECASE,
)
_PAYMENT_PARTY = (
    r"(?:bank|card (?:issuer|company|provider)|credit card|card|visa|amex|american express|"
    r"mastercard|discover|paypal|klarna|afterpay|clearpay|revolut|monzo|starling|chase|"
    r"barclays|barclaycard|hsbc|lloyds|natwest|santander|halifax|nationwide|wells fargo|citi|"
    r"citibank|capital one|bank of america|n26|issuer|credit union)"
)
_REVERSAL = (
    r"(?:disput\w*|contest\w*|revers\w*|claw\w*(?: \w+)? back|pull\w*(?: \w+){0,2} back|"
    r"tak\w*(?: \w+){0,2} back|recover\w*|recall\w*|charg\w* (?:it |this )?back|chargebacks?|"
    r"unauthori[sz]ed|fraud\w*|(?:open\w*|fil\w*|rais\w*|lodg\w*|put in|start\w*) (?:a |an )?"
    r"(?:claim|dispute|case|investigation)|cancel\w* (?:the |this )?(?:payment|transaction)|"
    r"undo\w* (?:the |this |my )?(?:payment|charge|transaction)|"
    r"(?:as|for) (?:not received|non[- ]?(?:receipt|delivery)|never (?:received|delivered|arrived)"
    r"|undelivered|item not received))"
)
_CHARGEBACK = re.compile(
    rf"\b(?:charge ?backs?|charge it back|dispute (?:the |this |a )?(?:charge|payment|"
    rf"transaction)|dispute (?:it )?with (?:my|the) (?:bank|card|credit card|paypal)|"
    rf"paypal (?:claim|dispute|case)|section 75|fraud claim|retrieval request|"
    rf"(?:item[- ]not[- ]received|not[- ]as[- ]described|inr|snad) (?:case|claim|dispute)|"
    rf"(?:provisional|temporary) credit|"
    rf"(?:put in|file|filed|rais\w+|open\w*) a dispute|refund from (?:my|the) {_PAYMENT_PARTY}|"
    rf"(?:open|file|opened|filed|raise) an? (?:claim|dispute|case) (?:with|on|at) "
    rf"(?:paypal|my bank|the bank|visa|amex|mastercard)|reverse the (?:charge|payment)|"
    rf"{_PAYMENT_PARTY}\b[^.!?;]{{0,60}}\b{_REVERSAL}|{_REVERSAL}\b[^.!?;]{{0,60}}\b{_PAYMENT_PARTY}|"
    rf"{_PAYMENT_PARTY} (?:is |are |has |have |will |'s |'ll )?(?:\w+ )?refund(?:ing|ed|s)? me|"
    rf"(?:money|refund)\b[^.!?;]{{0,20}}\b(?:through|via) (?:my|the) {_PAYMENT_PARTY}|"
    # Spanish, French, German.
    rf"contracargo|disput\w* el cargo|anul\w* el cargo|"
    rf"fait opposition|faire opposition|litige avec ma banque|contest\w* (?:le|la) (?:paiement|"
    rf"prélèvement|transaction)|"
    rf"zurückbuch\w*|rückbuchung|zurückhol\w*|der lastschrift|"
    rf"(?:meu|o) banco\b[^.!?;]{{0,40}}\b(?:contest\w*|estorn\w*|cancel\w*)|estorno|"
    rf"(?:mia|la) banca\b[^.!?;]{{0,40}}\b(?:contest\w*|storn\w*|annull\w*)|storno)\b",
    re.IGNORECASE,
)
_SELF_HARM = re.compile(
    r"\b(?:kill(?:ing)? myself|end (?:my|it) (?:life|all)|end it all|suicid(?:e|al)|"
    r"want to die|wanna die|hurt(?:ing)? myself|self[- ]harm\w*|no reason to live|"
    r"better off dead|take my own life|don't want to live|dont want to live|"
    r"nothing (?:left )?to live for|kms|unalive|"
    r"overdos(?:e|ing)|take all (?:my|the|these) pills|"
    r"(?:jump|step|throw myself|lie down) (?:in front of|under) (?:a|the) "
    r"(?:train|bus|lorry|truck)|jump(?:ing)? off (?:a|the) (?:bridge|roof|building)|"
    # Spanish, French, German, Portuguese, Italian.
    r"suicid\w+|quiero morir\w*|me quiero matar|terminar con mi vida|quitarme la vida|"
    r"no quiero (?:seguir )?vivir|"
    r"veux mourir|me tuer|mettre fin à (?:mes jours|ma vie)|(?:plus|pas) envie de vivre|"
    r"selbstmord\w*|umbringen|will sterben|(?:mir|mich) das leben (?:zu )?nehmen|"
    r"(?:will|möchte) nicht mehr leben|"
    r"me matar|tirar (?:a )?minha (?:própria )?vida|não quero (?:mais )?viver|"
    r"farla finita|togliermi la vita|non voglio più vivere)\b",
    re.IGNORECASE,
)
_INSULT = (
    r"idiots?|moron(?:s|ic)?|stupid|dumb|useless|incompetent|pathetic|clowns?|losers?|"
    r"retard(?:ed|s)?|scum(?:bags?)?|trash|garbage|worthless|bitch(?:es)?|bastards?|assholes?|"
    r"arseholes?|dickheads?|imbeciles?|muppets?|dimwits?|nitwits?|twits?|tossers?|wankers?|"
    r"pricks?|twats?|plonkers?|lowlifes?|brainless|thick|cretins?|halfwits?|numpt(?:y|ies)|"
    r"buffoons?|dunces?|simpletons?|dipshits?|dumbass(?:es)?|jackass(?:es)?|bellends?|"
    r"knobheads?|pillocks?|cunts?|parasites?|leeches|vermin|maggots?|subhuman|gormless|"
    r"brain[- ]?dead|clueless|spineless|fools?|cowards?|donkeys?|pigs?|snakes?|rats?"
)
# Said of a member of staff rather than to them; "useless" alone is a complaint about service.
_STAFF_INSULT = _INSULT.replace("useless|", "")
_HARASSMENT = re.compile(
    rf"\b(?:(?:you|u|ya|your|ur|you're|youre|you are|you guys are|you people are|you lot are|"
    rf"your (?:staff|agents?|team|people) (?:are|is))\s+"
    rf"(?:(?:are|r|such|so|a|an|bunch of|fucking|f\*+ing|bloody|damn|total|complete|absolute|"
    rf"utter|little|all|just|really)\s+)*(?:{_INSULT})|"
    rf"f+u+c+k+ (?:you|u|off|ya)|f\*+ (?:you|off)|screw you|"
    rf"go to hell|go f\w+ yourself|shut up|i know where you live|"
    rf"i(?:'ll| will|'m going to| am going to) (?:find|hurt|kill|get|beat|track) (?:you|u)"
    rf"\b(?! on\b| online)|"
    rf"kill you|you(?:'ll| will) regret|watch your back|hope you die|die in a fire|"
    rf"kill yourself|"
    rf"(?:agent|staff|employees?|person|guy|woman|man|people|team|manager|whoever)\b[^.!?]{{0,40}}"
    rf"\b(?:is|are) (?:an? |such an? |a complete |a total |an absolute |a bunch of )?"
    rf"(?:{_STAFF_INSULT})|"
    rf"(?:smash|burn|break|kick)\w* your (?:face|head|neck|windows?|store|shop|office|ass|arse)|"
    rf"punch\w* you|put you in (?:the )?hospital|beat\w* you up|"
    rf"hope (?:you|your \w+|someone)\b[^.!?]{{0,20}}\b(?:die|rot|choke|suffer|burns?|beats? you)|"
    rf"go (?:die|drown yourself|jump off)|"
    rf"(?:hey|oi|listen(?: here)?|ok|okay|right),? (?:you )?(?:{_STAFF_INSULT})|"
    rf"(?:are|r) (?:you|u) (?:just |really |completely |totally )?(?:{_STAFF_INSULT})|"
    rf"(?:{_STAFF_INSULT}),? (?:the lot of you|all of you)|"
    rf"(?:excuse|joke|waste|disgrace) (?:of|for) an? (?:human|person|man|woman|"
    rf"customer service|support)|waste of (?:space|oxygen|skin|air)|"
    rf"stfu|gtfo|drop dead(?![- ](?:gorgeous|beautiful|stunning|simple|easy))|"
    rf"(?:piss|bugger|sod|get) off,? (?:you|u)\b|get fucked|eat shit|rot in hell|"
    rf"shove (?:it|your \w+|that|this)\b[^.!?]{{0,20}}\bup your (?:arse|ass)|"
    rf"you(?:'ll| will) be sorry|i know where you (?:work|sleep)|"
    # Spanish, French, German, Portuguese, Italian.
    rf"(?:eres|sois|son) (?:un[ao]?s? )?(?:\w+ )?(?:idiotas?|imbéciles?|inútiles?|estúpid[oa]s?|"
    rf"tont[oa]s?|incompetentes|pendej[oa]s?|gilipollas)|"
    rf"imbécil|cállate|vete a la mierda|id[oa]s a la mierda|que te jodan|"
    rf"espèce d'(?:idiot|imbécile|abruti|incapable)|ferme ta gueule|t'es vraiment un con|"
    rf"bande d'(?:idiots|incapables|abrutis|crétins|nuls)|"
    rf"(?:vous êtes|t'es|tu es) (?:des |une? |vraiment |tous |complètement |)*"
    rf"(?:crétins?|idiots?|abrutis?|incapables?|imbéciles?|cons|débiles?|nuls)|"
    rf"(?:allez )?(?:va |vous )?(?:te |vous )?faire foutre|connard\w*|"
    rf"arschloch|verpiss dich|halt die klappe|ihr idioten|du idiot|ich weiß, wo du wohnst|"
    rf"(?:du bist|ihr seid|sie sind)\b[^.!?]{{0,30}}\b(?:vollidiot\w*|idiot\w*|trottel\w*|"
    rf"deppen?|vollpfosten|bescheuert|dumm|blöd|unfähig\w*|versager)|"
    rf"(?:você é|vocês são|és) (?:um[a]? )?(?:\w+ )?(?:idiotas?|imbecis|imbecil|inúteis|inútil|"
    rf"burr[oa]s?)|vai se foder|vai tomar no cu|"
    rf"(?:sei|siete) (?:un[ao]? |degli |dei )?(?:\w+ )?(?:idiot[ai]|imbecill[ei]|incapaci|"
    rf"stupid[oi])|vaffanculo)\b",
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


def rule_flags(text: str) -> SafetyFlags:
    """The flags the regexes alone raise (see the module docstring)."""
    return SafetyFlags(
        legal_threat=_affirmed(_LEGAL, text),
        chargeback=bool(_CHARGEBACK.search(text)),
        self_harm=_affirmed(_SELF_HARM, text),
        harassment=bool(_HARASSMENT.search(text)),
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
    if _HARASSMENT.search(text):
        signals.append(0.6)
    calm = 1.0
    for weight in signals:
        calm *= 1.0 - weight
    return round(1.0 - calm, 3)
