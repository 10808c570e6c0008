"""The detectors the server runs on every message."""

from __future__ import annotations

from detection.base import Detector
from detection.help_requested import HelpRequested
from detection.negative_feedback import NegativeFeedback
from detection.non_answer import NonAnswer


def default_detectors() -> list[Detector]:
    """One of each text detector. Built once at start-up (VADER reads its lexicon file here)."""
    return [HelpRequested(), NegativeFeedback(), NonAnswer()]


def detector_named(name: str) -> Detector:
    """The default detector whose flag kind is `name` (help_requested, negative_feedback, non_answer)."""
    return next(detector for detector in default_detectors() if detector.kind == name)
