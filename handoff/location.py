"""Where a customer is: city, region and country from their address, read from a GeoLite2-City database.

The default database is the one the `maxminddb-geolite2` package ships (2018 data). GeoLite2 data is
created by MaxMind (https://www.maxmind.com) and shared under CC BY-SA 4.0; a current file can be set with
HANDOFF_GEOIP_DATABASE. `X-Forwarded-For` is believed only from the trusted proxies' addresses.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
from pathlib import Path
from typing import Any

import maxminddb

from handoff.conversations import Location

log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def shipped_database() -> Path | None:
    spec = importlib.util.find_spec("_maxminddb_geolite2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "GeoLite2-City.mmdb"
    return path if path.exists() else None


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma- or space-separated addresses or networks (CIDR)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.replace(",", " ").split())


class Locator:
    def __init__(self, *, database: str | None = None, trusted_proxies: str = "") -> None:
        self._path = Path(database) if database else shipped_database()
        self._trusted = parse_networks(trusted_proxies)
        self._reader: Any = None

    def open(self) -> None:
        """Open the database (blocking: call it off the event loop, once at start-up)."""
        if self._path is None or not self._path.exists():
            log.warning("no GeoLite2 database found: customers will have no location")
            return
        self._reader = maxminddb.open_database(str(self._path))

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def _trusted_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The customer's address: the peer, or, behind trusted proxies, the nearest untrusted hop."""
        if peer is None or not forwarded_for or not self._trusted_address(peer):
            return peer
        for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
            if not self._trusted_address(hop):
                return hop
        return peer

    def locate(self, address: str | None) -> Location | None:
        """City, region and country, or None for private, loopback and unknown addresses."""
        if self._reader is None or not address:
            return None
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        if not ip.is_global:
            return None
        record = self._reader.get(str(ip))
        if not record:
            return None
        subdivisions = record.get("subdivisions") or [{}]
        location = Location(
            city=record.get("city", {}).get("names", {}).get("en"),
            region=subdivisions[0].get("names", {}).get("en"),
            country=record.get("country", {}).get("iso_code"),
        )
        return location if any((location.city, location.region, location.country)) else None
