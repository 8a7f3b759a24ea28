"""The fetcher's address policy, and its refusal of internal hosts before any connection."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from rejoinder.fetching.addresses import embedded_ipv4, refusal
from rejoinder.fetching.safe_http import FetchError, SafeFetcher
from rejoinder.settings import Settings

pytestmark = pytest.mark.anyio

REFUSED = [
    "127.0.0.1",
    "127.255.0.9",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "::",
    "::1",
    "fe80::1",
    "fec0::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:0:127.0.0.1",  # SIIT
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]
ALLOWED = ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address):
    assert refusal(ip_address(address)) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert refusal(ip_address(address)) is None


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"]
)
def test_allow_loopback_lets_only_loopback_through(address):
    assert refusal(ip_address(address), allow_loopback=True) is None


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "::ffff:10.0.0.1", "fc00::1"])
def test_allow_loopback_keeps_other_ranges_refused(address):
    assert refusal(ip_address(address), allow_loopback=True) is not None


def test_embedded_ipv4_forms():
    assert str(embedded_ipv4(ip_address("::ffff:1.2.3.4"))) == "1.2.3.4"
    assert str(embedded_ipv4(ip_address("2002:102:304::"))) == "1.2.3.4"
    assert str(embedded_ipv4(ip_address("64:ff9b::102:304"))) == "1.2.3.4"
    assert embedded_ipv4(ip_address("::1")) is None
    assert embedded_ipv4(ip_address("2606:4700::1")) is None


class _NoDns:
    """A resolver that must not be asked: literals are checked without DNS."""

    def __init__(self, answer: list[str] | None = None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list:
        self.asked.append(host)
        if self.answer is None:
            raise AssertionError(f"resolved {host}")
        return [ip_address(a) for a in self.answer]


def _fetcher(resolver, **settings) -> SafeFetcher:
    return SafeFetcher(Settings(secret_key="t", **settings), resolver=resolver)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost.:80/",  # resolved by the fake resolver below, not here
        "http://0x7f000001/",
        "http://2130706433/",
        "http://017700000001/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[0:0:0:0:0:ffff:169.254.169.254]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "http://100.64.1.1/",
        "http://0.0.0.0/",
    ],
)
async def test_internal_urls_are_refused_without_connecting(url):
    resolver = _NoDns(answer=["127.0.0.1"])
    with pytest.raises(FetchError) as caught:
        await _fetcher(resolver).fetch(url)
    assert "not fetched" in caught.value.message.lower()
    assert not caught.value.retryable
    assert resolver.asked in ([], ["localhost"])


@pytest.mark.parametrize(
    "answer", [["10.1.1.1"], ["93.184.215.14", "127.0.0.1"], ["::ffff:192.168.0.1"], ["fe80::1"]]
)
async def test_a_name_with_any_internal_address_is_refused(answer):
    resolver = _NoDns(answer=answer)
    with pytest.raises(FetchError, match="not fetched"):
        await _fetcher(resolver).fetch("https://rebind.example/")
    assert resolver.asked == ["rebind.example"]


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:1"]
)
async def test_only_http_and_https_are_fetched(url):
    with pytest.raises(FetchError, match="Only http and https"):
        await _fetcher(_NoDns()).fetch(url)


async def test_credentials_in_urls_are_refused():
    with pytest.raises(FetchError, match="Not fetched"):
        await _fetcher(_NoDns()).fetch("http://user:pw@example.com/")
