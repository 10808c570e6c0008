"""Pure detectors: a message in, findings out. No I/O, no database, no UI."""

from detection.base import Detector, Finding, MessageContext

__all__ = ["Detector", "Finding", "MessageContext"]
