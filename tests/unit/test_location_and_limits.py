"""Location from the customer's address (GeoLite2), trusted proxies, and the per-address rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from handoff.api import create_app
from handoff.conversations import Location
from handoff.core import Core
from handoff.location import Locator
from handoff.ratelimit import RateLimiter
from handoff.settings import Settings

LONDON_AREA = "81.2.69.142"  # Willesden, England, GB in the shipped 2018 GeoLite2-City data


@pytest.fixture(scope="module")
def locator() -> Locator:
    locator = Locator(trusted_proxies="10.0.0.0/8, 127.0.0.1")
    locator.open()
    return locator


def test_a_public_address_has_a_city_region_and_country(locator: Locator) -> None:
    assert locator.locate(LONDON_AREA) == Location(city="Willesden", region="England", country="GB")


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.1.20", "::1", "fe80::1", "not an ip", None]
)
def test_loopback_private_and_bad_addresses_have_none(locator: Locator, address: str | None) -> None:
    assert locator.locate(address) is None


def test_forwarded_for_is_believed_only_from_trusted_proxies(locator: Locator) -> None:
    assert locator.client_address("10.0.0.5", f"{LONDON_AREA}") == LONDON_AREA
    assert locator.client_address("10.0.0.5", f"1.2.3.4, {LONDON_AREA}, 10.0.0.9") == LONDON_AREA
    assert locator.client_address("203.0.113.7", LONDON_AREA) == "203.0.113.7"  # untrusted peer: ignored
    assert locator.client_address("10.0.0.5", None) == "10.0.0.5"


@pytest.fixture
async def proxied_api(settings: Settings) -> AsyncIterator[tuple[Core, httpx.AsyncClient]]:
    core = Core.create(settings.model_copy(update={"trusted_proxies": "127.0.0.1"}))
    await core.start()
    await core.services.add(slug="shop", name="Shop")
    transport = httpx.ASGITransport(app=create_app(core, manage_core=False), client=("127.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://handoff.test") as client:
        yield core, client
    await core.stop()


async def test_the_api_locates_customers_behind_a_trusted_proxy(
    proxied_api: tuple[Core, httpx.AsyncClient],
) -> None:
    _core, api = proxied_api
    located = await api.post(
        "/api/v1/conversations",
        json={"service": "shop", "text": "hi"},
        headers={"X-Forwarded-For": LONDON_AREA},
    )
    assert located.json()["location"] == {"city": "Willesden", "region": "England", "country": "GB"}
    given = await api.post(
        "/api/v1/conversations",
        headers={"X-Forwarded-For": LONDON_AREA},
        json={
            "service": "shop",
            "text": "hi",
            "location": {"city": "Oslo", "region": "Oslo", "country": "NO"},
        },
    )
    assert given.json()["location"] == {"city": "Oslo", "region": "Oslo", "country": "NO"}  # the API's wins
    local = await api.post("/api/v1/conversations", json={"service": "shop", "text": "hi"})
    assert local.json()["location"] == {"city": None, "region": None, "country": None}


def test_the_rate_limit_is_per_address_and_refills() -> None:
    limiter = RateLimiter(per_minute=6, burst=3)
    assert [limiter.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", now=0.0)  # another address has its own bucket
    assert not limiter.allow("a", now=5.0)
    assert limiter.allow("a", now=10.5)  # six a minute: one token back after ten seconds
