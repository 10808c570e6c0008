"""Negative Feedback: the customer is unhappy with us, not merely describing a problem.

A support inbox is full of negative words that are no complaint: "my screen is cracked, can I get it
repaired?" asks for service. So the score is built from separate signals, each named (the finding's
`rule` lists the ones that counted, for `python -m detection.evaluate --explain`):

- affect: VADER's compound score (a lexicon and rules built for social media: the user's choice), with a
  customer-service lexicon added and the words of problem reports (broken, error, cancel, refund...) taken
  out of it, so that it measures feeling, not topic;
- complaint patterns that VADER misses: waiting and repetition ("still", "third time", "2 hours on hold"),
  nobody answering, broken promises, being fed up, insults aimed at the company ("bunch of amateurs"), churn
  and escalation threats ("never ordering again", "chargeback"), shouting in capitals, angry emoji;
- sarcasm: praise around a failure ("oh perfect, broken again", "thanks for losing my parcel"), which VADER
  reads as praise, turns its positive score into a negative one;
- the problem itself (the words taken out of VADER, failures such as "doesn't work"): it counts in full when
  the message also complains, a little when it is a bare report, and not at all when the customer is asking
  how to get it solved ("how do I", "can I", "could you"): a problem report is not a complaint;
- the trend: two negative-leaning messages in a row fire at half the threshold.

The threshold can differ per service (`MessageContext.negative_threshold`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentimentIntensityAnalyzer, SentiText

from detection.base import Finding, MessageContext, Role
from detection.complaints import (
    AIMED_AT_US,
    ANGRY_EMOJI,
    ANGRY_EMOJI_WEIGHT,
    ASKS_FOR_SERVICE,
    CHAT_WORD,
    CHAT_WORDS,
    CUSTOMER_SERVICE_LEXICON,
    ELSEWHERE,
    ELSEWHERE_SHARE,
    FAILURE,
    FAILURE_WEIGHT,
    FAILURES,
    NEGATION,
    NEGATION_WEIGHTS,
    NO_PROBLEM,
    NOT_AT_THE_END,
    OPENING_PRAISE,
    PHRASES,
    PROBLEM_CAP,
    PROBLEM_WORDS,
    QUOTED_CLAIM,
    SARCASM,
    SELF_AIMED,
    SHORT_SARCASM_WORDS,
    SHOUTED_DEMAND,
    SHOUTING_WEIGHT,
    SINCERE,
    TARGETED_BY_CLAUSE,
    TOKEN,
)
from detection.text import APOSTROPHES

DEFAULT_THRESHOLD = -0.2
# How much the problem's words count: in a complaint, in a bare report ("the link in your email is
# broken"); in a request for service they do not count, and its other negative signals count this share.
COMPLAINED_SHARE = 0.5
BARE_REPORT_SHARE = 0.2
REQUEST_SHARE = 0.4
# Above this VADER score shouting is joy ("BEST DAY EVER!!!"), and a problem mentioned is no report
# ("thanks for sorting out the delay").
HAPPY = 0.2
# Feeling this strong (VADER without the problem words) is a complaint by itself.
STRONG_AFFECT = -0.5
LETTER_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
# "No" answering the assistant's question ("no thanks", "no, that's all") is not a feeling.
ANSWERING_NO = re.compile(r"^(?:no+|nope|nah)\b[\s,.!]*", re.IGNORECASE)
CLAUSE_BREAK = re.compile(r"[,;.!?]+\s|\s(?:but|and|so)\s")
MENTION_OR_LINK = re.compile(r"@\w+|https?://\S+|www\.\S+")


@dataclass(frozen=True, slots=True)
class Score:
    """A message's score and the signals it is made of (name, contribution), strongest first."""

    value: float
    signals: tuple[tuple[str, float], ...]

    @property
    def rule(self) -> str:
        return ", ".join(f"{name} {weight:+.2f}" for name, weight in self.signals) or "no signal"


class _Vader(SentimentIntensityAnalyzer):  # type: ignore[misc]
    """VADER, with its emoji pass skipped for text that has no emoji: that pass rebuilds the text one
    character at a time and was a quarter of this detector's time. The rest is VADER's own polarity_scores
    (vaderSentiment 3.3.2), so the scores are the same."""

    def polarity_scores(self, text: str) -> dict[str, float]:
        if not text.isascii():
            return super().polarity_scores(text)  # type: ignore[no-any-return]
        sentitext = SentiText(text.strip())
        words = sentitext.words_and_emoticons
        sentiments: list[float] = []
        for index, item in enumerate(words):
            lowered = item.lower()
            if lowered in BOOSTER_DICT or (
                lowered == "kind" and index < len(words) - 1 and words[index + 1].lower() == "of"
            ):
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, item, index, sentiments)
        sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, text.strip())  # type: ignore[no-any-return]


