"""Security headers on every HTTP response: a Content-Security-Policy, and the headers that stop sniffing,
framing and leaking the address in the Referer.

The policy is what NiceGUI needs and no more (measured in Chromium, tests/e2e/test_security_browser.py):
its page holds inline scripts (`'unsafe-inline'`: NiceGUI 3 has no nonces), and Vue compiles the elements'
templates in the browser (`'unsafe-eval'`; NiceGUI's issue #5345 stopped at the same place). What a
customer or an admin writes is never markup (the pages show it as text), and `script-src-attr 'none'`
blocks inline event handlers (`<img onerror=...>`) even if some markup got through; nothing loads from
another site, and no site may frame the console. The API's own docs (`/docs`, which load Swagger UI from
its CDN) are left without the policy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = "; ".join(
    (
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
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
WITHOUT_POLICY = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_policy = not scope["path"].startswith(WITHOUT_POLICY)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if with_policy:
                    headers.setdefault("Content-Security-Policy", POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)
