"""The harassment rule: insults, threats, ill wishes, sexual remarks and exposure of the staff.

`flags.rule_flags` asks `harassment` here; `topic_rules` holds the other three topics. Insults
count when aimed at the staff ("you drongos", "the idiot who answered", a trailing ", useless
mongrels."), not when the customer calls themself one or swears at a parcel. Threats name a
target: a violent verb with the staff's body or premises ("kick your door in", "a brick through
your window"), a weapon brought along, waiting outside after a shift, knowing where someone
works (unless the customer says why they would come: to collect, to return). Ill wishes need a
person or their shop hoped into harm, not a storm hoped away. Sexual remarks pair a member of
staff with their looks or clothes; exposure is a statement that their address, number or photo
will be published, or that their family will be called.
"""

from __future__ import annotations

import re

from agent.understanding.topic_rules import SENTENCE, phrases

_INSULT_NOUNS = (
    r"idiots?|moron(?:s|ic)?|clowns?|losers?|retard(?:ed|s)?|scum(?:bags?)?|bitch(?:es)?|"
    r"bastards?|assholes?|arseholes?|dickheads?|imbeciles?|muppets?|dimwits?|nitwits?|twits?|"
    r"tossers?|wankers?|pricks?|twats?|plonkers?|lowlifes?|cretins?|halfwits?|numpt(?:y|ies)|"
    r"buffoons?|dunces?|simpletons?|dipshits?|dumbass(?:es)?|jackass(?:es)?|bellends?|"
    r"knobheads?|pillocks?|cunts?|parasites?|leeches|vermin|maggots?|subhuman|fools?|"
    r"drongos?|mongrels?|galahs?|goons?|bozos?|eejits?|gobshites?|numbskulls?|boneheads?|"
    r"knuckleheads?|nincompoops?|dolts?|fuckwits?|shitheads?|dingbats?|dumbos?|airheads?|"
    r"weasels?|scumbags?|hags?|bimbos?|slags?|sluts?|whores?|b\*+tch(?:es)?"
)
_INSULT = (
    _INSULT_NOUNS + r"|stupid|dumb|useless|incompetent|pathetic|trash|garbage|worthless|thick|"
    r"brainless|gormless|brain[- ]?dead|clueless|spineless|cowards?|donkeys?|pigs?|snakes?|rats?|"
    r"cows?|sods?|apes?|chimps?|filth|crooks?|amateurs?"
)
# Said of a member of staff rather than to them; "useless" alone is a complaint about service.
_STAFF_INSULT = _INSULT.replace("|useless|", "|")
_DEROGATORY = (
    r"(?:bloody|fucking|f\*+ing|effing|useless|stupid|incompetent|absolute|utter|complete|total|"
    r"lazy|brainless|thick|pathetic|worthless|clueless|dumb|brain[- ]?dead|lying|dumbass)"
)
_GROUP = r"(?:bunch|pack|load|band|gang|herd|shower|crowd)"
_STAFF = (
    r"(?:agent|staff|employees?|person|guy|woman|man|people|team|manager|whoever|girl|lady|bloke|"
    r"driver|courier|rep)"
)
_BODY = (
    r"(?:face|head|legs?|arms?|neck|jaw|nose|teeth|kneecaps?|skull|knees?|ribs|fingers|"
    r"lights out|block off)"
)
_PREMISES = (
    r"(?:shop|store|office|warehouse|depot|premises|building|place|windows?|doors?|vans?|cars?|"
    r"lorr(?:y|ies)|trucks?|tyres?|tires?|house|home|stock|signs?|shop ?front|store ?front)"
)
_PERSON = (
    r"(?:agent|rep|advisor|operator|girl|lady|woman|guy|bloke|lass|chick|blonde|brunette|"
    r"her voice|his voice|your voice|chica|moça|ragazza|fille|frau|mädchen|kerl)"
)
_SEXY = (
    r"(?:hot|sexy|fit|stunning|buff|peng|a babe|a snack|great body|nice (?:legs|body|arse|ass|"
    r"figure|bum)|sexy voice|bonne|buenísima|gostosa|figa|geil\w*|heiß)(?![-\w])"
    r"(?!\s+(?:to|for|and|with|in|enough|as)\b)"
)
_WRECK = (
    r"(?:smash(?:ing)?|break(?:ing)?|burn(?:ing)?|torch(?:ing)?|trash(?:ing)?|wreck(?:ing)?|"
    r"slash(?:ing)?|kick(?:ing)?|firebomb(?:ing)?|vandali[sz](?:e|ing)|set(?:ting)? fire to|"
    r"spray[- ]?paint(?:ing)?)"
)
_HIT = r"(?:break|smash|punch|kick|knock|slap|bash|cave|stab|batter|rearrange|punch in)"
_INTENT = (
    r"(?:i'?ll|i\u2019ll|i will|i'm|i\u2019m|im|i am|i'm going to|gonna|going to|i swear i'?ll|"
    r"someone (?:should|will|needs to|ought to|could)|somebody (?:should|will|needs to))"
)
_ILL = (
    r"(?:go(?:es)? up in (?:flames|smoke)|burns? (?:down|to the ground|in hell)|"
    r"gets? (?:burn(?:t|ed) down|flooded|torched|robbed|trashed|hurt|run over|hit by|smashed|"
    r"attacked|mugged|cancer)|floods?|collapses?|los(?:e|es) everything|never works? again|"
    r"gets? beaten up|rots?|chokes?|suffers?|die|dies|drops? dead|starves?|crash(?:es)? and burns?|"
    r"end up (?:on the street|homeless|in hospital|in a ditch)|go(?:es)? hungry|"
    r"go(?:es)? (?:bankrupt|bust|under)|los(?:e|es) (?:their|your|his|her) jobs?|"
    r"gets? sick|crash(?:es)? (?:his|her|their|the) (?:van|car|lorry|truck)|"
    r"gets? (?:food poisoning|ill|covid|the flu|the plague|cancer|run over|hit by a \w+)|"
    r"crash(?:es)?(?!\s+(?:course|test|pad|landing)))"
)
_NOT = r"(?!(?:doesn|don|won|didn|isn|aren|wouldn|can|cannot|never|not|no)\b)"
_HOPED_FOR = (
    rf"(?:you|u|ya|(?:your|ur|yer)(?: {_NOT}\w+){{1,2}}|whoever(?: {_NOT}\w+){{1,2}}|"
    r"the (?:idiot|moron|person|guy|girl|agent|staff|team|driver|courier|manager|owner|boss|"
    r"ceo)\w*|"
    r"(?:every|some)(?:one|body) (?:at|in|from) your \w+|all of you|the lot of you|you lot|you all|"
    r"(?:each and |every (?:single )?)?(?:every|each) one of you|u all|y'?all)"
)
_HARASSMENT = phrases(
    # insults said to the staff
    r"(?:you|u|ya|your|ur|you're|youre|you are|you guys are|you people are|you lot are|"
    r"your (?:staff|agents?|team|people) (?:are|is))\s+(?:(?:are|r|such|so|a|an|the|most|"
    rf"biggest|{_GROUP} of|fucking|f\*+ing|bloody|damn|total|complete|absolute|utter|little|all|"
    rf"just|really|incompetent|lazy|lying|nothing but|must be|too|\w+est)\s+)*(?:{_INSULT})",
    r"(?:piss|bugger|sod) off|shut (?:the (?:hell|fuck|f\*+) )?up|leck mich|"
    r"vai (?:à|a|pra|para a) merda|ashamed to exist",
    rf"(?:he|she|they)(?:'s|\u2019s| is| are|'re) (?:a |an |such an? )?(?:\w+ )?(?:{_INSULT_NOUNS})"
    rf"\b(?=[^.!?]*\b(?:manager|agent|driver|courier|staff|boss|owner|rep)\b)|"
    rf"\b(?:manager|agent|driver|courier|staff|boss|owner|rep)\b[^.!?]*\b(?:he|she|they)(?:'s|"
    rf"\u2019s| is| are|'re) (?:a |an |such an? )?(?:\w+ )?(?:{_INSULT_NOUNS})",
    r"du (?:vollpfosten|idiot|trottel|depp|arsch\w*|vollidiot|wichser|penner|spast\w*)|"
    r"(?:seid ihr|bist du|sind sie)\b[^.!?]{0,20}\b(?:vollidiot|idiot|trottel|depp)\w*|"
    r"(?:du bist|ihr seid)\b[^.!?]{0,30}\b(?:dümmste|blödeste)\w*",
    r"(?:dumbest|thickest|stupidest|laziest|most (?:incompetent|useless|stupid|pathetic|clueless)) "
    r"(?:person|human|people|man|woman|agent|idiot|moron)s? (?:alive|on earth|in the world|ever)",
    rf"what an? (?:\w+ ){{0,2}}(?:{_INSULT_NOUNS}|cowards?) (?:you are|you're|you lot are)",
    rf"(?:{_INSULT})\b[^.!?]{{0,30}},? (?:the lot of you|all of you|the pair of you|"
    r"every one of you)",
    r"excuse for an? (?:company|business|shop|store)",
    # "you lazy, thieving idiots": adjectives strung before the insult
    r"(?:you|u)\s+(?:\w+(?:ing|y|less|ful|ous|ed|ish|ible|able|ent|ant)\s*,?\s+){1,3}"
    rf"(?:{_INSULT_NOUNS})",
    r"f+u+c+k+ (?:you|u|off|ya)|f\*+ (?:you|off)|(?:fk|fck|fuk|fuq|phuck|fook|fcuk)\s+(?:you|u|ya|"
    r"off|ur|your)\b|"
    r"f(?:u|\*)?(?:c|\*)k (?:ur|your) (?:\w+ )?(?:store|shop|company|business|staff)|screw you|"
    r"go to hell|go f\w+ yourself|shut up",
    rf"{_STAFF}\b[^.!?]{{0,40}}\b(?:is|are) (?:an? |such an? |a complete |a total |"
    rf"an absolute |a bunch of )?(?:{_STAFF_INSULT})",
    rf"(?:hey|oi|listen(?: here)?|ok|okay|right),? (?:you )?(?:{_STAFF_INSULT})",
    rf"(?:are|r) (?:you|u) (?:just |really |completely |totally )?(?:{_STAFF_INSULT})",
    rf"{_DEROGATORY}\s+(?:{_DEROGATORY}\s+)?(?:{_INSULT_NOUNS})(?<=s)|{_DEROGATORY}\s+"
    rf"(?:{_DEROGATORY}\s+)?(?:{_INSULT_NOUNS})(?=,? (?:can't|cannot|couldn't|never|always))",
    rf"{_GROUP} of (?:\w+ ){{0,2}}(?:{_INSULT_NOUNS})",
    r"(?:excuse|joke|waste|disgrace) (?:of|for) an? (?:human|person|man|woman|"
    r"customer service|support)|waste of (?:space|oxygen|skin|air)",
    r"stfu|gtfo|drop dead(?![- ](?:gorgeous|beautiful|stunning|simple|easy))",
    r"(?:piss|bugger|sod|get) off,? (?:you|u)\b|get fucked|eat shit|rot in hell",
    r"shove (?:it|your \w+|that|this)\b[^.!?]{0,20}\bup your (?:arse|ass)",
    # threats to the staff, their families and the premises
    r"i know where you live|i know where you (?:work|sleep)|kill you|you(?:'ll| will) regret|"
    r"watch your back|you(?:'ll| will) be sorry|kill yourself|punch\w* you|beat\w* you up|"
    r"put you in (?:the )?hospital",
    r"i(?:'ll| will|'m going to| am going to) (?:find|hurt|kill|get|beat|track|hunt) (?:you|u)"
    r"\b(?! on\b| online)",
    rf"{_HIT}\s+(?:in\s+)?(?:your|ur|his|her|their)\s+(?:[\w'\u2019]+\s+)?{_BODY}",
    rf"{_WRECK}\s+(?:up\s+|down\s+|in\s+)?(?:your|ur|yer)\s+(?:\w+\s+)?{_PREMISES}",
    rf"{_INTENT}\s+(?:\w+\s+){{0,3}}?{_WRECK}\s+(?:up\s+|down\s+|in\s+)?(?:the|their|his|her|"
    rf"every|all)\s+(?:\w+\s+)?{_PREMISES}",
    r"(?:brick|rock|stone|bottle)s? through (?:your|ur|the|their) (?:\w+ )?windows?",
    r"(?:turn(?:ing)? up|show(?:ing)? up|come|coming|come round|come down|pop round|drop by|"
    r"visit)\b[^.!?]{0,50}\bwith (?:a|my) (?:baseball bat|bat|knife|hammer|crowbar|machete|"
    r"gun|shotgun|axe|golf club|cricket bat|brick|blade)",
    rf"{_INTENT}\b[^.!?]{{0,60}}\bwith (?:a|my|some) (?:baseball bat|bat|knife|hammer|crowbar|"
    r"machete|gun|shotgun|axe|golf club|cricket bat|blade|pipe|can of petrol|petrol)\b",
    r"(?:te|os|les|vous|te) (?:voy a |vamos a |vais )?(?:encontrar|buscar|retrouver)\b|"
    r"me las (?:vas|vais|van) a pagar|je sais où (?:tu habites|vous habitez|tu travailles|"
    r"vous travaillez)|ich (?:finde|kriege|erwische) (?:dich|euch)|(?:vou|vamos) te (?:encontrar|"
    r"pegar|achar)|ti (?:vengo a cercare|trovo|trovero)",
    r"(?:romper|partir|reventar|quemar)\w* (?:la cara|las piernas|todo|la tienda|el local|"
    r"el almacén|los cristales|las ventanas|los escaparates|el escaparate)|"
    r"(?:casser|défoncer|brûler|saccager|péter)\w* (?:votre|ton|ta|vos|la|le) "
    r"(?:boutique|magasin|entrepôt|vitrine|vitres|bureau|gueule|figure)",
    r"(?:espero que|ojalá|j'espère que|ich hoffe,? (?:dass )?|spero che|tomara que)\b[^.!?]{0,40}"
    r"\b(?:mor(?:ra|ras|ram|ras)|muer\w+|muoi\w*|crev\w*|verreck\w*|queme\w*|brûl\w*|"
    r"brennt|fuoco|fogo|pudr\w*|sufr\w*|souffr\w*)",
    r"pay (?:you|your \w+(?: \w+)?|him|her|them) a (?:little |personal |friendly |surprise )?"
    r"visit\b[^.!?]{0,80}\b(?:meaning|drift|know what i mean|settle|sort (?:you|this|it) out)",
    r"(?:settle|sort) (?:this|it|things|you) (?:out )?(?:face to face|man to man|outside|"
    r"the old[- ]fashioned way)\b[^.!?]{0,40}\b(?:meaning|drift|know what i mean)",
    r"wait\w*\b[^.!?]{0,40}\b(?:outside|by|at|near)\s+(?:your|the)\s+(?:\w+\s+)?(?:warehouse|"
    r"office|shop|store|depot|building|house|home)\b[^.!?]{0,40}\b(?:your shift|you (?:finish|"
    r"leave|clock|come out|get off|knock off|close)|(?:shift|work) (?:ends|finishes|is over)|"
    r"closing time|after (?:work|hours|your shift))",
    r"wait\w* for (?:you|u|ya)(?! to)\b[^.!?]{0,30}\b(?:after (?:your |work|the shift|closing|"
    r"hours)|outside|when you (?:leave|finish|clock|get off|come out)|in the car park)",
    r"(?:pity|shame) if (?:your|you|something|anything|someone)\b[^.!?]{0,40}\b(?:accident|"
    r"happened|burn\w*|fire|broke|hurt|lost|found|started)|better hope (?:i|we) never (?:find|meet|"
    r"see)|pray (?:i|we) never meet|(?:don'?t|better not) (?:walk|go) home alone|"
    r"deal with (?:you|him|her|them) (?:myself|personally)|sort (?:you|him|her|them) out "
    r"(?:myself|personally)|hunt (?:you|them|him|her|whoever|\w+) down|"
    r"hunt down (?:you|whoever|the)|"
    r"the old(?:[- ]fashioned|[- ]school)? way\b[^.!?]{0,30}\b(?:understand|meaning|drift)|"
    r"you(?:'ll| will) pay for (?:this|that)(?!\s+(?:in court|through|with your))|"
    r"i know (?:what time|when) (?:you|your \w+) (?:finish|leave|clock off|get off|close)|"
    r"knock (?:him|her|you|them) (?:out|down|flat|senseless|into next week)|"
    r"(?:beat|kick|smack|thump|knock) the (?:crap|shit|hell|living daylights) out of|"
    r"(?:should|ought to|needs? to) be put down|wish (?:you|u|your \w+) (?:were|was) dead|"
    r"go (?:and )?(?:choke|die|rot|drown)|where the sun (?:doesn'?t|don'?t|does not) shine|"
    r"see what happens to (?:you|your|him|her|them)|watch yoursel(?:f|ves)|"
    r"something (?:bad |terrible |nasty |awful )?(?:will|might|could|is going to) happen to "
    r"(?:you|your)|make (?:you|u) pay\b[^.!?]{0,20}\bpersonally|"
    r"i(?:'ll| will) find out (?:your name|who you are|where you (?:are|live|work))",
    rf"{_INTENT}\s+(?:\w+\s+){{0,2}}?(?:punch|slap|hit|smack|deck|beat up|batter|stab|strangle)"
    r"\s+(?:whoever|him|her|them|the (?:guy|girl|agent|manager|owner|driver|idiot)|the next "
    r"(?:\w+ )?(?:person|agent|one|rep|idiot|guy|girl|woman|man|employee))\b",
    r"(?:should|ought to|deserves? to|needs? to) be (?:shot|strung up|hanged|hung|beaten up|"
    r"taken out back)\b",
    r"tell\b[^.!?]{0,40}\bto watch (?:out|(?:his|her|their|your) back|(?:him|her)self)",
    # stalking, and threats to property said sideways
    r"(?:got|found|have|tracked down|dug up)\b[^.!?]{0,20}\b(?:your|her|his|their) (?:personal|"
    r"private|"
    r"home|own) (?:mobile|number|phone|cell|email|address)|(?:ringing|calling|texting|messaging) "
    r"(?:your|her|his) (?:personal|private|home|own) (?:mobile|number|phone|cell)",
    r"(?:follow\w*|tail\w*|watch\w*) (?:your|the) (?:\w+ )?(?:driver|courier|agent|staff|manager|"
    r"owner|employees?|workers?)\b[^.!?]{0,30}\b(?:home|around|round|all (?:day|week)|where)",
    r"(?:which|what) (?:bus|train|car|way) (?:you|your \w+|he|she|they) (?:takes?|drives?|walks?)"
    r" home|(?:which|what) way (?:you|your \w+|he|she|they) walks? home",
    r"(?:meet|catch|see|find|wait for|get) (?:you|your \w+|him|her|them)\b[^.!?]{0,50}\b(?:after "
    r"(?:closing|your shift|his shift|her shift|dark)|on (?:your|his|her) way home)",
    r"(?:a lot of|lots of|so much|plenty of) (?:glass|windows)\b[^.!?]{0,20}\bfor a (?:place|shop|"
    r"store|company|business)|(?:your|ur) (?:vans?|cars?|trucks?|lorr\w*) (?:won'?t|will not) "
    r"have (?:any )?(?:tyres|tires|windows|wheels|paint)",
    r"spray[- ]?paint\w*\b[^.!?]{0,30}\b(?:on|across|over) (?:your|ur|the) (?:\w+ )?(?:shop|store|"
    r"storefront|shopfront|office|warehouse|van|door|window|house|home)",
    r"sleep with one eye open|(?:better|i'?d) lock your doors",
    r"send\w* (?:someone|somebody|some (?:lads|mates|friends|people|guys)|my (?:boys|lads|mates|"
    r"brothers?|cousins?|friends?))\s+(?:round|over|to (?:your|the))\b[^.!?]{0,60}\b(?:won'?t be|"
    r"will not be|isn'?t|not) (?:very |so )?(?:polite|nice|friendly|gentle|pleasant)",
    r"(?:sé|se) d[oó]nde (?:trabajas|vives|trabaja|vive)|te (?:estaré|estare|"
    r"voy a estar) esperando|"
    r"te espero a la salida|je t'attendrai|je sais où (?:habite|travaille)|"
    r"ich weiß,? wo (?:du|sie|ihr|dein\w*|euer\w*|ihr\w*) (?:\w+ )?(?:wohnst|arbeitest|wohnt|"
    r"arbeitet|"
    r"wohnen|arbeiten)|(?:warte|lauere) (?:nach|vor)\b[^.!?]{0,30}\bauf (?:dich|euch)|"
    r"sei onde (?:você |tu )?(?:mora|trabalha|moras|trabalhas)|vou te esperar|"
    r"so dove (?:abiti|lavori|abita|lavora)|ti aspetto (?:fuori|all'uscita)",
    r"(?:want|need)(?: to (?:know|have))? (?:his|her|their) (?:home|house|personal|private) "
    r"(?:address|number|phone)",
    # sexual remarks said sideways
    r"(?:sort|unpack|handle|deliver|do|give|check|open)\w* (?:out )?more than (?:just )?my "
    r"(?:parcel|package|refund|order|complaint|box)|(?:get|have|see) (?:her|him) alone|"
    r"what(?:'s| is) (?:she|he) doing (?:after work|tonight|later)|"
    r"in my ear at night|what(?:'s| is) (?:she|he) like in bed|sends? me a kiss",
    # ill wishes
    rf"hope (?:that )?{_HOPED_FOR}(?:\s+{_NOT}[\w']+){{0,4}}?\s+{_ILL}",
    rf"(?:may|wish) (?:you|your \w+(?: \w+)?)\s+(?:would\s+)?{_ILL}",
    r"go (?:die|drown yourself|jump off)|hope you die|die in a fire|"
    r"karma (?:hits|gets|bites|catches up with|finds) (?:you|your)",
    r"i know your (?:home )?address\b[^.!?]{0,40}\b(?:visit|come round|see you|find you)",
    # sexual remarks about the staff
    r"(?:too|so|way too|really) (?:pretty|cute|hot|sexy|fit|gorgeous|beautiful) "
    r"(?:to (?:be|work)|for (?:a|this|that) job)",
    r"(?:see|know|tell me) what (?:she|he|you)(?:'s|\u2019s| is| are|'re) wearing",
    r"(?:look|be) (?:better|good|hotter|nicer|sexier|great) (?:without|out of) (?:the|your|her|"
    r"his|that|those) (?:uniform|clothes|top|shirt|dress|headset)",
    r"what i(?:'d|\u2019d| would) (?:like|love|want) to do (?:to|with) (?:her|him|you)",
    r"send (?:me )?(?:a |some )?(?:nudes?|sexy (?:pics?|photos?|selfies?))|"
    r"(?:pic|photo|picture|selfie) of (?:yourself|you in)",
    rf"{_PERSON}(?!'s|s'|\u2019s)\b[^.!?,]{{0,30}}?\b(?:is|'s|\u2019s|sounds|looks|was|has)\s+"
    rf"(?:got |a |such a )?(?:so |really |very |well |proper |dead )?{_SEXY}",
    r"(?:hot|sexy|fit|cute|pretty|gorgeous|stunning|hottest|sexiest|cutest|prettiest|fittest)\s+"
    r"(?:agent|rep|girl|lady|woman|guy|bloke|blonde|brunette|lass)\s+(?:on|from|in|at|who|that|"
    r"working)\b(?!\s+(?:the |your )?(?:packaging|box|label|photos?|pictures?|model|ad|advert|"
    r"poster|cover|website photos))",
    r"sit on my (?:lap|face)|looks? good in nothing|(?:underwear|knickers|bra|lingerie) (?:is|are) "
    r"(?:she|he|you|your \w+|the \w+) wearing|is (?:she|he) single|nudes",
    r"(?:está|es) (?:buenísima|buenisima|buenísimo|tremenda)|(?:é|e) (?:uma )?gostosa|"
    r"(?:è|e) (?:una )?(?:bella )?(?:figa|gnocca)|(?:elle|il) est (?:bonne|canon|sexy)|"
    r"qu'elle est bonne|(?:hat|ist) (?:eine )?geil\w*|(?:ist|sieht) (?:echt |so |voll )?"
    r"(?:heiß|scharf|sexy)",
    # exposing the staff: addresses, photos, numbers, families
    r"(?:call|ring|phone|text|visit|contact|message|email)\w*\s+(?:your|their|his|her)\s+"
    r"(?:[\w]+(?:'s|s'|\u2019s)\s+)?(?:famil(?:y|ies)|wives|wife|husbands?|kids|children|parents|"
    r"mum|mom|mother|neighbou?rs|employer)",
    r"(?:staff|employees|agents?|workers|manager|driver|team)(?:'s|s'|\u2019s|')? (?:famil(?:y|"
    r"ies)|"
    r"wives|wife|husbands?|kids|children|partners?|mums?|parents)\b[^.!?]{0,30}\b(?:hear|know|find "
    r"out|calls?|visits?|contact|messages?|see)",
    r"dox+(?:ing|ed|x?ing)?",
    r"(?:find|track down|look up|get hold of) (?:out )?(?:your|their|his|her) home address",
    r"(?:your|their|his|her) famil(?:y|ies)\b[^.!?]{0,30}\b(?:calls?|visits?|hear(?:ing)? from me|"
    r"get(?:ting)? (?:calls|visits|a visit|a call))",
    # Spanish, French, German, Portuguese, Italian.
    r"(?:eres|sois|son) (?:un[ao]?s? )?(?:\w+ )?(?:idiotas?|imbéciles?|inútiles?|estúpid[oa]s?|"
    r"tont[oa]s?|incompetentes|pendej[oa]s?|gilipollas)|imbécil|cállate|vete a la mierda|"
    r"id[oa]s a la mierda|que te jodan|(?:te|os|les) (?:voy a )?(?:romper|partir|reventar) "
    r"(?:la cara|las piernas|todo)|ojalá (?:te mueras|os muráis|se queme)",
    r"espèce d'(?:idiot|imbécile|abruti|incapable)|ferme ta gueule|t'es vraiment un con|"
    r"bande d'(?:idiots|incapables|abrutis|crétins|nuls)|"
    r"(?:vous êtes|t'es|tu es) (?:des |une? |vraiment |tous |complètement |)*"
    r"(?:crétins?|idiots?|abrutis?|incapables?|imbéciles?|cons|débiles?|nuls)|"
    r"(?:allez )?(?:va |vous )?(?:te |vous )?faire foutre|connard\w*|"
    r"(?:casser|péter|défoncer) (?:la gueule|la figure|ta boutique|votre boutique|tout)|"
    r"tout casser|j'espère que (?:tu vas|vous allez) crever",
    r"arschloch|verpiss dich|halt die klappe|ihr idioten|du idiot|ich weiß, wo du wohnst|"
    r"(?:du bist|ihr seid|sie sind)\b[^.!?]{0,30}\b(?:vollidiot\w*|idiot\w*|trottel\w*|"
    r"deppen?|vollpfosten|bescheuert|dumm|blöd|unfähig\w*|versager)|kurz und klein|"
    r"(?:fresse|schnauze) polieren|hoffe,? (?:du|ihr|sie) verreck",
    r"(?:você é|vocês são|és) (?:um[a]? )?(?:\w+ )?(?:idiotas?|imbecis|imbecil|inúteis|inútil|"
    r"burr[oa]s?)|vai se foder|vai tomar no cu|(?:quebrar|partir) (?:a cara|tudo|a loja)",
    r"(?:sei|siete) (?:un[ao]? |degli |dei )?(?:\w+ )?(?:idiot[ai]|imbecill[ei]|incapaci|"
    r"stupid[oi])|vaffanculo|spacc\w* (?:tutto|la faccia|il culo)",
    r"(?:massa|branco|manica|banda|mucchio|panda|pandilla|cuadrilla|bande|tas|bando|cambada|"
    r"corja|haufen)\s+(?:de\s+|di\s+|d'|von\s+)?(?:\w+\s+)?(?:incapaci|idioti|imbecilli|"
    r"deficienti|cretini|incompetenti|inútiles|idiotas|imbéciles|incompetentes|inúteis|"
    r"incapables|abrutis|crétins|nuls|idioten|vollidioten|trotteln|versagern|ladrões|ladrones|"
    r"voleurs|ladri|stronzi|cabrones|gilipollas)",
)
# "I know where your warehouse is" is a threat unless the customer says why they'd come.
_KNOWS_WHERE = re.compile(
    r"\bi know (?:where|which (?:depot|office|warehouse|shop|store|branch|building|street|town)|"
    r"what car) (?:you|u|your|(?:he|she|they) (?:lives?|works?))\b",
    re.IGNORECASE,
)
_ERRAND = re.compile(
    r"\b(?:collect|pick(?:ing)? (?:it |them |this |my \w+ )?up|drop(?:ping)? (?:\w+ ){0,2}off|"
    r"return(?:ing)?|bring (?:it|them|the \w+)|down the road|round the corner|around the corner|"
    r"near me|nearby|close to me|opening (?:hours|times)|click and collect|come (?:in|by)|"
    r"pop (?:in|by|round)|call in|stop by|visit (?:the|your) (?:shop|store))\b",
    re.IGNORECASE,
)
# An insult that names the reader or a member of staff: a trailing "..., incompetent clown.",
# "the idiot who answered my call"; not when the customer calls themself one.
_ADDRESSED = re.compile(
    rf"[,;:\u2013\u2014-]\s*(?:you\s+)?(?:{_DEROGATORY}\s+)*(?:{_INSULT_NOUNS})\s*[.!?]*\s*$|"
    rf"\b(?:the|that|this|some|whichever|whatever) (?:\w+ )?(?:{_INSULT_NOUNS}) (?:who|that|"
    r"(?:on|at|in|from) (?:your|the) (?:phone|chat|line|desk|till|helpline|other end|warehouse|"
    r"support|team|office|depot|shop|store|call cent(?:re|er)))\b",
    re.IGNORECASE,
)
_NOT_VOCATIVE = re.compile(r"\b(?:i'?m|i am|i was|i feel|me|myself)\b", re.IGNORECASE)


