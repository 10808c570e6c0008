"""Negative Feedback on customer-service chat it was not tuned on, and the trend across messages."""

from __future__ import annotations

import pytest

from detection.base import MessageContext
from detection.negative_feedback import NegativeFeedback

DETECTOR = NegativeFeedback()

NEGATIVE = [
    "still waiting for my refund",
    "cancelled again. unbelievable",
    "this app is useless",
    "This is ridiculous",
    "your airline is a joke... GROW UP!",
    "I have been on hold for 45 minutes",
    "thanks for nothing",
    "My package has not arrived yet and nobody answers",
    "Worst support ever",
    "I waited 3 hours and the problem is still not fixed",
    "why is it so hard to get a straight answer??",
]
NOT_NEGATIVE = [
    "Thanks, that solved it!",
    "No thanks, that's all",
    "What are your opening hours?",
    "How many days does shipping take?",
    "Can you help me change my address?",
    "Great, thanks for the quick help!",
    "Never mind, found it. Thanks!",
    "ok",
    "Hi, I need to change my delivery address",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_unhappy_customers_fire_with_their_score(text: str) -> None:
    finding = DETECTOR.detect(MessageContext(role="user", text=text))
    assert finding is not None and finding.kind == "negative_feedback"
    assert finding.score is not None and finding.score <= -0.2
    assert text in finding.reason


@pytest.mark.parametrize("text", NOT_NEGATIVE)
def test_ordinary_and_happy_messages_do_not_fire(text: str) -> None:
    assert DETECTOR.detect(MessageContext(role="user", text=text)) is None


def test_two_mildly_negative_messages_in_a_row_fire_together() -> None:
    mild = "Where is my order?"
    assert DETECTOR.detect(MessageContext(role="user", text=mild)) is None
    finding = DETECTOR.detect(MessageContext(role="user", text="Where is my parcel?", previous=(mild,)))
    assert finding is not None and finding.reason.startswith("Two negative messages in a row")
    calm = DETECTOR.detect(MessageContext(role="user", text="Where is my parcel?", previous=("Thanks!",)))
    assert calm is None


def test_a_service_can_set_its_own_threshold() -> None:
    text = "My package has not arrived yet"
    assert DETECTOR.detect(MessageContext(role="user", text=text)) is not None
    assert DETECTOR.detect(MessageContext(role="user", text=text, negative_threshold=-0.9)) is None
