"""Help Requested: the customer asks for a human, in the words people really use in chats.

A request is a verb of reaching someone (talk to, speak with, connect me to, transfer me, get me...) with a
human target (a human, a real person, an agent, a representative, a manager...), or a phrase that means it
by itself (escalate, human handoff, a live agent, I don't want to talk to a bot). It does not count when
the clause negates it ("no need for a human", "I don't need to speak to anyone"), when it asks whether
this is a person ("am I talking to a real person?"), when it tells of the past ("I spoke to an agent
yesterday": past-tense verbs are not in the patterns), or when the customer asks an agent to do
something ("ask an agent how to..."): determiners like "my travel" never sit between verb and target.
"""

from __future__ import annotations

import re

from detection.base import Finding, MessageContext, Role
from detection.text import clauses, normalise, run_together, typo_table

VOCABULARY = frozenset(
    {
        "human",
        "humans",
        "person",
        "people",
        "someone",
        "somebody",
        "anyone",
        "anybody",
        "agent",
        "agents",
        "representative",
        "operator",
        "manager",
        "supervisor",
        "employee",
        "staff",
        "talk",
        "speak",
        "speaking",
        "talking",
        "contact",
        "connect",
        "transfer",
        "escalate",
        "forward",
        "please",
        "customer",
        "service",
        "support",
        "machine",
        "robot",
        "understand",
        "helping",
        "available",
        "real",
        "live",
        "want",
        "need",
        "with",
        "contacting",
        "there",
    }
)
JOINABLE = frozenset(
    {
        "to",
        "a",
        "an",
        "the",
        "is",
        "me",
        "you",
        "i",
        "can",
        "speak",
        "talk",
        "chat",
        "human",
        "person",
        "agent",
        "someone",
        "with",
        "there",
    }
)
PROTECTED = frozenset(
    {
        "humane",
        "managed",
        "manages",
        "steak",
        "sneak",
        "spear",
        "speck",
        "personal",
        "parson",
        "persona",
        "contract",
        "contacts",
        "conflict",
        "connected",
        "transfers",
        "transferred",
        "forwards",
        "serviced",
        "services",
        "supports",
        "supported",
        "machines",
        "robots",
        "agency",
        "talks",
        "speaks",
        "wants",
        "needs",
        "went",
        "wait",
        "wish",
        "what",
        "want",
        "when",
        "wand",
        "ward",
        "reel",
        "reap",
        "read",
        "rear",
        "live",
        "love",
        "life",
        "like",
        "line",
        "lime",
        "give",
        "with",
        "where",
        "here",
        "these",
        "three",
        "their",
        "then",
        "them",
        "other",
        "tome",
        "mean",
        "meant",
    }
)

ARTICLE = (
    r"(?:(?:a|an|the|some|any|your|one|of|real|live|actual|proper|genuine|human|customer|service|support|"
    r"sales|care|another|other|flesh|and|blood|different|more|senior|competent|qualified|actual|"
    r"fucking|freaking|frigging|effing|damn|damned|bloody|goddamn|please|just|right|now)\s+)*"
)
HUMAN_ONLY = (
    r"(?:humans?(?:\s+beings?)?|persons?|people|representatives?|operators?|managers?|supervisors?|"
    r"staff|employees?|(?:human|live|real|customer\s+service|support|service)\s+agents?|"
    r"customer\s+(?:service|care|support)|support\s+team|your\s+team|someone\s+real|"
    r"real\s+(?:someone|somebody|one)|real\s+(?!estate)[a-z]+\s+(?:employee|person|human|representative)s?|"
    r"members?\s+of\s+(?:staff|(?:your|the)\s+(?:support\s+|customer\s+(?:service|care)\s+)?team)|"
    r"colleagues?|(?:customer\s+care|support|service)\s+team|someone\s+who\s+works\s+(?:there|here|for\s+you))"
)
ANYONE = r"(?:someone|somebody|anyone|anybody|agents?|team|(?:a|the)\s+team)"
REACH = r"(?:talk(?:ing)?|speak(?:ing)?|chat(?:ting)?|communicate|converse)\s+(?:to|with)"
CONTACT = (
    r"(?:contact(?:ing)?|reach(?:ing)?|call|connect(?:ing)?\s+(?:me\s+)?(?:to|with)|"
    r"put\s+me\s+(?:through|in\s+touch)\s+(?:to|with)|transfer(?:ring)?\s+me\s+(?:to|over\s+to)?|"
    r"forward\s+me\s+to|pass\s+me\s+(?:on\s+)?to|"
    r"hand\s+(?:me|this|it|us|the\s+conversation|a\s+conversation|this\s+conversation)\s+(?:over\s+)?to|"
    r"escalate\s+(?:this|me|it|my\s+\w+)?\s*to|get\s+me|bring\s+(?:me\s+)?(?:in\s+)?|deal\s+with|"
    r"hook\s+me\s+up\s+with|get\s+me\s+in\s+touch\s+with|put\s+me\s+in\s+touch\s+with|"
    r"be\s+(?:connected|transferred|put\s+through|passed)\s+(?:on\s+)?(?:to|with)|"
    r"transfer\s+(?:this|the|my)\s+(?:conversation|chat|case|call|ticket)\s+to)"
)
WANT = r"(?:want|need|give\s+me|get|prefer|request|requesting|demand|like)"