def _shouting(text: str) -> bool:
    """Most of a message of several words in capitals ("WHERE IS MY ORDER"), not one acronym."""
    words = LETTER_WORD.findall(text)
    capitals = [word for word in words if word.isupper()]
    long_capitals = [word for word in capitals if len(word) >= 4]  # not airport codes or acronyms
    return len(long_capitals) >= 2 and len(capitals) >= 0.6 * len(words)


def _problem(lowered: str, tokens: set[str]) -> float:
    """How much of a problem the text reports: its problem words, a failure, negations (all <= 0)."""
    problem = max(sum(weight for word, weight in PROBLEM_WORDS.items() if word in tokens), PROBLEM_CAP)
    if FAILURES.search(lowered):
        problem += FAILURE_WEIGHT
    return problem + NEGATION_WEIGHTS[min(len(NEGATION.findall(lowered)), len(NEGATION_WEIGHTS) - 1)]


def _aimed_elsewhere(clause: str) -> bool:
    """The clause's negativity is about the customer themselves or about something not ours."""
    if SELF_AIMED.search(clause):
        return True
    return ELSEWHERE.search(clause) is not None and AIMED_AT_US.search(clause) is None


def _less_what_is_aimed_elsewhere(
    whole: float, scored: list[tuple[float, str]], own_fault: bool
) -> tuple[float, list[tuple[float, str]]]:
    """The whole text's score and its clauses' scores, where negativity aimed elsewhere counts only
    ELSEWHERE_SHARE: in each such clause, and in the whole by the share of the negativity they hold."""
    elsewhere = [score < 0 and (own_fault or _aimed_elsewhere(part)) for score, part in scored]
    negativity = sum(min(score, 0.0) for score, _ in scored)
    away = sum(score for (score, _), far in zip(scored, elsewhere, strict=True) if far)
    if whole < 0 and negativity < 0:
        whole *= 1 - away / negativity * (1 - ELSEWHERE_SHARE)
    elif whole < 0:  # no clause is negative: VADER carried a negation across them ("not yours. thanks")
        whole = 0.0
    adjusted = [
        (score * ELSEWHERE_SHARE if far else score, part)
        for (score, part), far in zip(scored, elsewhere, strict=True)
    ]
    return whole, adjusted


def _clause_at(text: str, position: int) -> str:
    """The clause of `text` around `position`."""
    starts = [match.end() for match in CLAUSE_BREAK.finditer(text, 0, position)]
    start = starts[-1] if starts else 0
    following = CLAUSE_BREAK.search(text, position)
    return text[start : following.start() if following else len(text)]


