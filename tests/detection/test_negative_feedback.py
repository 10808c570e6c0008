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
    "your company is a joke",
    "I'm cancelling and going to your competitor",
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
# A problem report is not a complaint: each of these mentions something that went wrong and asks for service.
PROBLEM_REPORTS = [
    "how do I replace a cracked case?",
    "my payment failed, can I retry?",
    "I lost my password and can't log in, can you help me reset it?",
    "The event was cancelled, how do I get my money back?",
    "I got charged twice for the same order, can you check?",
    "I have a problem opening an account",
    "No problem at all, take your time",
]
# Negativity about the customer themselves or about something not ours is no complaint about us; the same
# words aimed at us are.
AIMED_ELSEWHERE = {
    "ugh, I'm such an idiot, I booked the wrong date": "ugh, you're such idiots, you booked the wrong date",
    "I'm so annoyed at myself, I lost the receipt": "I'm so annoyed with you, you lost my receipt",
    "the traffic was awful so I missed the delivery, can you redeliver?": (
        "your courier was awful so I missed the delivery, can you redeliver?"
    ),
    "that's my mistake, not yours. thanks for checking": "that's your mistake, not mine. fix it",
    "you're doing great, the other shop was the awful one": (
        "the other shop was great, you were the awful one"
    ),
}
# Unhappy with us, in words VADER alone scores as neutral or positive.
COMPLAINTS = {
    "oh perfect, broken again": "sarcasm",
    "thanks so much for losing my parcel": "thanks for nothing",
    "what a bunch of amateurs": "insult",
    "never ordering from you again": "leaving us",
    "WHERE IS MY ORDER NOW": "capitals",
    "still no refund 😡": "angry emoji",
    "ur service sux": "insult",
}


@pytest.mark.parametrize("text", NEGATIVE)
def test_unhappy_customers_fire_with_their_score(text: str) -> None:
    finding = DETECTOR.detect(MessageContext(role="user", text=text))
    assert finding is not None and finding.kind == "negative_feedback"
    assert finding.score is not None and finding.score <= -0.2
    assert text in finding.reason


@pytest.mark.parametrize("text", NOT_NEGATIVE)
def test_ordinary_and_happy_messages_do_not_fire(text: str) -> None:
    assert DETECTOR.detect(MessageContext(role="user", text=text)) is None


@pytest.mark.parametrize("text", PROBLEM_REPORTS)
def test_a_problem_report_that_asks_for_service_is_quiet(text: str) -> None:
    assert DETECTOR.detect(MessageContext(role="user", text=text)) is None


@pytest.mark.parametrize(("elsewhere", "at_us"), AIMED_ELSEWHERE.items())
def test_negativity_aimed_at_the_customer_or_elsewhere_is_quiet(elsewhere: str, at_us: str) -> None:
    assert DETECTOR.detect(MessageContext(role="user", text=elsewhere)) is None
    assert DETECTOR.detect(MessageContext(role="user", text=at_us)) is not None


@pytest.mark.parametrize(("text", "signal"), COMPLAINTS.items())
def test_complaints_fire_and_name_the_signal_that_made_them(text: str, signal: str) -> None:
    finding = DETECTOR.detect(MessageContext(role="user", text=text))
    assert finding is not None
    assert signal in finding.rule


def test_the_problem_counts_once_the_customer_complains() -> None:
    asking = DETECTOR.explain("the delivery was late, can you tell me when it comes?")
    complaining = DETECTOR.explain("the delivery was late again")
    assert asking.value == 0.0 and asking.rule == "no signal"
    assert complaining.value <= -0.2
    assert [name for name, _ in complaining.signals] == ["again", "problem reported"]


def test_two_mildly_negative_messages_in_a_row_fire_together() -> None:
    first, second = "my parcel is late", "the tracking page is wrong too"
    assert DETECTOR.detect(MessageContext(role="user", text=first)) is None
    assert DETECTOR.detect(MessageContext(role="user", text=second)) is None
    finding = DETECTOR.detect(MessageContext(role="user", text=second, previous=(first,)))
    assert finding is not None and finding.reason.startswith("Two negative messages in a row")
    assert finding.rule.startswith("trend: ")
    calm = DETECTOR.detect(MessageContext(role="user", text=second, previous=("Thanks!",)))
    assert calm is None


def test_a_service_can_set_its_own_threshold() -> None:
    text = "the delivery was late again"
    assert DETECTOR.detect(MessageContext(role="user", text=text)) is not None
    assert DETECTOR.detect(MessageContext(role="user", text=text, negative_threshold=-0.6)) is None