REQUESTS = [
    re.compile(rf"\b(?:{REACH}|{CONTACT})\s+{ARTICLE}(?:{HUMAN_ONLY}|{ANYONE})\b"),
    re.compile(rf"\b{WANT}\s+(?:to\s+(?:have|get)\s+)?{ARTICLE}{HUMAN_ONLY}\b"),
    re.compile(
        r"\b(?:escalate|escalation|human\s+hand\s?off|handoff\s+to\s+a\s+human|transfer\s+me|"
        r"real\s+(?:person|human)|live\s+(?:person|agent|human|operator|support)|human\s+(?:agent|support|"
        r"being|assistance|help)|service\s+agent|actual\s+(?:person|human))\b"
    ),
    re.compile(
        r"\b(?:don't|do\s+not|not|never|doesn't|hate\s+to|tired\s+of)\s+(?:want|like|wish|going)?\s*"
        r"(?:to\s+)?(?:talk(?:ing)?|speak(?:ing)?|chat(?:ting)?)\s+(?:to|with)\s+(?:a|an|the|this|some|your)?"
        r"\s*(?:bot|machine|robot|computer|ai|chatbot|program)s?\b"
    ),
    re.compile(
        r"\b(?:talking|chatting|speaking)\s+(?:to|with)\s+(?:a|this|the|your)\s+(?:bot|machine|robot|chatbot)"
        r"\s+is\b"
    ),
    re.compile(
        r"\b(?:is|are)\s+there\s+(?:also\s+)?(?:a\s+|an\s+|any\s+)?(?:humans?|persons?|people|agents?|"
        r"real\s+people)\b"
    ),
    re.compile(
        r"\b(?:any|a|an)\s+(?:person|human|agent|one|representative)\s+(?:available|around|there|free)\b"
    ),
    re.compile(
        rf"\bthere\s+(?:is|are|'s)\s+{ARTICLE}(?:someone|somebody|anyone|anybody|person|human|agent|"
        r"representative)s?\s+(?:available|around|free|i\s+can)\b"
    ),
    re.compile(
        rf"\bis\s+there\s+{ARTICLE}(?:someone|somebody|anyone|anybody|person|human|agent|representative)s?\s+"
        r"(?:available|around|free|i\s+can|who\s+can|to\s+talk)\b"
    ),
    re.compile(
        r"\b(?:someone|somebody|anyone)\s+(?:from|at|in)\s+(?:your\s+|the\s+)?(?:customer|support|service|team|"
        r"staff|company)\b"
    ),
    re.compile(r"\bnot\s+(?:a\s+)?(?:bot|machine|robot)\b.*\b(?:person|human)\b"),
    re.compile(
        r"\b(?:person|human|agent)s?\b.*\b(?:not|instead\s+of)\s+(?:a\s+|the\s+|this\s+)?(?:bot|machine|robot)\b"
    ),
    # a person asked to do the work: "can a person look at this", "could a member of staff help me"
    re.compile(
        rf"\b(?:can|could|would|will|may)\s+{ARTICLE}(?:{HUMAN_ONLY}|someone|somebody|anyone|anybody|agents?)"
        r"(?:\s+(?:from|at|in|on)\s+(?:your|the)\s+\w+)?\s+(?:please\s+)?(?:look|help|check|take|review|handle|"
        r"call|contact|get\s+back|assist|deal|sort|answer|give\s+me\s+a\s+call|ring|phone|step\s+in|jump\s+in|"
        r"have\s+a\s+look)\b"
    ),
    # the case needs a person: "this needs a human"
    re.compile(rf"\b(?:needs?|requires?)\s+{ARTICLE}(?:humans?|persons?|people|agents?|representatives?)\b"),
    # a person to be given: "give me an agent", "I want an agent"
    re.compile(
        rf"\b(?:give\s+me|get\s+me|i\s+want|i\s+need|i'd\s+like|i\s+would\s+like)\s+{ARTICLE}(?:agents?|"
        r"someone|somebody)\b(?!\s+(?:to\s+)?(?:number|id|code|name|discount))"
    ),
    # is a person there: "is anyone there who can help?", "any humans around??"
    re.compile(
        r"\b(?:is|are)\s+(?:anyone|anybody|someone|somebody|any\s+(?:humans?|people|agents?|persons?)|"
        r"a\s+(?:human|person|real\s+person))\s+(?:\w+\s+)?(?:there|around|available|here|online|awake|free)\b"
    ),
    re.compile(
        r"\bany\s+(?:humans?|people|persons?|agents?|representatives?)\s+(?:available|around|there|free)\b"
    ),
    re.compile(
        r"\bis\s+there\s+(?:anyone|anybody|someone|somebody)\s+(?:on|from|in)\s+(?:your|the)\s+(?:\w+\s+)?team\b"
    ),
    re.compile(
        r"^(?:a\s+|an\s+)?(?:real\s+|live\s+)?(?:humans?|agent|person|representative|operator|"
        r"customer\s+service|supervisor|manager)(?:\s+(?:please|now|asap|needed))*$"
    ),
]
NEGATED = re.compile(
    r"\b(?:no\s+need|not\s+need|don't\s+need|do\s+not\s+need|needn't|don't\s+want|do\s+not\s+want|"
    r"won't\s+need|no\s+longer|rather\s+not|never\s+mind|without|not\s+looking|no\s+reason|"
    r"don't\s+have\s+to|doesn't\s+have\s+to|not\s+necessary|unnecessary|no\s+one\s+needs)\b"
)
ASKS_WHETHER = re.compile(
    r"\b(?:are\s+you|is\s+this|is\s+it|am\s+i\s+(?:talking|speaking|chatting)|was\s+that|were\s+you)\b"
)
BOT_WORDS = re.compile(r"\b(?:bot|machine|robot|computer|chatbot|program)s?\b")