class NegativeFeedback:
    kind = "negative_feedback"
    roles: frozenset[Role] = frozenset({"user"})

    def __init__(self, default_threshold: float = DEFAULT_THRESHOLD) -> None:
        self._analyzer = _Vader()  # reads VADER's lexicon file: build once, at start-up
        self._analyzer.lexicon.update(CUSTOMER_SERVICE_LEXICON)
        for word in PROBLEM_WORDS:
            self._analyzer.lexicon.pop(word, None)
        self._default = default_threshold

    @property
    def default_threshold(self) -> float:
        """The threshold of a service that has none of its own."""
        return self._default

    def score(self, text: str) -> float:
        """The message's score in [-1, 1]: at or below the threshold, the customer is unhappy with us."""
        return self.explain(text).value

    def explain(self, text: str) -> Score:
        """The score and the signals it is made of."""
        raw = MENTION_OR_LINK.sub(" ", text.translate(APOSTROPHES)).strip()
        lowered = CHAT_WORD.sub(lambda match: CHAT_WORDS[match.group(0)], raw.lower())
        lowered = NO_PROBLEM.sub("fine", lowered)
        tokens = set(TOKEN.findall(lowered))

        # the customer blames themselves and not us: "ugh, I'm such an idiot, I booked the wrong date"
        own_fault = SELF_AIMED.search(lowered) is not None and AIMED_AT_US.search(lowered) is None
        whole, affect = self._affect(ANSWERING_NO.sub("", lowered).replace("#", " "), own_fault)
        sarcastic = self._sarcastic(lowered, whole)
        strong: list[tuple[str, float]] = []
        weak: list[tuple[str, float]] = []
        for phrase in PHRASES:
            if tokens.isdisjoint(phrase.anchors) or (match := phrase.pattern.search(lowered)) is None:
                continue
            if phrase.name in TARGETED_BY_CLAUSE and (
                own_fault or _aimed_elsewhere(_clause_at(lowered, match.start()))
            ):
                weak.append((f"{phrase.name}, not at us", 0.0))  # named for --explain, weighs nothing
            else:
                (strong if phrase.strong else weak).append((phrase.name, phrase.weight))
        if _shouting(raw) and whole < HAPPY:  # a shouted demand is a complaint; other shouting adds to one
            (strong if SHOUTED_DEMAND.search(raw) else weak).append(("capitals", SHOUTING_WEIGHT))
        if ANGRY_EMOJI.search(raw):
            strong.append(("angry emoji", ANGRY_EMOJI_WEIGHT))
        if sarcastic:
            strong.append(("sarcasm", -whole - 0.4))
        elif affect <= STRONG_AFFECT:
            strong.append(("VADER", affect))

        problem = _problem(lowered, tokens) * (ELSEWHERE_SHARE if own_fault else 1.0)
        signals = list(strong)
        feeling = [] if sarcastic or affect <= STRONG_AFFECT or not affect else [("VADER", affect)]
        if strong:  # a complaint: everything counts, politeness around it half
            signals += [(name, weight if weight < 0 else weight / 2) for name, weight in feeling + weak]
            if problem:
                signals.append(("problem, complained of", problem * COMPLAINED_SHARE))
        elif ASKS_FOR_SERVICE.search(lowered):
            # asking for service: the problem is the subject, not a feeling
            signals += [
                (name, weight if name == "why" else weight * REQUEST_SHARE)  # "why ...?" challenges, not asks
                for name, weight in feeling + weak
                if weight < 0
            ]
            signals += [(name, weight) for name, weight in feeling if weight > 0]
        else:  # a bare report of a problem: "why" or "again" add to it, but are nothing alone
            signals += feeling
            if problem or affect < 0:
                signals += weak
            if problem and whole < HAPPY:  # thanks for sorting out a delay is no report
                signals.append(("problem reported", problem * BARE_REPORT_SHARE))

        value = max(-1.0, min(1.0, sum(weight for _, weight in signals)))
        signals.sort(key=lambda signal: signal[1])
        return Score(round(value, 4), tuple((name, round(weight, 4)) for name, weight in signals))

    def _affect(self, text: str, own_fault: bool) -> tuple[float, float]:
        """VADER's compound score of the whole text, and that or its most negative clause's if lower: VADER
        lets a negation reach across a comma ("no information, worst service ever" scores +0.27), and a
        positive clause hides a negative one in the sum. Negativity aimed at the customer themselves or at
        something not ours counts for little in both."""
        if not text:
            return 0.0, 0.0
        polarity = self._analyzer.polarity_scores
        whole: float = polarity(text)["compound"]
        aimed_elsewhere = SELF_AIMED.search(text) is not None or ELSEWHERE.search(text) is not None
        if whole <= STRONG_AFFECT and not aimed_elsewhere:
            return whole, whole
        parts = [part for part in CLAUSE_BREAK.split(text) if part.strip()]
        scored = [(polarity(part)["compound"], part) for part in parts] if len(parts) > 1 else [(whole, text)]
        if aimed_elsewhere:
            whole, scored = _less_what_is_aimed_elsewhere(whole, scored, own_fault)
        return whole, min(whole, *(score for score, _ in scored))

    @staticmethod
    def _sarcastic(lowered: str, whole: float) -> bool:
        """Praise around a failure, which VADER reads as praise; or a claim of ours in scare quotes."""
        if whole >= 0 and QUOTED_CLAIM.search(lowered) and FAILURE.search(lowered):
            return True  # 'oh sure, "24 hour delivery", it's been a week'
        if whole <= 0:
            return False
        if NOT_AT_THE_END.search(lowered):
            return True
        if SINCERE.search(lowered) or not (FAILURE.search(lowered) or QUOTED_CLAIM.search(lowered)):
            return False
        if len(lowered.split()) <= SHORT_SARCASM_WORDS and OPENING_PRAISE.search(lowered):
            return True
        return any(pattern.search(lowered) for pattern in SARCASM)

    def detect(self, message: MessageContext) -> Finding | None:
        threshold = self._default if message.negative_threshold is None else message.negative_threshold
        score = self.explain(message.text)
        if score.value <= threshold:
            reason = f"Negative sentiment ({score.value:+.2f}): {message.text}"
            return Finding(self.kind, reason, score.value, rule=score.rule)
        if message.previous and score.value <= threshold / 2:
            previous = self.score(message.previous[-1])
            if previous <= threshold / 2:
                reason = (
                    f"Two negative messages in a row ({previous:+.2f}, {score.value:+.2f}): {message.text}"
                )
                return Finding(self.kind, reason, score.value, rule=f"trend: {score.rule}")
        return None
