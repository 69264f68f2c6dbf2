"""The client's address: believed from X-Forwarded-For only when a trusted proxy sent it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory

from millet.core.client_address import (
    ForwardedHeadersMiddleware,
    client_address,
    client_ip,
    parse_trusted_proxies,
)

PROXIES = parse_trusted_proxies("10.0.0.0/8, 192.0.2.10")


def resolve(remote: str, forwarded: str | None = None, trusted=PROXIES) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    found = client_ip(meta, trusted)
    return str(found) if found else ""


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # Nobody trusted (the default): the header is whatever the client wrote, never believed.
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),
        # A client connecting directly cannot borrow a trusted proxy's name in the header.
        ("203.0.113.5", "198.51.100.1, 10.0.0.1", "203.0.113.5"),
        # Through a trusted proxy: what it appended, not what the client wrote to the left of it.
        ("10.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # Through a chain of trusted proxies: the right-most address that is not one of them.
        ("192.0.2.10", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),
        # Ports and brackets as proxies write them; IPv4-mapped IPv6 is the IPv4 address.
        ("10.0.0.1", "198.51.100.1:5123", "198.51.100.1"),
        ("10.0.0.1", "[2001:db8::7]:443", "2001:db8::7"),
        ("::ffff:10.0.0.1", "198.51.100.1", "198.51.100.1"),
        # Something unreadable from a trusted proxy: go no further left than the last trusted hop.
        ("10.0.0.1", "198.51.100.1, junk", "10.0.0.1"),
        # Every hop trusted: the left-most is the client. No header: the peer.
        ("10.0.0.1", "10.9.9.9", "10.9.9.9"),
        ("10.0.0.1", None, "10.0.0.1"),
        ("", "198.51.100.1", ""),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(remote, forwarded, client):
    assert resolve(remote, forwarded) == client


def test_nothing_is_trusted_by_default():
    assert parse_trusted_proxies("") == ()
    assert resolve("10.0.0.1", "198.51.100.1", trusted=()) == "10.0.0.1"


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "proxy.local", "10.0.0.1 10.0.0.2", "*"])
def test_a_mistyped_proxy_stops_startup_instead_of_trusting_anyone(bad):
    with pytest.raises(ValueError, match="MILLET_TRUSTED_PROXIES"):
        parse_trusted_proxies(bad)


def test_ipv6_clients_are_counted_by_their_64(settings):
    settings.MILLET_TRUSTED_PROXIES = ()
    factory = RequestFactory()
    one = factory.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    other = factory.get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9")
    assert client_address(one) == client_address(other) == "2001:db8:1:2::"
    assert client_address(factory.get("/", REMOTE_ADDR="203.0.113.5")) == "203.0.113.5"


def test_forwarded_headers_from_an_untrusted_peer_are_dropped_before_anything_reads_them(settings):
    settings.MILLET_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.1")
    seen = []
    middleware = ForwardedHeadersMiddleware(lambda request: seen.append(dict(request.META)))
    headers = {
        "HTTP_X_FORWARDED_FOR": "6.6.6.6",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_FORWARDED": "for=1",
    }
    middleware(RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", **headers))
    middleware(RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers))
    direct, proxied = seen
    assert not {"HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED"} & set(direct)
    assert proxied["HTTP_X_FORWARDED_PROTO"] == "https" and proxied["HTTP_X_FORWARDED_FOR"] == "6.6.6.6"


def test_no_other_code_reads_the_client_address_or_throttles_on_its_own():
    """The kind of fault 4: a limit that reads REMOTE_ADDR or X-Forwarded-For itself, or uses a
    django-ninja throttle (whose own address is the raw header), bypasses the trusted-proxy rule."""
    root = Path(__file__).resolve().parents[2] / "millet"
    # The resolver, the throttle built on it, and the settings that name the trusted proxies.
    # django-allauth's adapter names its hook get_client_ip; Millet's returns client_address().
    allowed = {
        root / "core" / "client_address.py",
        root / "accounts" / "signin.py",
        root / "accounts" / "adapter.py",
        root / "settings.py",
    }
    pattern = re.compile(r"REMOTE_ADDR|X_FORWARDED|X-Forwarded|ninja\.throttling|get_client_ip", re.I)
    offenders = [
        f"{path.relative_to(root.parent)}:{n}"
        for path in root.rglob("*.py")
        if path not in allowed
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "use millet.core.client_address.client_address: " + ", ".join(offenders)
