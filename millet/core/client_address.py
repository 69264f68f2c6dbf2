"""Who is on the other end of a request: the one place every per-address limit gets its address.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only when the
connection comes from a proxy the operator named in ``MILLET_TRUSTED_PROXIES`` (IP addresses or
CIDR networks, comma-separated; none by default). The header is then read from the right, where the
trusted proxies appended what they saw, and the first address that is not a trusted proxy is the
client; anything a client wrote further left is never reached. This is the rule of nginx's
``real_ip_recursive`` and of RFC 7239 section 8.3.

Why not django-ipware (python-ipware 4.1), the usual library: it validates the chain *inside* the
headers against the trusted list but never checks that the connecting peer (``REMOTE_ADDR``) is one
of those proxies, so a client connecting directly with ``X-Forwarded-For: 1.2.3.4, <proxy>`` is
believed to be 1.2.3.4 (measured with ``IpWare(proxy_list=[...])``); and with no proxy configured it
returns the first public address of the header, which any client sets. The rule above is a dozen
lines over the standard library's ``ipaddress``, so it is kept here, with its tests.

An IPv6 client is counted by its /64 network, the block one subscriber line gets (RFC 6177): a
limit per single IPv6 address would give every guesser 2**64 fresh addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_CLIENT_PREFIX = 64


def parse_trusted_proxies(value: str) -> tuple[str, ...]:
    """The ``MILLET_TRUSTED_PROXIES`` setting as normalized CIDR strings; raises ValueError naming the
    entry that is not an IP address or network (so a typo stops startup, never trusts everyone)."""
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError as exc:
            raise ValueError(f"MILLET_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from exc
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(n) for n in trusted)


def _parse(text: str) -> IpAddress | None:
    """One address as a proxy or server writes it: bare, ``[v6]:port`` or ``v4:port``; else None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: IpAddress, networks: Iterable[IpNetwork]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def client_ip(meta: dict, trusted: tuple[str, ...]) -> IpAddress | None:
    """The client's address from a WSGI environ / ``request.META``: ``REMOTE_ADDR``, unless that is a
    trusted proxy, then the right-most address of ``X-Forwarded-For`` that is not a trusted proxy.

    None when ``REMOTE_ADDR`` is missing or not an address (a test client, a Unix socket).
    """
    peer = _parse(meta.get("REMOTE_ADDR") or "")
    networks = _networks(trusted)
    if peer is None or not _trusted(peer, networks):
        return peer
    # Repeated headers reach WSGI joined with commas, so this reads every hop of every header.
    for hop in reversed((meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
        address = _parse(hop)
        if address is None:
            return peer  # a trusted proxy wrote something unreadable: go no further left
        if not _trusted(address, networks):
            return address
        peer = address
    return peer  # every hop is a trusted proxy: the left-most is the client


def client_address(request: HttpRequest) -> str:
    """The address every per-address limit counts by: the client's IPv4 address, or the network
    address of its IPv6 /64 (e.g. ``2001:db8:1:2::``). Always a valid IP string ("" if unknown),
    so it can be stored in an IP column (django-axes keeps it in one)."""
    address = client_ip(request.META, settings.MILLET_TRUSTED_PROXIES)
    if address is None:
        return ""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False).network_address)
    return str(address)


# Headers a proxy sets about the original request; believed from a trusted proxy only.
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)


class ForwardedHeadersMiddleware:
    """First in the chain: drops forwarded headers that did not come from a trusted proxy, so nothing
    after it (the HTTPS check of ``SECURE_PROXY_SSL_HEADER``, a library reading the client address)
    can be told a forged story by a client that connects directly."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        peer = _parse(request.META.get("REMOTE_ADDR") or "")
        if peer is None or not _trusted(peer, _networks(settings.MILLET_TRUSTED_PROXIES)):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
