"""Non-Answer: an AI reply that does not answer.

When the responder says so itself (`answered: false`) the core raises the flag without reading the text.
Otherwise the wording tells: the assistant admits that it lacks the information ("I wasn't able to find that
in our docs"), cannot do it ("That's not something I can look up for you"), did not understand (the default
fallback replies of Dialogflow, Rasa, Botpress, Copilot Studio and Lex), or covers only other topics ("I can
only help with billing questions"), or it declines. Only the opening
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
    r"must refuse to|refuse to|do not|don't|am not going to|'m not going to|shouldn't|should not|couldn't|"
    r"could not|wasn't able to|was not able to|was unable to|weren't able to|were unable to|have no way to)"
)
ACTS = (
    r"(?:help|assist|answer|respond|provide|give|offer|share|fulfil|fulfill|comply|support|create|write|"
    r"generate|engage|participate|promote|recommend|tell|discuss|find|process|access|look up|produce|condone|"
    r"encourage|facilitate|endorse|advise|explain|complete|do that|do this|say|speculate|make|predict|"
    r"answer that|cancel|change|modify|handle)"
)
GOES_ON_TO_ANSWER = re.compile(
    r"\b(?:but|however)[, ]+(?:(?:i|we|you) can|there(?:'s| is| are)|(?:i|we) (?:found|see|can see|have)|"
    r"your \w+ (?:is|was|has|will))\b|\bhere(?:'s| is| are)\b|\b(?:besides|except|apart from|other than)\b"
)
ANSWER_WINDOW = 200
PATTERNS = [
    re.compile(rf"\b{SELF}\s*{CANNOT}\s+(?:\w+\s+){{0,2}}?{ACTS}\b"),
    re.compile(
        r"\b(?:i|we)\s+(?:don't|do not|didn't|did not)\s+(?:currently\s+)?(?:have|know|possess|hold|find)\s+"
        r"(?:any\s+|enough\s+|the\s+|specific\s+|that\s+|this\s+|much\s+|access\s+to\s+|an?\s+)*"
        r"(?:information|info|details|data|answer|knowledge|record|idea|specifics|real-time)"
    ),
    re.compile(r"\b(?:i|we)\s+(?:really\s+)?(?:don't|do not)\s+know\b(?!\s+your\b)"),
    # didn't understand or hear: the fallback replies of Dialogflow, Rasa, Botpress, Copilot Studio, Lex
    re.compile(
        r"\b(?:i|we)\s+(?:didn't|did not|don't|do not)\s+(?:quite\s+)?(?:catch|get|understand|follow)\s+"
        r"(?:that|you|it|this|what|your)\b|\bi\s+missed\s+(?:that|what\s+you\s+said|your)\b|"
        r"\b(?:say|repeat)\s+(?:that|it)\s+(?:again|once\s+more|one\s+more\s+time)|"
        r"^(?:sorry,?\s+)?(?:what\s+was\s+that|one\s+more\s+time|come\s+again)\s*\?|"
        r"\b(?:i'm|i\s+am)\s+not\s+(?:following|sure\s+what\s+you\s+mean)|\bnot\s+sure\s+what\s+you\s+mean\b|"
        r"\b(?:put|say|ask)\s+(?:it|that)\s+(?:another|a\s+different)\s+way\b|"
        r"\btry\s+(?:rephrasing|asking\s+(?:it\s+)?(?:in\s+)?(?:a\s+different|another)\s+way|other\s+words)"
    ),
    # could not find it in what it was given: what retrieval-backed bots say when retrieval finds nothing
    re.compile(
        r"\b(?:i|we)\s+(?:couldn't|could\s+not|can't|cannot|wasn't\s+able\s+to|was\s+unable\s+to|was\s+not\s+able\s+to|"
        r"didn't|did\s+not|weren't\s+able\s+to)\s+(?:find|locate)\s+(?:that|this|it|any|anything|an?\s+answer|the\s+answer|"
        r"information|info|details|something|a\s+match|what)\b|"
        r"\b(?:nothing|no\s+(?:information|info|details|articles?|results?|answer))\s+(?:\w+\s+){0,3}?(?:in|on|about)\s+"
        r"(?:our|the|my)\s+(?:knowledge\s*base|docs|documentation|faqs?|help\s*cent(?:er|re)|help\s+articles|"
        r"articles|guides|sources|records|context|documents)|"
        r"\b(?:isn't|is\s+not|not|aren't)\s+covered\s+(?:in|by)\b|"
        r"\b(?:docs|documentation|documents|faq|knowledge\s*base|context|articles|guides|sources)\s+(?:\w+\s+){0,4}?"
        r"(?:don't|doesn't|do\s+not|does\s+not)\s+(?:cover|mention|include|contain|say)\b|"
        r"\bfound\s+nothing\b|\b(?:i|we)\s+have\s+no\s+(?:information|info|details|data|answer)\b"
    ),
    # cannot see or do it from here
    re.compile(
        r"\b(?:i|we)\s*(?:can't|cannot|can not|am unable to|'m unable to|am not able to|'m not able to|"
        r"are unable to|'re unable to)\s+(?:see|view|locate|pull up|check|open)\b|"
        r"\b(?:isn't|is not|not)\s+available\s+to\s+me\b|"
        r"\b(?:i|we)\s+(?:don't|do not)\s+have\s+(?:the\s+)?"
        r"(?:permission|access|ability|authori[sz]ation|rights?)\s+to\b|"
        r"\b(?:isn't|is not)\s+something\s+(?:i|we)\b"
    ),
    re.compile(
        r"^no\s+(?:results?|matches|answers?|articles?)\s+(?:were\s+)?found\b|"
        r"\b(?:not|isn't|is not)\s+in\s+(?:my|our)\s+"
        r"(?:knowledge(?:\s*base)?|docs|documentation|records|database)\b"
    ),
    # can only help with other topics
    re.compile(
        r"\b(?:designed|built|trained|set\s+up|programmed|here)\s+to\s+(?:help|assist|answer)[^.]{0,60}\bonly\b|"
        r"\b(?:my|our)\s+(?:expertise|knowledge|scope|abilities|training)\s+(?:is|are)\s+limited\s+to\b|"
        r"\b(?:i'm|i\s+am)\s+only\s+(?:trained|designed|built|set\s+up|programmed)\s+to\b"
    ),
    re.compile(
        r"\b(?:i|we)\s+(?:can|am\s+able\s+to|'m\s+able\s+to)\s+only\s+(?:help|assist|answer|handle|discuss|support|talk)|"
        r"\b(?:i'm|i\s+am|we're|we\s+are)\s+only\s+able\s+to\s+(?:help|assist|answer|handle|discuss|support)|"
        r"\b(?:i|we)\s+only\s+(?:know\s+about|handle|cover|deal\s+with|answer|help\s+with|do)\b|"
        r"\b(?:i'm|i\s+am)\s+(?:only\s+)?here\s+to\s+help\s+with\s+[^.]{0,60}\bonly\b|"
        r"\boutside\s+(?:the\s+)?(?:topics|things|questions|areas?|scope)\s+(?:i|we)\b|"
        r"\bnot\s+(?:a\s+topic|something|a\s+question)\s+(?:i|we)(?:'m|\s+am)?\s+(?:can|able|could)|"
        r"\b(?:that's|that\s+is|it's|this\s+is)\s+not\s+something\s+(?:i|we)\b|"
        r"\bnot\s+something\s+(?:i'm|i\s+am|we're)\s+able\s+to\b"
    ),
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
                rule = f"the AI says it cannot answer: {match.group(0)!r}"
                return Finding(self.kind, f"The AI did not answer: {message.text}", rule=rule)
        return None