PHRASE_PATTERNS_KEPT = 256  # services' phrase lists compiled and kept


class HelpRequested:
    kind = "help_requested"
    roles: frozenset[Role] = frozenset({"user"})

    def __init__(self) -> None:
        self._typos = typo_table(VOCABULARY, PROTECTED)
        self._typos.update(
            {k: v for k, v in run_together(VOCABULARY | JOINABLE).items() if k not in PROTECTED}
        )
        self._phrase_patterns: dict[tuple[str, ...], re.Pattern[str]] = {}

    def detect(self, message: MessageContext) -> Finding | None:
        normalised = normalise(message.text, self._typos)
        for clause in clauses(normalised):
            request = self._request_in(clause)
            if request is not None:
                rule = f"asks for a person: {request!r} (in {clause!r})"
                return Finding(self.kind, f"The customer asked for a human: {message.text}", rule=rule)
        if message.phrases:
            phrase = self._phrases(message.phrases).search(normalised)
            if phrase is not None:
                rule = f"the service's trigger phrase {phrase.group(0)!r}"
                return Finding(self.kind, f"The customer asked for a human: {message.text}", rule=rule)
        return None

    def _phrases(self, phrases: tuple[str, ...]) -> re.Pattern[str]:
        """One pattern for a service's own trigger phrases, as whole words, spelt as `normalise` spells."""
        pattern = self._phrase_patterns.get(phrases)
        if pattern is None:
            words = sorted({normalise(p, self._typos).strip() for p in phrases} - {""}, key=len, reverse=True)
            alternatives = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in words) or "(?!)"
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
            if len(self._phrase_patterns) > PHRASE_PATTERNS_KEPT:
                self._phrase_patterns.clear()
            self._phrase_patterns[phrases] = pattern
        return pattern

    def _request_in(self, clause: str) -> str | None:
        """The words of the clause that ask for a person, if any."""
        for pattern in REQUESTS:
            match = pattern.search(clause)
            if match is None:
                continue
            before = clause[: match.start()]
            anti_bot = BOT_WORDS.search(match.group(0)) is not None
            if not anti_bot and NEGATED.search(before + " " + match.group(0)[:12]):
                continue
            asking_whether = ASKS_WHETHER.search(before[-30:] + " " + match.group(0)[:20])
            if asking_whether and not re.search(r"\b(?:can|could|may)\s+i\b", before):
                continue
            return match.group(0)
        return None
