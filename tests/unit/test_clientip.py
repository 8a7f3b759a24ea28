"""Client address resolution: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from rejoinder.clientip import client_ip

PROXIES = (ip_network("10.0.0.0/8"), ip_network("::1/128"))


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("198.51.100.7", "203.0.113.1", (), "198.51.100.7"),
        ("198.51.100.7", "203.0.113.1", PROXIES, "198.51.100.7"),
        ("10.0.0.2", "203.0.113.1", PROXIES, "203.0.113.1"),
        ("10.0.0.2", "1.2.3.4, 203.0.113.1", PROXIES, "203.0.113.1"),
        ("10.0.0.2", "203.0.113.1, 10.0.0.9", PROXIES, "203.0.113.1"),
        ("10.0.0.2", "garbage", PROXIES, "10.0.0.2"),
        ("10.0.0.2", None, PROXIES, "10.0.0.2"),
        ("::1", "2001:db8::1", PROXIES, "2001:db8::1"),
        (None, "203.0.113.1", PROXIES, "0.0.0.0"),
    ],
)
def test_client_ip(peer, header, trusted, expected):
    assert client_ip(peer, header, trusted) == expected
