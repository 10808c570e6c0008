"""Non-Answer: an AI reply that does not answer.

When the responder says so itself (`answered: false`) the core raises the flag without reading the text.
Otherwise the wording tells: the assistant says it
cannot help or does not have the information, declines, or asks the customer to rephrase. Only the opening
of the reply is read, and only the assistant speaking of itself counts, so a real answer that merely
contains "sorry", "unfortunately" or "can't" ("Unfortunately we don't ship to Antarctica, but we ship to all
EU countries") is not a non-answer.
"""

from __future__ import annotations

import re

from detection.base import Finding, MessageContext, Role
from detection.text import APOSTROPHES

OPENING_CHARS = 320
SELF = r"(?:i|i'm|i am|i've|i have|we|we're|we are)"
CANNOT = (
    r"(?:can't|cannot|can not|won't|will not|am unable to|'m unable to|am not able to|'m not able to|"
    r"are unable to|are not able to|'re unable to|'re not able to|must decline to|have to decline to|"
    r"must refuse to|refuse to|do not|don't|am not going to|'m not going to|shouldn't|should not)"
)
ACTS = (
    r"(?:help|assist|answer|respond|provide|give|offer|share|fulfil|fulfill|comply|support|create|write|"
    r"generate|engage|participate|promote|recommend|tell|discuss|find|process|access|look up|produce|condone|"
    r"encourage|facilitate|endorse|advise|explain|complete|do that|do this|say|speculate|make|predict|"
    r"answer that)"
)
GOES_ON_TO_ANSWER = re.compile(r"\b(?:but|however)[, ]+(?:i|we|you) can\b|\bhere(?:'s| is| are)\b")
ANSWER_WINDOW = 200
PATTERNS = [
    re.compile(rf"\b{SELF}\s*{CANNOT}\s+(?:\w+\s+){{0,2}}?{ACTS}\b"),
    re.compile(
        r"\b(?:i|we)\s+(?:don't|do not|didn't|did not)\s+(?:currently\s+)?(?:have|know|possess|hold|find)\s+"
        r"(?:any\s+|enough\s+|the\s+|specific\s+|that\s+|this\s+|much\s+|access\s+to\s+|an?\s+)*"
        r"(?:information|info|details|data|answer|knowledge|record|idea|specifics|real-time)"
    ),
    re.compile(r"\b(?:i|we)\s+(?:really\s+)?(?:don't|do not)\s+know\b"),
    re.compile(
        r"\bi(?:'m| am)\s+(?:not\s+(?:sure|certain|familiar|programmed)(?!\s+why)|unsure|unable|not able)\b"
    ),
    re.compile(
        r"\b(?:could|can|would)\s+you\s+(?:please\s+)?(?:rephrase|reword|clarify|restate|try asking|"
        r"ask (?:it|that) (?:differently|another way)|provide more (?:details|context|information)|"
        r"be more specific)"
    ),
    re.compile(
        r"\b(?:i|we)\s+(?:didn't|did not|don't|do not)\s+(?:quite\s+)?(?:understand|follow|get)\s+"
        r"(?:your|the|what|that|this|you)\b"
    ),
    re.compile(
        r"\b(?:sorry|apologi[sz]e)[, ]+(?:but\s+)?(?:i|we)\s+(?:can't|cannot|won't|am unable|'m unable|"
        r"am not able|'m not able|don't|do not)\b"
    ),
    re.compile(r"\b(?:beyond|outside)\s+(?:my|the scope of my|the scope of what i|what i)\b"),
    re.compile(
        r"\b(?:it(?:'s| is)|that(?:'s| is)|this is)\s+not\s+(?:appropriate|ethical|something i|within my|"
        r"possible for me)"
    ),
    re.compile(r"\bno (?:information|details|data) (?:about|on|regarding|for) (?:that|this)\b"),
    re.compile(
        r"\b(?:i don't think|i do not think|it is not|it's not|it isn't|that is not|that's not)\s+"
        r"(?:it's\s+|it is\s+)?(?:accurate|appropriate|fair|respectful|ethical|right for me)\b"
    ),
    re.compile(
        r"\b(?:not (?:able|allowed|permitted) to|unable to) (?:help|assist|provide|answer|share|discuss)\b"
    ),
    re.compile(r"\bi (?:must|have to|need to) (?:decline|refuse|respectfully decline)\b"),
    re.compile(
        r"\b(?:do not|don't|cannot|can't|will not|won't|never) (?:condone|promote|encourage|endorse|support) "
        r"(?:any|violence|harm|illegal|harmful|such|that|this)\b"
    ),
]


class NonAnswer:
    kind = "non_answer"
    roles: frozenset[Role] = frozenset({"ai"})

    def detect(self, message: MessageContext) -> Finding | None:
        opening = message.text[:OPENING_CHARS].lower().translate(APOSTROPHES)
        for pattern in PATTERNS:
            match = pattern.search(opening)
            if match and not GOES_ON_TO_ANSWER.search(
                message.text[match.end() : match.end() + ANSWER_WINDOW].lower()
            ):
                return Finding(self.kind, f"The AI did not answer: {message.text}")
        return None
