"""Negative Feedback: the customer turned negative, by VADER made fit for customer service.

VADER (a lexicon and rules built for social media) misses much of how unhappy customers write: waiting,
being on hold, delays and cancellations carry no sentiment in its lexicon, "joke" is positive, and the
polite or sarcastic "thanks" at the end of a complaint outweighs it. We add a customer-service lexicon,
phrase rules for complaint patterns (durations, "still waiting", "no one answers", "thanks for nothing"),
and the conversation's trend: two negative-leaning messages in a row fire at half the threshold.
The threshold can differ per service (`MessageContext.negative_threshold`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from detection.base import Finding, MessageContext, Role
from detection.text import APOSTROPHES

DEFAULT_THRESHOLD = -0.2


@dataclass(frozen=True, slots=True)
class Phrase:
    """A complaint pattern and its weight; it is tried only when one of its anchor words is in the text."""

    anchors: frozenset[str]
    pattern: re.Pattern[str]
    weight: float


TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[?!#]")
DURATION = (
    r"(?:\d+\s*\+?\s*|an?\s+|one\s+|two\s+|three\s+|four\s+|five\s+|several\s+|many\s+|"
    r"half\s+an?\s+)(?:hours?|hrs?|h|mins?|minutes|days|weeks|months|times|calls)\b"
)

CUSTOMER_SERVICE_LEXICON = {
    "waiting": -1.2,
    "waited": -1.2,
    "stranded": -2.0,
    "stuck": -1.8,
    "delayed": -1.8,
    "delay": -1.6,
    "delays": -1.6,
    "cancelled": -1.8,
    "canceled": -1.8,
    "cancellation": -1.0,
    "joke": -1.5,
    "useless": -2.5,
    "ridiculous": -2.2,
    "unhelpful": -2.0,
    "clueless": -1.8,
    "overbooked": -1.5,
    "misplaced": -1.5,
    "missing": -1.2,
    "late": -1.0,
    "refund": -0.6,
    "rebook": -0.6,
    "rebooked": -0.6,
    "unacceptable": -2.5,
    "worst": -3.1,
    "incompetent": -2.5,
    "rude": -2.3,
    "hung": -1.0,
    "lied": -2.0,
    "lies": -1.8,
    "scam": -2.5,
    "rip": -0.8,
    "ripoff": -2.2,
    "nightmare": -2.4,
    "disgrace": -2.4,
    "disgraceful": -2.4,
    "shameful": -2.2,
    "smh": -1.8,
    "ugh": -2.0,
    "wtf": -2.8,
    "fml": -2.4,
    "thanks": 1.2,
    "thank": 1.0,
    # words of asking for service, positive in VADER, carry no feeling in a support chat
    "help": 0.0,
    "please": 0.0,
    "care": 0.0,
    "hope": 0.0,
    "hoped": 0.0,
    "hoping": 0.0,
    "resolve": 0.0,
    "sure": 0.0,
    "want": 0.0,
    "free": 0.0,
    "yes": 0.3,
    "united": 0.0,
    "priority": 0.0,
    "fix": -0.8,
    "apology": -0.6,
    "money": -0.4,
    "claim": -0.4,
    "customers": -0.4,
}
PHRASES: list[Phrase] = [
    Phrase(
        frozenset(["still", "been", "keep", "kept"]),
        re.compile(
            r"\b(?:still|been|keep|kept)\s+(?:waiting|on hold|holding|stuck|no\b|not\b|haven't|hasn't|"
            r"nothing|trying|calling)"
        ),
        -0.4,
    ),
    Phrase(
        frozenset(["hold", "hung", "hang"]),
        re.compile(r"\bon hold\b|\bhung up\b|\bhang up\b|\bhold music\b"),
        -0.4,
    ),
    Phrase(
        frozenset(
            [
                "hour",
                "hours",
                "hr",
                "hrs",
                "h",
                "min",
                "mins",
                "minutes",
                "days",
                "weeks",
                "months",
                "times",
                "calls",
            ]
        ),
        re.compile(
            rf"\b(?:for|over|after|almost|nearly|than|another|past|last|waited|waiting|wasted|spent|been|took|"
            rf"takes|already|still) (?:about |around |like |at least )?{DURATION}|{DURATION} (?:late|delay|"
            rf"delayed|wait|waiting|on hold|later|ago|now|already|and counting|of my life)\b"
        ),
        -0.3,
    ),
    Phrase(
        frozenset(["again", "twice", "time"]),
        re.compile(r"\b(?:again|twice|(?:third|3rd|second|2nd|fourth|4th) time|every time|yet again)\b"),
        -0.2,
    ),
    Phrase(
        frozenset(["no", "nobody", "noone"]),
        re.compile(
            r"\b(?:no one|nobody|noone|no response|no reply|no answer|no help|no call|no update|no info|"
            r"no way|no explanation|no apology|no compensation)\b"
        ),
        -0.4,
    ),
    Phrase(
        frozenset(["thanks", "thank", "thx"]),
        re.compile(
            r"\b(?:thanks|thank you|thx) for (?:nothing|the delay|making|ruining|losing|wasting|"
            r"the runaround|leaving|cancell?ing|ignoring)"
        ),
        -0.9,
    ),
    Phrase(
        frozenset(["joke"]),
        re.compile(r"\b(?:what a|is a|such a|total|complete|absolute|a bad) joke\b"),
        -0.9,
    ),
    Phrase(
        frozenset(
            ["not", "never", "cannot", "doesn't", "didn't", "won't", "can't", "couldn't", "isn't", "wasn't"]
        ),
        re.compile(
            r"\b(?:doesn't|does not|didn't|did not|won't|will not|can't|cannot|couldn't|isn't|is not|wasn't|"
            r"not|never) (?:work|working|load|loading|help|helping|answer|answered|respond|responded|arrive|"
            r"arrived|received|get through|care|fix|fixed|happy|acceptable|ok|okay|good enough)\b"
        ),
        -0.5,
    ),
    Phrase(
        frozenset(["why", "come"]),
        re.compile(
            r"(?:^|[.!?] )(?:why|how come) (?:is|are|do|does|did|can't|won't|would|should|has|have|was|were|"
            r"am|the|my|your|no)\b"
        ),
        -0.3,
    ),
    Phrase(
        frozenset(["where", "where's", "wheres"]), re.compile(r"\b(?:where is|where's|wheres) my\b"), -0.15
    ),
    Phrase(
        frozenset(["waste", "wasted", "wasting"]),
        re.compile(r"\b(?:waste|wasted|wasting) (?:of )?(?:my |our |your )?(?:time|money|day|life)"),
        -0.6,
    ),
    Phrase(
        frozenset(["never", "not"]),
        re.compile(r"\b(?:never|not) (?:again|flying|using|buying|ordering|recommend)"),
        -0.6,
    ),
    Phrase(
        frozenset(["would", "it'd"]),
        re.compile(
            r"\b(?:would|it'd) (?:be|have been) (?:nice|great|super|lovely|good|helpful|awesome) (?:if|to)\b|"
            r"\bwould (?:love|like) to (?:see|know why)\b"
        ),
        -0.6,
    ),
    Phrase(frozenset(["?", "!"]), re.compile(r"(?:^|\s)really\s*\?|\?\s*!|!\s*\?|\?{2,}"), -0.3),
    Phrase(
        frozenset(["#"]),
        re.compile(
            r"#\w*(?:fail|suck|worst|bad|never|shame|lie|disappoint|angry|fml|hell|joke|ridiculous|"
            r"unacceptable|terrible|awful|poor|epic)"
        ),
        -0.6,
    ),
    Phrase(
        frozenset(["can't", "cannot", "couldn't", "unable", "trying", "tried", "try"]),
        re.compile(
            r"\b(?:can't|cannot|couldn't|unable to|trying to|tried to|try to) (?:get|book|reach|call|change|"
            r"find|log|check|speak|talk|use|access|contact|rebook|cancel)\b"
        ),
        -0.3,
    ),
    Phrase(
        frozenset(["not", "never", "haven't", "hasn't", "wasn't", "weren't"]),
        re.compile(
            r"\b(?:not|never|haven't|hasn't|wasn't|weren't) (?:been )?(?:a priority|resolved|reimbursed|"
            r"refunded|delivered|returned|received|contacted|compensated|notified|informed|told)\b"
        ),
        -0.5,
    ),
    Phrase(frozenset(["down"]), re.compile(r"\b(?:is|was|are|still|been) down\b"), -0.4),
    Phrase(
        frozenset(["charged", "charging", "charge", "fee", "fees"]),
        re.compile(r"\b(?:charged|charging|charge) (?:me|us|my|for)\b|\bfees?\b"),
        -0.3,
    ),
]
# A customer writing in negations is usually reporting something that went wrong.
NEGATION = re.compile(r"\b(?:not|never|nothing|without|no|nobody|none)\b|n't\b")
NEGATION_WEIGHT = -0.15
# "No" answering the assistant's question ("no thanks", "no, that's all") is not a feeling.
ANSWERING_NO = re.compile(r"^(?:no+|nope|nah)\b[\s,.!]*", re.IGNORECASE)
MENTION_OR_LINK = re.compile(r"@\w+|https?://\S+|www\.\S+")


class NegativeFeedback:
    kind = "negative_feedback"
    roles: frozenset[Role] = frozenset({"user"})

    def __init__(self, default_threshold: float = DEFAULT_THRESHOLD) -> None:
        self._analyzer = SentimentIntensityAnalyzer()  # reads VADER's lexicon file: build once, at start-up
        self._analyzer.lexicon.update(CUSTOMER_SERVICE_LEXICON)
        self._default = default_threshold

    def score(self, text: str) -> float:
        """VADER's compound score with the customer-service lexicon and phrase rules, in [-1, 1]."""
        text = MENTION_OR_LINK.sub(" ", text.translate(APOSTROPHES)).strip()
        scored = ANSWERING_NO.sub("", text).replace("#", " ")
        compound: float = self._analyzer.polarity_scores(scored)["compound"] if scored else 0.0
        lowered = text.lower()
        tokens = set(TOKEN.findall(lowered))
        compound += sum(
            p.weight for p in PHRASES if not p.anchors.isdisjoint(tokens) and p.pattern.search(lowered)
        )
        compound += NEGATION_WEIGHT * min(len(NEGATION.findall(lowered)), 3)
        return max(-1.0, min(1.0, compound))

    def detect(self, message: MessageContext) -> Finding | None:
        threshold = self._default if message.negative_threshold is None else message.negative_threshold
        score = self.score(message.text)
        if score <= threshold:
            return Finding(self.kind, f"Negative sentiment ({score:+.2f}): {message.text}", score)
        if message.previous and score <= threshold / 2:
            previous = self.score(message.previous[-1])
            if previous <= threshold / 2:
                reason = f"Two negative messages in a row ({previous:+.2f}, {score:+.2f}): {message.text}"
                return Finding(self.kind, reason, score)
        return None
