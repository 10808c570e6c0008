"""The detectors the server runs on every message."""

from __future__ import annotations

from collections.abc import Mapping

from detection.base import Detector
from detection.help_requested import HelpRequested


def default_detectors(negative_thresholds: Mapping[str, float] | None = None) -> list[Detector]:
    return [HelpRequested()]


def detector_named(name: str) -> Detector:
    return {type(d).__name__: d for d in default_detectors()}[
        "".join(part.capitalize() for part in name.split("_"))
    ]
