"""The detectors the server runs on every message."""

from __future__ import annotations

from detection.base import Detector


def default_detectors() -> list[Detector]:
    return []
