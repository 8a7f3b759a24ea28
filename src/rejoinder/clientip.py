"""The address a request came from, believing ``X-Forwarded-For`` only from trusted proxies.

Rate limits and bans key on this address, so a client must not be able to choose it: the
header is read right to left, skipping hops that are themselves trusted proxies, and the
first untrusted hop is the client. Without configured proxies the header is ignored.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address


def client_ip(
    peer: str | None,
    forwarded_for: str | None,
    trusted: tuple[IPv4Network | IPv6Network, ...],
) -> str:
    """The client's address; ``peer`` is the TCP peer (``None`` in some test transports)."""
    address = peer or "0.0.0.0"  # noqa: S104 - a placeholder address, not a bind
    if not trusted or not forwarded_for or not _is_trusted(address, trusted):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if not _valid(hop):
            return address
        if not _is_trusted(hop, trusted):
            return hop
        address = hop
    return address


def _valid(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(text: str, trusted: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        address = ip_address(text)
    except ValueError:
        return False
    return any(address in network for network in trusted)
