"""Which IP addresses the fetcher may connect to: public unicast ones, nothing else.

Anyone can make the server fetch a URL (by commenting on it), so the URL is hostile: it may
name ``http://169.254.169.254/`` (a cloud metadata service), ``http://localhost:6379/``, a
router on ``10.0.0.1``, or hide those behind a DNS name or another spelling. The fetcher
resolves the host itself and asks `refusal` about every address it got; it connects only to
an address this module let through.

IPv6 can carry an IPv4 address inside: ``::ffff:127.0.0.1`` (IPv4-mapped), ``::127.0.0.1``
(IPv4-compatible), ``::ffff:0:127.0.0.1`` (SIIT), ``64:ff9b::7f00:1`` (NAT64),
``2002:7f00:1::`` (6to4) and Teredo. Those are judged by the IPv4 address they carry, so
``::ffff:10.0.0.1`` is as private as ``10.0.0.1``.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address

# Carrier-grade NAT (RFC 6598): not "private" to Python, but never a public web server.
_SHARED = IPv4Network("100.64.0.0/10")
_NAT64 = IPv6Network("64:ff9b::/96")
# RFC 8215 local-use NAT64: its embedding depends on a local prefix length; refuse it whole.
_NAT64_LOCAL = IPv6Network("64:ff9b:1::/48")
_SIIT = IPv6Network("::ffff:0:0:0/96")
# Special-purpose ranges (RFC 6890 registries) that Python's is_global has let through in
# some versions; none holds a web server anyone may ask us to fetch.
_SPECIAL = (
    IPv4Network("0.0.0.0/8"),
    IPv4Network("192.0.0.0/24"),
    IPv4Network("192.0.2.0/24"),
    IPv4Network("198.18.0.0/15"),
    IPv4Network("198.51.100.0/24"),
    IPv4Network("203.0.113.0/24"),
    IPv4Network("240.0.0.0/4"),
    IPv6Network("100::/64"),
    IPv6Network("2001::/23"),
    IPv6Network("2001:db8::/32"),
)
_COMPATIBLE = IPv6Network("::/96")


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 transition form carries, if it is one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    # "::" and "::1" sit in the IPv4-compatible range but are IPv6's own special addresses.
    if address in _NAT64 or address in _SIIT or (address in _COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# In order: the first that matches names the reason. is_global comes last as the catch-all
# for special-purpose ranges the named checks do not cover (e.g. 192.0.0.0/24, 2001::/23).
_CHECKS: tuple[tuple[Callable[[IPAddress], bool], str], ...] = (
    (lambda a: a.is_unspecified, "the unspecified address"),
    (lambda a: a.is_multicast, "a multicast address"),
    (lambda a: a.is_link_local, "a link-local address"),
    (lambda a: isinstance(a, IPv6Address) and a.is_site_local, "a site-local address"),
    (lambda a: a in _SHARED, "a carrier-grade NAT address"),
    (lambda a: a in _NAT64_LOCAL, "a local NAT64 address"),
    (lambda a: a.is_private, "a private address"),
    (lambda a: any(a in network for network in _SPECIAL), "a special-purpose address"),
    (lambda a: a.is_reserved, "a reserved address"),
    (lambda a: not a.is_global, "not a public address"),
)


def refusal(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why the fetcher must not connect to ``address``, or None when it may.

    ``allow_loopback`` lets 127.0.0.0/8 and ::1 through (tests, local development); every
    other non-public range stays refused.
    """
    if isinstance(address, IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner, allow_loopback=allow_loopback)
            if reason is not None:
                return f"{reason} (inside an IPv6 address)"
            return "a Teredo tunnel address" if address.teredo is not None else None
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    return next((reason for check, reason in _CHECKS if check(address)), None)


def parse_literal(host: str) -> IPAddress | None:
    """The address when ``host`` is an IP literal as the URL parser leaves it, else None.

    Hosts come from ``urlnorm.clean_url``, which already turned every WHATWG spelling of an
    IPv4 address (``0x7f000001``, ``2130706433``, ``017700000001``, ``127.1``) into dotted
    decimal and IPv6 into its bracketed compressed form.
    """
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ip_address(text)
    except ValueError:
        return None
