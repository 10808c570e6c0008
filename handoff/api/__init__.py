"""HTTP API v1: the customer side, the external bot side, and the health check."""

from handoff.api.app import create_app

__all__ = ["create_app"]
