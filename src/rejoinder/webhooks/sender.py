"""POST one webhook delivery under the fetcher's SSRF rules (`fetching.safe_http`).

Webhook URLs are chosen by admins, but an admin account can be stolen and the server's own
network is worth more than it: the same rules apply as for fetching pages. The host is
resolved once, every address is checked with `addresses.refusal` (loopback only with
``fetch_allow_loopback``, the tests' setting), and the connection is pinned to the checked
address. Redirects are not followed (a receiver that moved must be reconfigured), proxies are
never used, the whole request has a deadline and at most `MAX_RESPONSE_BYTES` of the answer
are read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio
import httpcore

from rejoinder import __version__
from rejoinder.fetching.addresses import IPAddress, parse_literal, refusal
from rejoinder.fetching.safe_http import FetchError, PinnedBackend, system_resolver
from rejoinder.pages.urlnorm import UrlRejected, clean_url
from rejoinder.settings import Settings

MAX_RESPONSE_BYTES = 65_536


class DeliveryError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def check_url(url: str) -> str:
    """The normalised URL of an http(s) endpoint without credentials, or `ValueError`."""
    if urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        raise ValueError("Only http and https URLs can receive webhooks.")
    try:
        return clean_url(url).split("#", 1)[0]
    except UrlRejected as exc:
        raise ValueError(str(exc)) from None


class WebhookSender:
    def __init__(self, settings: Settings) -> None:
        self.allow_loopback = settings.fetch_allow_loopback
        self.timeout = settings.webhook_timeout
        self.user_agent = f"Rejoinder-Webhooks/{__version__} (+{settings.public_url})"

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The receiver's 2xx status, or `DeliveryError` saying why not."""
        with anyio.move_on_after(self.timeout):
            return await self._post(url, body, headers)
        raise DeliveryError(f"No answer within {self.timeout:g} seconds.")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            url = check_url(url)
        except ValueError as exc:
            raise DeliveryError(str(exc)) from None
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            address = await self._checked_address(host, port)
        except FetchError as exc:
            raise DeliveryError(exc.message) from None
        request_headers = [
            (b"Host", parts.netloc.encode("ascii")),
            (b"User-Agent", self.user_agent.encode("ascii")),
            (b"Content-Type", b"application/json"),
            (b"Content-Length", str(len(body)).encode()),
            *((name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()),
        ]
        timeouts = {
            "connect": self.timeout,
            "read": self.timeout,
            "write": self.timeout,
            "pool": self.timeout,
        }
        try:
            async with (
                httpcore.AsyncConnectionPool(
                    max_connections=1, network_backend=PinnedBackend(host, address)
                ) as pool,
                pool.stream(
                    "POST",
                    url,
                    headers=request_headers,
                    content=body,
                    extensions={"timeout": timeouts},
                ) as response,
            ):
                read = 0
                async for chunk in response.aiter_stream():
                    read += len(chunk)
                    if read > MAX_RESPONSE_BYTES:
                        break
                status = response.status
        except httpcore.TimeoutException:
            raise DeliveryError("The receiver did not answer in time.") from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise DeliveryError(f"Could not connect: {exc or type(exc).__name__}.") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}.", status)
        return status

    async def _checked_address(self, host: str, port: int) -> IPAddress:
        literal = parse_literal(host)
        addresses = [literal] if literal is not None else await system_resolver(host, port)
        if not addresses:
            raise FetchError(f"{host} has no address.")
        for address in addresses:
            reason = refusal(address, allow_loopback=self.allow_loopback)
            if reason is not None:
                raise FetchError(f"{host} is {reason}: not sent.")
        return addresses[0]
