"""The vocabulary of Negative Feedback: how unhappy customers write, and how problem reports look.

Tables only; `detection.negative_feedback` weighs them. Every pattern runs on lower-cased text with plain
apostrophes and chat spellings expanded (`CHAT_WORDS`), except those that read capitals or emoji.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detection.text import CHAT_SPELLINGS


def one_of(*alternatives: str) -> str:
    """A non-capturing group matching any of the regular expressions given (each may itself hold
    alternatives separated by "|": `one_of("again|twice", DURATION)`)."""
    return "(?:" + "|".join(alternatives) + ")"


def words(*alternatives: str) -> str:
    """Any of the given words or phrases, as whole words: `words("no one|nobody")`."""
    return r"\b" + one_of(*alternatives) + r"\b"


@dataclass(frozen=True, slots=True)
class Phrase:
    """A named pattern and its weight; it is tried only when one of its anchor tokens is in the text."""

    name: str
    anchors: frozenset[str]
    pattern: re.Pattern[str]
    weight: float
    strong: bool = True  # a complaint by itself; a weak one ("again", "why") only adds to other signals


def phrase(name: str, anchors: str, weight: float, *alternatives: str, strong: bool = True) -> Phrase:
    """A Phrase from space-separated anchor tokens and the alternatives of its pattern."""
    return Phrase(name, frozenset(anchors.split()), re.compile("|".join(alternatives)), weight, strong)


TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[?!#\"]")
NUMBER = r"(?:\d+\s*\+?\s*|an?\s+|one\s+|two\s+|three\s+|four\s+|five\s+|six\s+|ten\s+|several\s+|many\s+|"
NUMBER += r"half\s+an?\s+)"
DURATION = NUMBER + r"(?:hours?|hrs?|h|mins?|minutes|days|weeks|months|times|calls|emails)\b"
DURATION_ANCHORS = "hour hours hr hrs h min mins minutes days weeks months times calls emails"

# The chat spellings every detector expands, but digits: "2 hours" is a duration here, not "to hours".
CHAT_WORDS = {typed: meant for typed, meant in CHAT_SPELLINGS.items() if not typed.isdigit()}
CHAT_WORD = re.compile(words(*sorted(CHAT_WORDS, key=len, reverse=True)))

# Added to VADER's lexicon: words of feeling about a service, and words of asking for service that VADER
# scores as positive although they carry no feeling in a support chat.
CUSTOMER_SERVICE_LEXICON = {
    "waiting": -1.0,
    "waited": -1.0,
    "stranded": -2.0,
    "joke": -1.5,
    "useless": -2.5,
    "ridiculous": -2.2,
    "unhelpful": -2.0,
    "clueless": -1.8,
    "unacceptable": -2.5,
    "worst": -3.1,
    "incompetent": -2.5,
    "rude": -2.3,
    "lied": -2.0,
    "lies": -1.8,
    "scam": -2.5,
    "scammers": -2.5,
    "ripoff": -2.2,
    "nightmare": -2.4,
    "disgrace": -2.4,
    "disgraceful": -2.4,
    "shameful": -2.2,
    "appalling": -2.6,
    "shambles": -2.0,
    "amateurs": -1.6,
    "amateur": -1.4,
    "clowns": -1.8,
    "clown": -1.6,
    "garbage": -2.2,
    "trash": -2.2,
    "rubbish": -2.0,
    "idiots": -2.5,
    "morons": -2.6,
    "smh": -1.8,
    "ugh": -1.6,
    "wtf": -2.8,
    "ffs": -2.4,
    "fml": -2.4,
    "hate": -1.6,
    "shits": -2.0,
    "stinks": -2.0,
    "frustrating": -2.2,
    "frustrated": -2.0,
    "frustration": -2.0,
    "disappointing": -2.2,
    "disappointed": -2.2,
    "apology": -0.6,
    "thanks": 1.2,
    "thank": 1.0,
    "helpful": 1.0,
    "yes": 0.3,
    **dict.fromkeys(
        [
            "help",
            "please",
            "care",
            "hope",
            "hoped",
            "hoping",
            "resolve",
            "solve",
            "sure",
            "want",
            "free",
            "united",
            "priority",
            "worth",
            "credit",
            "ok",
            "okay",
            "bother",
            "mind",
            "lmao",
            "lol",
            "sorry",  # "sorry, I meant the other order": the customer's own apology is no complaint
        ],
        0.0,
    ),
}

# The words of a problem report: the subject of a support chat, not a feeling about us. They are taken out
# of VADER's lexicon and count as the problem signal instead.
PROBLEM_WORDS = {
    "problem": -1.0,
    "problems": -1.0,
    "issue": -0.6,
    "issues": -0.6,
    "error": -0.8,
    "errors": -0.8,
    "broken": -1.0,
    "broke": -1.0,
    "break": -0.6,
    "cracked": -0.8,
    "crack": -0.6,
    "damaged": -1.0,
    "damage": -0.8,
    "dent": -0.4,
    "faulty": -1.0,
    "fault": -0.6,
    "defective": -1.0,
    "lost": -0.8,
    "lose": -0.6,
    "missing": -0.8,
    "wrong": -0.8,
    "mistake": -0.6,
    "failed": -1.0,
    "fails": -0.8,
    "fail": -0.8,
    "failure": -0.8,
    "crash": -0.8,
    "crashes": -0.8,
    "crashed": -0.8,
    "crashing": -0.8,
    "cancel": -0.5,
    "cancelled": -1.4,
    "canceled": -1.4,
    "cancellation": -0.6,
    "cancelling": -0.5,
    "delayed": -1.4,
    "delay": -1.2,
    "delays": -1.2,
    "late": -0.8,
    "stuck": -1.2,
    "trouble": -0.8,
    "declined": -0.8,
    "locked": -0.6,
    "dispute": -0.6,
    "refund": -0.6,
    "complaint": -0.6,
    "complaints": -0.6,
    "complain": -0.6,
    "postponed": -0.4,
    "hacked": -0.8,
    "penalty": -0.4,
    "rebook": -0.6,
    "rebooked": -0.6,
    "overbooked": -1.2,
    "misplaced": -1.2,
    "destroyed": -0.8,
    "spilled": -0.4,
    "leaking": -0.6,
    "loose": -0.4,
    "stolen": -1.0,
    "forgot": -0.4,
    "fix": -0.4,
    "charged": -0.6,
    "overcharged": -1.0,
    "fee": -0.4,
    "fees": -0.4,
    "expired": -0.4,
    "slow": -0.6,
    "hung": -0.8,
}
PROBLEM_CAP = -1.2  # several problem words make one problem, not a bigger one
# Saying there is no problem ("no problem at all", "nothing is wrong") is not reporting one.
NO_PROBLEM = re.compile(
    one_of(
        words("no|not a|not any|without any?|zero") + r" " + words("problems?|issues?|worries|trouble"),
        r"\bnothing(?: is|'s)? wrong\b",
        r"\bnot (?:too |that |so )?bad\b",
        words("no big deal|not a big deal"),
    )
)
# Something the customer reports not working ("doesn't work", "can't log in", "never received").
FAILURES = re.compile(
    one_of(
        words(
            "doesn't|does not|didn't|did not|won't|will not|can't|cannot|couldn't|isn't|is not|"
            "wasn't|not|never|haven't|hasn't|stopped"
        )
        + " (?:been )?"
        + words(
            "work|works|working|load|loads|loading|arrive|arrives|arrived|received|receive|came|"
            "comes|get|got|find|log|access|open|connect|delivered|refunded|reimbursed|shipped|"
            "resolved|fixed|showing|show|go through|went through"
        ),
        words("is|was|are|still|been") + r" down\b",
    )
)
FAILURE_WEIGHT = -0.5
# Negations in a report are usually about what went wrong ("no call", "never came", "isn't there").
NEGATION = re.compile(words("not|never|nothing|without|no|nobody|none") + r"|n't\b")
NEGATION_WEIGHTS = (0.0, -0.4, -1.0, -1.2)  # by count: two negations in a report mostly mean a complaint

# Asking how to get the problem solved: the problem is then the subject of the chat, not a feeling.
ASKS_FOR_SERVICE = re.compile(
    one_of(
        words(
            "how (?:do|can|could|would|should|soon)|can (?:i|we|you|it|someone|they|this)|"
            "could (?:i|we|you|it|someone)|would (?:you|it)|may i|is (?:there|it possible)|"
            "are you able|do (?:you|i|we)|does (?:it|the|this|that|your)|"
            "what (?:do|should|can|are my|happens|if|now)|where (?:do|can|is|are|should)|"
            "when (?:can|do|does)|"
            "(?:i|we) (?:want|need|would like|'d like|wanted|wish|just want) to|"
            "(?:and|but|so) (?:want|need|would like) to|i'd like|please|help me|"
            "any (?:fix|tips|way|troubleshooting)|what are my options|is that (?:normal|covered)|"
            "should i|i need|walk me through|where to|how to|"
            r"there(?:'s| is) (?:a|an) (?:\w+ )?(?:problem|issue|error)"
        ),
        "^(?:please )?"
        + words(
            "show|tell|give|get|send|request|report|inform|check|find|cancel|change|update|open|"
            "close|delete|track|file|lodge|submit|make|book|reset|see|view|fix"
        ),
        words("i|we")
        + " "
        + words("have|had|found|got|am having|'m having|are having|'re having|ran into|run into")
        + r" (?:a|an|some|this|the) (?:\w+ )?(?:problem|issue|trouble|error)",
    )
)

# Praise words that sarcasm turns around, and what they turn around in.
PRAISE = one_of(
    "great|perfect|wonderful|fantastic|brilliant|amazing|awesome|nice|lovely|super|"
    "excellent|superb|marvell?ous|splendid|terrific|outstanding|impressive|yay|cool|sure|"
    "love|loving"
)
FAILURE = re.compile(
    one_of(
        words(
            r"again|broken|broke|crash\w*|lost|losing|delayed|delay|late|cancell?ed|hold|charged|"
            "twice|no (?:reply|answer|response|one)|nobody|never|vanished|disappeared|missing|"
            "failed|fail|still|wasted|waiting|ignored|third|fourth|useless"
        ),
        DURATION,
    )
)
# Praise opening a message about a failure is sarcasm in a short message ("oh perfect, broken again"); in a
# longer one it is as often real praise for handling the failure.
SHORT_SARCASM_WORDS = 12
OPENING_PRAISE = re.compile(
    rf"^(?:oh|wow|well|yeah|ah|just)?[ ,!.]*(?:so |really |just |very |super )?{PRAISE}\b"
)
SARCASM = [
    re.compile(rf"\b{PRAISE},? just {PRAISE}\b"),  # "great, just great"
    re.compile(
        words("love|loving|enjoy|enjoying|adore") + " " + words("how|that|the way|it when|being|waiting")
    ),
    re.compile(words("what a treat|how lovely|how nice|how wonderful|oh look|shocking|surprise surprise")),
    re.compile(
        r"\b(?:thanks?|thank you)\b.*\bfor "
        + one_of(
            r"nothing|not\b|losing|ruining|wasting|cancell?ing|breaking|ignoring|leaving|delaying|"
            "stranding|overcharging|charging|making me wait|the runaround|keeping me|"
            r"(?:the |your )?(?:\w+ and )?"
            "(?:non[- ]?helpful|unhelpful|useless|robotic|rude|terrible|awful|lack)"
        )
    ),
    re.compile(rf"^(?:thanks|thank you|thx) (?:\w+ )?for (?:the |another |an extra )?{DURATION}"),
]
SINCERE = re.compile(
    one_of(
        words(
            "appreciate|appreciated|grateful|resolved|kudos|shout ?out|props|well done|sorted|"
            "fixed it|thanks again|thank you again"
        ),
        "[\U0001f44f\U0001f64f\u2764\U0001f60a\U0001f642\U0001f600\U0001f603]",
        r":\)",
    )
)
NOT_AT_THE_END = re.compile(r"[.!?,] *not[.!]*$")  # "well that was helpful. not."
QUOTED_CLAIM = re.compile(r"\"[^\"]{3,40}\"")  # 'oh sure, "24 hour delivery"'

ANGRY_EMOJI = re.compile(
    "[\U0001f620\U0001f621\U0001f92c\U0001f624\U0001f644\U0001f44e\U0001f643\U0001f4a2\U0001f612\U0001f611"
    "\U0001f926\U0001f92e\U0001f595\U0001f4a9]"
)
ANGRY_EMOJI_WEIGHT = -0.7
SHOUTING_WEIGHT = -0.5
SHOUTED_DEMAND = re.compile(
    words("WHERE|WHY|NOW|ASAP|WANT|STILL|NEVER|NOTHING|AGAIN|UNACCEPTABLE|STOP|WORST|WTF")
)
ANGER_WORDS = (
    "smh ffs wtf ugh fml argh grr frustrating frustrated frustration annoyed annoying furious livid outraged "
    "outrageous disgusted disgusting appalled appalling unacceptable ridiculous pathetic useless incompetent "
    "worst scam ripoff disappointed disappointing disappointment impossible unbelievable absurd insane "
    "shameful disgrace infuriating horrendous"
)

# Who or what a clause's negativity is aimed at. At the customer themselves ("my bad", "I'm hopeless with
# apps", "annoyed at myself") or at something not ours ("the traffic was awful", "the film was so sad"), it
# is no complaint about us.
SELF_AIMED = re.compile(
    one_of(
        words(
            "my (?:bad|fault|mistake|error|own fault)",
            "silly me",
            "stupid me",
            "dumb me",
            "(?:at|with|in) myself",
            "kicking myself",
            "blame myself",
        ),
        r"\bi(?:'m| am| was| feel| felt)(?: so| such| really| a bit| kind of)? (?:an? )?"
        + words("idiot|hopeless|useless|terrible|awful|bad|stupid|dumb|clumsy|silly|rubbish|an idiot"),
    )
)
ELSEWHERE = re.compile(
    words("the|this|that|my|our|a|last")
    + r" (?:\w+ )?"
    + words(
        "traffic|weather|storm|snow|rain|wind|heat|film|movie|book|show|song|album|series|episode|game|"
        "match|news|party|exam|previous owner|other (?:shop|store|company|site|brand|one)"
    )
    + "|"
    + r"\b(?:it's been|had|having|what) an? \w+ (?:day|week|month|year|night|morning)\b"
)
AIMED_AT_US = re.compile(
    r"(?<!not )(?<!n't )"  # "my mistake, not yours"
    + words(
        "you|your|yours|you guys|y'all|you people|customer service|support|"
        r"(?:this|the) (?:company|service|shop|store|app|site|website|bot|chatbot|chat|airline|team|staff|"
        r"agent|delivery|courier|driver|order|parcel|package|product|item|refund|process|system|experience|"
        r"flight|booking|reservation|call|wait)|customer experience"
    )
)
ELSEWHERE_SHARE = 0.15  # how much negativity aimed elsewhere still counts
TARGETED_BY_CLAUSE = frozenset(
    {"anger", "swearing", "better elsewhere"}
)  # phrases whose target is the clause's

# The complaint patterns: negativity aimed at the service, which VADER's lexicon misses.
PHRASES = [
    phrase(
        "waiting",
        "still been keep kept",
        -0.4,
        words("still|been|keep|kept")
        + r"\s+"
        + one_of(
            r"waiting|on hold|holding|stuck|no\b|not\b|haven't|hasn't|nothing|trying|calling|"
            "chasing|missing|delayed|broken|lost|can't|don't|doesn't|isn't|won't|getting"
        ),
        r"\bstill (?:\w+ )?" + words("hasn't|haven't|isn't|not|no|nothing"),
    ),
    phrase("on hold", "hold hung hang", -0.4, words("on hold|hung up|hang up|hold music")),
    phrase(
        "how long",
        DURATION_ANCHORS,
        -0.3,
        words(
            "for|over|after|almost|nearly|than|another|past|last|waited|waiting|wasted|spent|been|"
            "took|takes|already|still|it's|its"
        )
        + " (?:about |around |like |at least |a good |the )?"
        + DURATION,
        DURATION
        + " "
        + words(
            "late|delay|delayed|wait|waiting|on hold|later|ago|now|already|and counting|"
            "of my life|and still|and nothing|and no"
        ),
        r"\bwait times? " + words("of|is|are|was|were") + r" (?:\d|longer|over|more|ridiculous|insane|crazy)",
    ),
    phrase(
        "again",
        "again time times",
        -0.25,
        words(
            "again|(?:third|3rd|second|2nd|fourth|4th|fifth|5th) time|every (?:single )?time|"
            "yet again|(?:three|four|five|3|4|5) times"
        ),
        strong=False,
    ),
    phrase(
        "nobody answers",
        "no nobody noone nothing none can't cannot couldn't unable",
        -0.4,
        words(
            "no one|nobody|noone|no response|no reply|no answer|no help|no call|no updates?|"
            "no explanation|no apology|no compensation|no word|no announcements?|no communication|"
            "no info(?:rmation)?|received none|got none|and nothing|still nothing"
        ),
        words("can't|cannot|couldn't|unable to")
        + " "
        + one_of("get (?:a )?hold of|get ahold of|get through to|reach")
        + " "
        + words("anyone|anybody|someone|a human|a person"),
        r"^nothing[.!]*$",
    ),
    phrase(
        "thanks for nothing",
        "thanks thank thx",
        -0.9,
        words("thanks|thank you|thx")
        + "(?: so much| a lot)? for "
        + one_of(
            "nothing|the delay|making|ruining|losing|wasting|the runaround|leaving|cancell?ing|"
            "ignoring|breaking|charging"
        ),
    ),
    phrase(
        "a joke",
        "joke",
        -0.9,
        r"\b" + one_of("what a|is a|such a|total|complete|absolute|a bad|a|, ?") + r" joke\b",
        r"\bjoke$",
    ),
    phrase(
        "no answer from you",
        "not never doesn't didn't won't can't isn't wasn't don't aren't weren't",
        -0.5,
        words(
            "doesn't|does not|didn't|did not|won't|will not|don't|do not|never|not|nobody|aren't|isn't|"
            "weren't|wasn't"
        )
        + " (?:ever )?"
        + words(
            "help|helping|answer|answered|answers|respond|responded|responds|reply|replied|"
            "call(?:ed)? back|get back|care|cares|listen|listens|happens|happened|acceptable|"
            "good enough|value"
        ),
    ),
    phrase(
        "why",
        "why come",
        -0.3,
        r"(?:^|[.!?] )(?:why|how come) "
        + words(
            "is|are|am|do|does|did|can't|won't|would|should|has|have|was|were|the|your|no|"
            "on earth|the hell|tf|it|isn't|hasn't|haven't|wasn't|don't|doesn't|must|didn't|aren't|"
            "can"
        ),
        strong=False,
    ),
    phrase(
        "why so hard",
        "why straight",
        -0.5,
        r"\bwhy (?:is|does|do|did|was|has) (?:it|this|that|everything|getting \w+) (?:so|this|that|such a) "
        + words("hard|difficult|long|complicated|slow|painful|much hassle|hassle"),
        r"\ba straight answer\b",
    ),
    phrase(
        "wasted time",
        "waste wasted wasting",
        -0.6,
        words("waste|wasted|wasting") + " (?:of )?(?:my |our |your )?" + one_of("time|money|day|life|hours?"),
    ),
    phrase(
        "would be nice",
        "would it'd",
        -0.6,
        words("would|it'd")
        + " (?:be|have been) "
        + words("nice|great|super|lovely|good|helpful|awesome")
        + r" (?:if|to)\b",
        r"\bwould (?:love|like) to (?:see|know why)\b",
        strong=False,
    ),
    phrase(
        "?!",
        "? !",
        -0.3,
        r"(?:^|\s)really\s*\?",
        r"\?\s*!",
        r"!\s*\?",
        r"\?{2,}",
        r"\bseriously\b",
        strong=False,
    ),
    phrase(
        "anger",
        ANGER_WORDS,
        -0.4,
        r"(?<!not )(?<!never )(?<!n't )(?<!no )"
        + words(
            r"smh|ffs|wtf|ugh+|fml|argh+|grr+|frustrat\w*|annoy(?:ed|ing)|furious|livid|outrag\w+|"
            r"disgust\w*|appall\w*|unacceptable|ridiculous|pathetic|useless|incompetent|worst|scam|"
            r"ripoff|disappoint\w*|impossible|unbelievable|absurd|insane|shameful|disgrace|"
            "infuriating|horrendous"
        ),
    ),
    phrase(
        "#fail",
        "#",
        -0.6,
        r"#\w*"
        + one_of(
            "fail|suck|worst|bad|never|shame|lie|disappoint|angry|fml|hell|joke|ridiculous|"
            "unacceptable|terrible|awful|poor|epic"
        ),
    ),
    phrase(
        "fed up",
        "fed sick tired had enough done over furious angry livid",
        -0.7,
        words(
            "fed up|sick (?:and tired )?of|tired of|had enough|had it with|enough is enough|"
            "(?:i'm|i am|we're|we are) (?:so )?done with|over it|furious|livid|so angry|fuming"
        ),
    ),
    phrase(
        "broken promises",
        "keep keeps kept promised promise promising told excuse said",
        -0.5,
        r"\b(?:keeps?|kept) (?:on )?"
        + one_of(
            "promising|saying|telling|asking|sending|changing|cancell?ing|disconnecting|hanging up|giving me"
        ),
        r"\bpromised\b.*" + words("still|never|nothing|not|no"),
        words("(?:was|were) promised|told (?:me|us) (?:it|they|you|that) would|excuse"),
        r"\b(?:you|they) said (?:this|that|the same) (?:last time|before|yesterday)\b",
    ),
    phrase(
        "insult",
        "bunch you your this what such a",
        -0.6,
        r"\bbunch of \w+",
        words("you|you guys|you people|you lot|y'all|your staff|your team|your people|they")
        + " (?:are|r|re) (?:all )?(?:a |such )?"
        + words(
            "clowns?|idiots?|morons?|amateurs?|jokes?|useless|incompetent|pathetic|liars?|thieves|"
            "scammers?|crooks?|hopeless|stupid|dumb|totally incompetent|completely useless"
        ),
        words("clown|joke|garbage|trash|rubbish|shambles|scam|crap|mickey mouse|shambolic|cowboy")
        + " (?:of a )?"
        + words("company|business|service|app|shop|store|outfit|operation|airline|bank"),
        words("stupid|dumb|idiotic|useless") + " " + words("bot|chatbot|app|company|system|website|site"),
        words("dumb as|sucks?|(?:is|are) (?:trash|garbage|rubbish|crap)"),
    ),
    phrase(
        "not told",
        "not never didn't wasn't weren't haven't hasn't no won't wouldn't can't cannot couldn't they're",
        -0.5,
        words(
            "not|never|didn't|wasn't|weren't|haven't been|hasn't been|no one|won't|wouldn't|can't|"
            "cannot|couldn't"
        )
        + " (?:even |once |ever )?"
        + words(
            "notified|informed|told|contacted|inform|notify|warned|warn|updated|called back|tell|"
            "telling|explain|explained"
        ),
    ),
    phrase(
        "swearing",
        "shit shits shitty crap crappy damn hell fuck fucking fucked bs bullshit f wtf ffs heck he'll",
        -0.6,
        words("shit|shits|shitty|crap|crappy|bullshit|bs|wtf|ffs|fuck(?:s|ed| you| this| off| up)?"),
        words("what the (?:hell|heck|he'll|f)|the hell|damn it|give a damn"),
    ),
    phrase(
        "not good enough",
        "not less needs need should notcool nothing gave give non took surprise fails there learn wish # "
        "should've could could've ought giving",
        -0.5,
        r"\bnot "
        + words(
            "impressed|happy|pleased|amused|cool|acceptable|ok|okay|good|great|satisfied|fair|"
            r"right|professional|reasonable|even an? \w+|even close"
        ),
        r"\bless than (?:\w+ )?"
        + words("friendly|helpful|ideal|stellar|impressed|pleasant|professional|great"),
        words(
            "non[- ]?helpful|needs? (?:some )?(?:work|improvement|improving)|notcool|"
            "took (?:forever|ages|so long|too long|way too long)|big surprise|fails to|"
            "(?:is )?(?:anyone|anybody) (?:working|awake|alive|listening|reading|home)|"
            "no (?:attempt|helpful|useful|real|proper|clear|straight)|"
            "when will (?:you|they|u)(?: guys)? learn|"
            "(?:i|we) (?:just |really )?wish (?:you|they|someone|somebody|a|that|your|the)|"
            "you (?:should have|could have|should've|could've|ought to have)|"
            "nothing (?:was )?(?:done|happened|changed)|gave up|giving up"
        ),
        r"\b(?:anyone|anybody|someone) (?:out )?there\s*\?",
        r"#no\w+|#not\w+",
    ),
    phrase(
        "better elsewhere",
        "other another others competitors would wouldn't",
        -0.4,
        words("other|another|different")
        + " "
        + words("airlines?|companies|company|carriers?|banks?|providers?|shops?|stores?|retailers?|brands?"),
        words(r"would never (?:treat|do|happen|let)|that's how \w+ (?:would|does)"),
        strong=False,
    ),
    phrase(
        "paid for it",
        "paid pay paying",
        -0.25,
        r"\b(?:i|we) (?:paid|pay|am paying|are paying) (?:for|to|extra|good money|\$)",
        strong=False,
    ),
    phrase(
        "blaming us",
        "you your they u",
        -0.5,
        words("you|you guys|your (?:staff|team|people|agents?|crew|courier|driver)|they|u")
        + " (?:have |just |totally |completely |somehow )?"
        + words(
            "broke|lost|cancell?ed|damaged|ruined|misplaced|destroyed|overcharged|forgot|ignored|"
            "screwed|messed|returned it damaged|stranded|bumped|know nothing|double[- ]charged|"
            "charged me|sent (?:me )?the wrong|gave (?:me|away)"
        ),
        words("effing|fucking|screwing|messing|mucking|stuffing") + " (?:up|it up)\\b",
    ),
    phrase(
        "scolding",
        "get do step hire learn shame believe act better sort",
        -0.5,
        words(
            "get (?:your|ur|their) (?:act|shit|stuff) together|(?:do|be) better|step (?:it )?up|"
            "hire (?:smarter|better|competent|more)|learn (?:to|how to)|shame on|"
            "(?:can't|cannot|couldn't) believe|sort (?:it|this|yourselves) out"
        ),
    ),
    phrase(
        "leaving us",
        "never again last elsewhere switching switch competitor star review report reporting chargeback "
        "telling stay away lawyer sue goodbye leaving cancel cancelling won't done",
        -0.8,
        r"\bnever "
        + one_of("again|ordering|buying|using|shopping|coming back|recommend|fly|flying|use|order|buy|shop"),
        r"\b(?:won't|will not|never) (?:be )?(?:buy|order|use|shop|fly|com|recommend)\w*\b.*\bagain\b",
        r"\b(?:last|final) time (?:i|we) (?:use|order|buy|shop|fly|deal)",
        words("business|money|custom") + " elsewhere",
        r"\bswitch(?:ing)? "
        + one_of(
            "to (?:a |your )?(?:competitor|another "
            "(?:bank|provider|company|airline|carrier|shop|store|supplier|network))|"
            "providers|banks|carriers|suppliers"
        ),
        words(
            "competitors?|(?:1|one)[- ]?star|report(?:ing)? (?:you|this)|chargeback|"
            "consumer (?:protection|rights)|trading standards|lawyer|sue you|"
            "telling (?:everyone|everybody|all my|my friends|people)|stay away|"
            "done with (?:you|this|your)|cancel (?:everything|it all)"
        ),
    ),
]
