"""The host and port of an address, as the WHATWG URL Standard reads them, for `urlnorm`.

``parse_authority`` turns what stands between ``//`` and the path into an ASCII host and a
port: ``Bücher.Example:8080`` is ``xn--bcher-kva.example`` and 8080, ``0x7f.1`` is
``127.0.0.1``, ``[::FFFF:1.2.3.4]`` is ``[::ffff:102:304]``. Hosts are percent-decoded and
IDNA-mapped (UTS 46, punycode out); IPv4 hosts may be written in hex, octal or as one
number, as browsers accept them. We are stricter where no real page lives: a host may only
hold letters, digits, ``-``, ``_`` and dots, and credentials (``user@``) are refused.
``site`` then drops the alias prefixes (``www.``, ``m.``) that name the same site.
"""

import ipaddress
from urllib.parse import unquote_to_bytes

import idna

from rejoinder.pages import url_rules as rules
from rejoinder.pages.url_errors import UrlRejected

_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_OCTAL = frozenset("01234567")
_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
MAX_HOST_LENGTH = 253
_MAX_LABEL_LENGTH = 63


def parse_authority(authority: str) -> tuple[str, int | None]:
    if "@" in authority:
        raise UrlRejected("credentials")
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise UrlRejected("bad_host")
        host = _parse_ipv6(authority[1:close])
        tail = authority[close + 1 :]
        if tail and not tail.startswith(":"):
            raise UrlRejected("bad_host")
        return host, _parse_port(tail[1:])
    host_text, _, port_text = authority.partition(":")
    if not host_text:
        raise UrlRejected("no_host")
    return _parse_host(host_text), _parse_port(port_text)


def _parse_port(text: str) -> int | None:
    if not text:
        return None
    if not set(text) <= _DIGITS or int(text) > 65535:
        raise UrlRejected("bad_port")
    return int(text)


def _parse_host(text: str) -> str:
    try:
        decoded = unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise UrlRejected("bad_host") from None
    host = _domain_to_ascii(decoded)
    if _ends_in_number(host):
        return _parse_ipv4(host)
    host = host.removesuffix(".")
    labels = host.split(".")
    if (
        len(host) > MAX_HOST_LENGTH
        or not set(host) <= _HOST_CHARACTERS
        or not all(0 < len(label) <= _MAX_LABEL_LENGTH for label in labels)
    ):
        raise UrlRejected("bad_host")
    return host


def _domain_to_ascii(domain: str) -> str:
    """UTS 46 processing as WHATWG does it, with punycode labels validated."""
    if domain.isascii() and not any(
        label.startswith("xn--") for label in domain.lower().split(".")
    ):
        return domain.lower()  # the WHATWG fast path: nothing to map or check
    try:
        mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
    except (idna.IDNAError, ValueError):
        raise UrlRejected("bad_host") from None
    return ".".join(_label_to_ascii(label) for label in mapped.split("."))


def _label_to_ascii(label: str) -> str:
    try:
        if not label.isascii():
            return idna.alabel(label).decode("ascii")
        if label.startswith("xn--"):
            idna.ulabel(label)  # raises on invalid punycode, which browsers refuse
    except (idna.IDNAError, ValueError):
        raise UrlRejected("bad_host") from None
    return label


def site(host: str) -> str:
    """Strip alias prefixes ("www.m.example.com" -> "example.com"), keeping a dot."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in rules.ALIAS_HOST_PREFIXES:
            if host.startswith(prefix) and "." in host[len(prefix) :]:
                host = host[len(prefix) :]
                stripped = True
    return host


def _ends_in_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return bool(last) and (set(last) <= _DIGITS or _ipv4_number(last) is not None)


def _ipv4_number(part: str) -> int | None:
    digits, base, allowed = part, 10, _DIGITS
    if part[:2] in ("0x", "0X"):
        digits, base, allowed = part[2:], 16, _HEX
    elif len(part) > 1 and part[0] == "0":
        digits, base, allowed = part[1:], 8, _OCTAL
    if not part or not set(digits) <= allowed:
        return None
    return int(digits, base) if digits else 0


def _parse_ipv4(host: str) -> str:
    parts = host.split(".")
    if parts[-1] == "":
        parts.pop()
    numbers = [_ipv4_number(part) for part in parts]
    if len(numbers) > 4 or None in numbers:
        raise UrlRejected("bad_host")
    values = [n for n in numbers if n is not None]
    # Every part but the last is one byte; the last fills the bytes that remain.
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise UrlRejected("bad_host")
    address = values[-1] + sum(n << (8 * (3 - i)) for i, n in enumerate(values[:-1]))
    return str(ipaddress.IPv4Address(address))


def _parse_ipv6(text: str) -> str:
    # ipaddress accepts "%zone" suffixes, which WHATWG (and we) refuse.
    if not text or not set(text) <= _HEX | {":", "."}:
        raise UrlRejected("bad_host")
    try:
        packed = ipaddress.IPv6Address(text).packed
    except ValueError:
        raise UrlRejected("bad_host") from None
    return f"[{_compress_ipv6(packed)}]"


def _compress_ipv6(packed: bytes) -> str:
    """Serialize like WHATWG: lowercase hex, the first longest run of 2+ zeros as "::"."""
    groups = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    best_start, best_length, start = 0, 0, 0
    for i, group in enumerate([*groups, 1]):
        if group != 0:
            if i - start > best_length:
                best_start, best_length = start, i - start
            start = i + 1
    if best_length < 2:
        return ":".join(f"{g:x}" for g in groups)
    head = ":".join(f"{g:x}" for g in groups[:best_start])
    tail = ":".join(f"{g:x}" for g in groups[best_start + best_length :])
    return f"{head}::{tail}"
