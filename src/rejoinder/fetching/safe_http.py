"""Fetch a web page for its metadata without letting the URL aim the server inward (SSRF).

Every discussed URL is chosen by whoever comments, so the fetcher treats it as an attack:

1. Only ``http``/``https`` URLs, normalised by ``urlnorm.clean_url`` (the WHATWG parse), so an
   IPv4 literal written as ``0x7f000001``, ``2130706433``, ``017700000001`` or ``127.1`` is
   already ``127.0.0.1`` when it is checked. Credentials in URLs are refused there too.
2. The fetcher resolves the host itself and checks *every* address it got with
   `addresses.refusal` (no loopback, private, link-local, CGNAT, multicast, reserved or
   unspecified addresses, nor IPv6 forms that carry one). One bad address refuses the host:
   a name that resolves to both a public and an internal address is an attack.
3. It connects to exactly the address it checked. `PinnedBackend` is an httpcore network
   backend whose ``connect_tcp`` ignores the host name and dials the pinned IP, while the
   request keeps the original URL, so the ``Host`` header and TLS SNI/certificate check use
   the real name. There is no second DNS lookup, so DNS rebinding (a name that answers
   "public" to the check and "127.0.0.1" to the connect) has nothing to race.
4. Redirects are followed by hand, at most `MAX_REDIRECTS`, and every hop goes through
   steps 1-3 again. Environment proxies are never used (they would do their own lookups).
5. Limits: a connect timeout, a total deadline for the whole fetch including redirects (a
   server trickling one byte a second cannot hold a worker), a size cap on the decoded body
   (see `content`), and only HTML content types.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import anyio
import httpcore

from rejoinder import __version__
from rejoinder.fetching.addresses import IPAddress, parse_literal, refusal
from rejoinder.fetching.content import (
    BodyDecoder,
    TooLarge,
    UnsupportedEncoding,
    charset_from_content_type,
)
from rejoinder.pages.urlnorm import UrlRejected, clean_url
from rejoinder.settings import Settings

MAX_REDIRECTS = 5
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Statuses worth another try later: the server is overloaded or briefly broken.
_RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class FetchError(Exception):
    """A fetch that did not produce an HTML page; ``retryable`` if trying later may help."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class FetchedPage:
    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None  # from the Content-Type header
    body: bytes  # decoded from any Content-Encoding


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for ``host`` (getaddrinfo in a thread)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"Could not resolve {host}.", retryable=True) from exc
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # Scope ids ("fe80::1%eth0") only appear on link-local addresses, refused anyway.
        address = parse_literal(str(sockaddr[0]).split("%", 1)[0])
        if address is not None and address not in found:
            found.append(address)
    return found


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to one checked address whatever host name httpcore asks for."""

    def __init__(self, host: str, address: IPAddress) -> None:
        self.host = host
        self.address = address
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.strip("[]") != self.host.strip("[]"):
            # Only the origin this backend was made for; anything else is a bug to stop.
            raise httpcore.ConnectError(f"connection to {host} was not checked")
        return await self._backend.connect_tcp(
            str(self.address), port, timeout, local_address, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class SafeFetcher:
    """Fetches one HTML page under the rules in this module's docstring."""

    def __init__(
        self,
        settings: Settings,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_loopback = settings.fetch_allow_loopback
        self.connect_timeout = settings.fetch_connect_timeout
        self.total_timeout = settings.fetch_total_timeout
        self.max_bytes = settings.fetch_max_bytes
        self.user_agent = f"Rejoinder/{__version__} (+{settings.public_url})"
        self.resolver = resolver or system_resolver
        self.ssl_context = ssl_context or httpcore.default_ssl_context()

    async def fetch(self, url: str) -> FetchedPage:
        """The page at ``url`` after redirects, or `FetchError` saying why not."""
        with anyio.move_on_after(self.total_timeout):
            return await self._follow(url)
        raise FetchError(
            f"The page took longer than {self.total_timeout:g} seconds to load.", retryable=True
        )

    async def _follow(self, url: str) -> FetchedPage:
        seen: set[str] = set()
        for _hop in range(MAX_REDIRECTS + 1):
            url = _checked_url(url)
            if url in seen:
                raise FetchError("The page redirects in a loop.")
            seen.add(url)
            page, location = await self._get(url)
            if page is not None:
                return page
            url = urljoin(url, location)
        raise FetchError(f"The page redirects more than {MAX_REDIRECTS} times.")

    async def _get(self, url: str) -> tuple[FetchedPage | None, str]:
        """One request: the page, or (None, Location) for a redirect."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = await self._checked_address(host, port)
        headers = [
            (b"Host", parts.netloc.encode("ascii")),
            (b"User-Agent", self.user_agent.encode("ascii")),
            (b"Accept", b"text/html,application/xhtml+xml;q=0.9"),
            (b"Accept-Encoding", b"gzip, deflate"),
        ]
        timeouts = {
            "connect": self.connect_timeout,
            "read": self.total_timeout,
            "write": self.total_timeout,
            "pool": self.connect_timeout,
        }
        backend = PinnedBackend(parts.hostname or "", address)
        try:
            async with (
                httpcore.AsyncConnectionPool(
                    ssl_context=self.ssl_context, max_connections=1, network_backend=backend
                ) as pool,
                pool.stream("GET", url, headers=headers, extensions={"timeout": timeouts}) as resp,
            ):
                return await self._read(url, resp)
        except httpcore.TimeoutException as exc:
            raise FetchError("The server did not answer in time.", retryable=True) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise FetchError(
                f"Could not connect: {exc or type(exc).__name__}.", retryable=True
            ) from exc

    async def _read(self, url: str, resp: httpcore.Response) -> tuple[FetchedPage | None, str]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in resp.headers}
        if resp.status in _REDIRECT_STATUSES:
            location = headers.get("location", "").strip()
            if not location:
                raise FetchError(f"HTTP {resp.status} without a Location.")
            return None, location
        if resp.status != 200:
            raise FetchError(f"HTTP {resp.status}.", retryable=resp.status in _RETRYABLE_STATUSES)
        content_type = headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in HTML_TYPES:
            raise FetchError(f"Not an HTML page ({media_type or 'no content type'}).")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise FetchError(f"The page is larger than {self.max_bytes} bytes.")
        try:
            decoder = BodyDecoder(headers.get("content-encoding", ""), self.max_bytes)
            chunks = [decoder.feed(chunk) async for chunk in resp.aiter_stream()]
        except TooLarge:
            raise FetchError(f"The page is larger than {self.max_bytes} bytes.") from None
        except UnsupportedEncoding as exc:
            raise FetchError(f"Unreadable content encoding: {exc}.") from None
        return FetchedPage(
            url=url,
            status=resp.status,
            content_type=media_type,
            charset=charset_from_content_type(content_type),
            body=b"".join(chunks),
        ), ""

    async def _checked_address(self, host: str, port: int) -> IPAddress:
        literal = parse_literal(host)
        addresses = [literal] if literal is not None else await self.resolver(host, port)
        if not addresses:
            raise FetchError(f"{host} has no address.", retryable=True)
        for address in addresses:
            reason = refusal(address, allow_loopback=self.allow_loopback)
            if reason is not None:
                where = f"{host} is" if literal is not None else f"{host} resolves to {address},"
                raise FetchError(f"{where} {reason}: not fetched.")
        return addresses[0]


def _checked_url(url: str) -> str:
    """``url`` normalised by the WHATWG-style parser; http(s) only, no credentials."""
    if urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        raise FetchError("Only http and https addresses are fetched.")
    try:
        return clean_url(url).split("#", 1)[0]
    except UrlRejected as exc:
        raise FetchError(f"Not fetched: {exc}") from None