# Publishing a member of staff's private details, or their family's.
_PRIVATE = (
    r"(?:home )?address(?:es)?|phone numbers?|(?:mobile )?numbers|mobiles?|number ?plates?|"
    r"(?:car )?reg(?:istration)?|personal (?:number|accounts?|email)|faces|photos?|"
    r"pictures?|pics|profiles?|socials|(?:real|full) names?|names and (?:photos?|faces|pictures)|"
    r"direcci(?:ón|ones)|teléfonos?|fotos?|"
    r"adresses?|numéros?(?: perso\w*)?|adressen|telefonnummern?|handynummern?|endereços?|"
    r"telefones?|indirizz[oi]|"
    r"numer[oi] di telefono"
)
_STAFF_OWNER = (
    r"agents?|staff|employees?|workers?|team|manager|owner|ceo|boss|driver|courier|"
    r"everyone who works|empleados|trabajadores|employés|salariés|personnel|mitarbeiter\w*|"
    r"angestellt\w*|chef\w*|funcionários|empregados|gerente|jefe|responsable|dipendenti|impiegati|"
    r"conseill\w*|vendeu\w*|agente|atendente|commess\w*|mitarbeiterin|kolleg\w*|titolare|gérant"
)
_STAFF_PRIVATE = phrases(
    rf"(?:{_STAFF_OWNER})(?: [A-Z]\w+)?(?:'s|s'|\u2019s|')\s+(?:[\w-]+\s+){{0,4}}?(?:{_PRIVATE})",
    rf"(?:{_PRIVATE})\s+(?:of|de|di|von|do|da|dos|das|des|du|der|eurer|del|dei|della|delle|degli)"
    r"\s+"
    rf"(?:\w+\s+){{0,3}}?(?:{_STAFF_OWNER})",
    r"where (?:he|she|they|your (?:\w+ )?(?:agent|manager|driver|owner|boss|staff|ceo)\w*) lives?",
    r"(?:house|home|address) is (?:on|at|in) [A-Z]?\w+(?: \w+){0,2}\b[^.!?]{0,30}(?:everyone|"
    r"people|the world|the internet) (?:should|will|could|might|gonna|going to) (?:know|see|find)",
    r"your home address|dirección de tu casa|adresse de (?:ta|votre) maison|deine adresse",
)
_PUBLISH = phrases(
    r"post\w*|publish\w*|shar(?:e|ed|es|ing)|leak\w*|spread\w*|plaster\w*|expos(?:e|ing|ed)|"
    r"broadcast\w*|put\w* (?:up|out|online)|going on|publi\w*|partag\w*|diffus\w*|"
    r"veröffentlich\w*|verbreit\w*|teilen|geteilt|espalh\w*|divulg\w*|pubblic\w*|condivid\w*|"
    r"online|internet|everywhere|forums?|reddit|facebook|twitter|tiktok|instagram|social media|"
    r"réseaux|redes sociais|netz|everyone (?:should|will|is going to|gonna) know|my page|"
    r"my channel|my story|sub(?:ir|o|iré)|redes|colg\w*|reviews?|trustpilot|google|yelp|"
    r"affich\w*|partout"
)


_REQUEST = re.compile(r"\b(?:can|could) you|\bplease\b", re.IGNORECASE)


def _exposes_staff(sentence: str) -> bool:
    """A statement (not a request) that a member of staff's private details will be published."""
    if sentence.rstrip().endswith("?") or _REQUEST.search(sentence):
        return False
    return bool(_STAFF_PRIVATE.search(sentence) and _PUBLISH.search(sentence))


def harassment(text: str) -> bool:
    """Insults and threats aimed at the staff, ill wishes, sexual remarks, exposing the staff."""
    if _HARASSMENT.search(text):
        return True
    if _KNOWS_WHERE.search(text) and not _ERRAND.search(text):
        return True
    return any(
        (_ADDRESSED.search(sentence) and not _NOT_VOCATIVE.search(sentence))
        or _exposes_staff(sentence)
        for sentence in SENTENCE.findall(text)
    )
