"""Security headers on every HTTP response: a Content-Security-Policy, and the headers that stop sniffing,
framing and leaking the address in the Referer.

The policy is what NiceGUI needs and no more (measured in Chromium, tests/e2e/test_security_browser.py):
its page holds inline scripts (`'unsafe-inline'`: NiceGUI 3 has no nonces), and Vue compiles the elements'
templates in the browser (`'unsafe-eval'`; NiceGUI's issue #5345 stopped at the same place). What a
customer or an admin writes is never markup (the pages show it as text), and `script-src-attr 'none'`
blocks inline event handlers (`<img onerror=...>`) even if some markup got through; nothing loads from
another site, and no site may frame the console. The API's own docs (`/docs`, which load Swagger UI from
its CDN) are left without the policy.

One page may be framed: the chat page in its embedded mode (`/chat/<slug>?embed=1`, what the chat widget
opens), and only by the service's allowed origins (`frame-ancestors` lists them; none: no site may).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)
POLICY = "; ".join((*DIRECTIVES, "frame-ancestors 'none'"))
EMBEDDED_CHAT = re.compile(r"^/chat/([a-z0-9][a-z0-9-]{0,63})$")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
WITHOUT_POLICY = ("/docs", "/redoc")
EMBEDDED_HEADERS = {k: v for k, v in HEADERS.items() if k != "X-Frame-Options"}  # frame-ancestors decides


def embedded_policy(origins: tuple[str, ...]) -> str:
    """The policy of the embedded chat page: the same, but framed by these origins only."""
    ancestors = " ".join(origins) if origins else "'none'"
    return "; ".join((*DIRECTIVES, f"frame-ancestors {ancestors}"))


class SecurityHeadersMiddleware:
    """`frame_ancestors(slug)`: the origins that may frame that service's embedded chat."""

    def __init__(
        self, app: ASGIApp, frame_ancestors: Callable[[str], Awaitable[tuple[str, ...]]] | None = None
    ) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        policy: str | None = None if path.startswith(WITHOUT_POLICY) else POLICY
        headers_to_add = HEADERS
        if self.frame_ancestors is not None and (chat := EMBEDDED_CHAT.match(path)) is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if query.get("embed") == ["1"]:
                policy = embedded_policy(await self.frame_ancestors(chat.group(1)))
                headers_to_add = EMBEDDED_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in headers_to_add.items():
                    headers.setdefault(name, value)
                if policy is not None:
                    headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
