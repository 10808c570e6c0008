"""The chat widget's rules: which sites may embed a service's chat, its look, and signed identities.

A company pastes `<script src="<base url>/widget.js" data-service="<slug>" async></script>` into its site;
the script shows a bubble that opens the service's chat page in an iframe (`/chat/<slug>?embed=1`). Only the
service's allowed origins may frame it (the page's `frame-ancestors`), and the frame talks only to them.

`Handoff.identify({name, external_id, signature})` names the customer. A service can require that the
host's own server signs the external id: `signature` = hex HMAC-SHA256 of the external id with the service's
identity secret (shown once to an admin), so that nobody can pose as another customer of that site.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select

from handoff import records
from handoff.errors import Forbidden, Invalid, NotFound
from handoff.views import ServiceView
from models import Database, Service

if TYPE_CHECKING:  # services.py checks its settings with this module's rules
    from handoff.services import Services

DEFAULT_COLOR = "#1976d2"  # Quasar's primary, the console's own
DEFAULT_GREETING = "Ask us anything: our assistant answers right away."  # the chat page's own
MAX_ORIGINS = 20
MAX_GREETING_CHARS = 300
MAX_IDENTITY_CHARS = 200
COLOR = re.compile(r"^#[0-9a-f]{6}$")
HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
IPV6 = re.compile(r"^[0-9a-f:.]*:[0-9a-f:.]*$")
NOT_SIGNED = "This chat needs the site to sign who you are; the identity was not accepted."


def check_origins(values: Iterable[str]) -> tuple[str, ...]:
    """Origins as a browser sends them (`scheme://host[:port]`, lower case, no path), or Invalid."""
    origins: list[str] = []
    for raw in values:
        value = raw.strip().rstrip("/").lower()
        if not value:
            continue
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or parts.password
            or "*" in value
        ):
            raise Invalid(
                f"{raw.strip()!r} is not an origin: write scheme and host, as https://shop.example.com",
                field="allowed_origins",
            )
        try:
            port = parts.port
        except ValueError:
            raise Invalid(f"{raw.strip()!r} has a bad port", field="allowed_origins") from None
        host = parts.hostname
        if IPV6.match(host):
            host = f"[{host}]"
        elif not HOST.match(host):  # nothing else: an origin goes into a header (frame-ancestors) as it is
            raise Invalid(f"{raw.strip()!r} is not a host name", field="allowed_origins")
        default = {"http": 80, "https": 443}[parts.scheme]
        origin = f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        raise Invalid(f"at most {MAX_ORIGINS} allowed origins", field="allowed_origins")
    return tuple(origins)


def check_color(value: str | None) -> str | None:
    """`#rrggbb` (lower case), None for the default, or Invalid."""
    color = (value or "").strip().lower()
    if not color:
        return None
    if not COLOR.match(color):
        raise Invalid("a colour is written #rrggbb, as #1976d2", field="widget_color")
    return color


def check_greeting(value: str | None) -> str | None:
    greeting = (value or "").strip()
    if not greeting:
        return None
    if len(greeting) > MAX_GREETING_CHARS:
        raise Invalid(f"a greeting is at most {MAX_GREETING_CHARS} characters", field="widget_greeting")
    if (bad := records.unstorable(greeting)) is not None:
        raise Invalid(f"a greeting must not contain {bad}", field="widget_greeting")
    return greeting


def sign(secret: str, external_id: str) -> str:
    """What the host's server sends as `signature` for this customer (the README shows it in three lines)."""
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the customer is, as the host page says (checked): shown to the agents, kept on the conversation."""

    name: str | None = None
    external_id: str | None = None
    verified: bool = False  # signed with the service's identity secret


@dataclass(frozen=True, slots=True)
class Embedding:
    """What the embedded chat needs to know of its service."""

    service: ServiceView

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        return self.service.allowed_origins

    @property
    def color(self) -> str:
        return self.service.widget_color or DEFAULT_COLOR

    @property
    def greeting(self) -> str:
        return self.service.widget_greeting or DEFAULT_GREETING

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin.rstrip("/").lower() in self.allowed_origins


class Widget:
    """Reads a service's widget settings for the embedded chat and the headers that guard it, and checks the
    identities host pages give."""

    def __init__(self, *, db: Database, services: Services) -> None:
        self._db = db
        self._services = services

    async def embedding(self, slug: str) -> Embedding:
        """A live service's widget settings; NotFound for an unknown or archived one."""
        service = await self._services.get(slug)
        if service.archived:
            raise NotFound(f"no service {slug!r}")
        return Embedding(service)

    async def frame_ancestors(self, slug: str) -> tuple[str, ...]:
        """The origins that may frame this service's embedded chat (none for an unknown service)."""
        try:
            return (await self.embedding(slug)).allowed_origins
        except NotFound:
            return ()

    async def identity(
        self, slug: str, *, name: object = None, external_id: object = None, signature: object = None
    ) -> Identity:
        """The identity a host page (or an API client) gave, checked: text of at most 200 characters; when
        the service requires signed identities, an external id with the right signature (Forbidden
        otherwise, and a name alone is not accepted either: it would let anyone pose under another's name).
        No identity at all is an anonymous customer, always welcome."""
        name_text = _identity_text(name, "name")
        external = _identity_text(external_id, "external_id")
        if name_text is None and external is None:
            return Identity()
        async with self._db.read() as session:
            row = await session.execute(
                select(Service.signed_identity, Service.identity_secret).where(
                    Service.slug == slug, Service.archived_at.is_(None)
                )
            )
            found = row.first()
        if found is None:
            raise NotFound(f"no service {slug!r}")
        required, secret = bool(found[0]), found[1]
        verified = (
            external is not None
            and secret is not None
            and isinstance(signature, str)
            and hmac.compare_digest(sign(secret, external), signature.strip().lower())
        )
        if required and not verified:
            raise Forbidden(NOT_SIGNED)
        return Identity(name_text, external, verified)


def _identity_text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{field} is text", field=field)
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_IDENTITY_CHARS:
        raise Invalid(f"{field} is at most {MAX_IDENTITY_CHARS} characters", field=field)
    if (bad := records.unstorable(text)) is not None:
        raise Invalid(f"{field} must not contain {bad}", field=field)
    return text


def snippet(base_url: str, slug: str) -> str:
    """The one line a site pastes into its pages to show this service's chat bubble."""
    return f'<script src="{base_url.rstrip("/")}/widget.js" data-service="{slug}" async></script>'
