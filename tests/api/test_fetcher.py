"""The safe fetcher against real (local) article servers: every hostile page ends in an error.

The servers listen on 127.0.0.1, so these tests allow loopback explicitly; everything else
about the policy is as in production.
"""

from __future__ import annotations

from ipaddress import ip_address

import pytest
from article_server import article_server, base_url, gzipped, html, redirect, send, trickle

from rejoinder import __version__
from rejoinder.fetching.safe_http import FetchError, SafeFetcher
from rejoinder.settings import Settings

pytestmark = pytest.mark.anyio

PAGE = "<html><head><title>Hello</title></head><body><p>Body</p></body></html>"


def fetcher(resolver=None, **overrides) -> SafeFetcher:
    values = {
        "secret_key": "t",
        "public_url": "https://comments.example",
        "fetch_allow_loopback": True,
        "fetch_total_timeout": 5,
        **overrides,
    }
    return SafeFetcher(Settings(**values), resolver=resolver)


class PinTo:
    """A resolver answering every name with one address, counting the lookups."""

    def __init__(self, address: str) -> None:
        self.address = ip_address(address)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list:
        self.lookups.append(host)
        return [self.address]


async def test_fetches_html_with_an_honest_user_agent():
    with article_server({"/a": html(PAGE)}) as server:
        page = await fetcher().fetch(base_url(server) + "/a?utm_source=x#top")
    assert page.status == 200
    assert page.body.decode() == PAGE
    assert page.content_type == "text/html"
    assert page.charset == "utf-8"
    path, headers = server.requests[0]
    assert path == "/a"  # tracking parameters and fragments are not sent
    assert headers["user-agent"] == f"Rejoinder/{__version__} (+https://comments.example)"


async def test_connects_to_the_checked_address_with_the_original_host_header():
    with article_server({"/a": html(PAGE)}) as server:
        port = server.server_address[1]
        resolver = PinTo("127.0.0.1")
        page = await fetcher(resolver).fetch(f"http://news.article.test:{port}/a")
    assert page.url == f"http://news.article.test:{port}/a"
    assert resolver.lookups == ["news.article.test"]  # one lookup; the connection used it
    assert server.requests[0][1]["host"] == f"news.article.test:{port}"


async def test_loopback_is_refused_by_default_and_nothing_is_sent():
    with article_server({"/a": html(PAGE)}) as server:
        with pytest.raises(FetchError, match="loopback"):
            await fetcher(fetch_allow_loopback=False).fetch(base_url(server) + "/a")
        port = server.server_address[1]
        for spelling in ("0x7f000001", "2130706433", "017700000001", "127.1", "[::ffff:127.0.0.1]"):
            with pytest.raises(FetchError, match="loopback"):
                await fetcher(fetch_allow_loopback=False).fetch(f"http://{spelling}:{port}/a")
    assert server.requests == []


async def test_name_resolving_to_loopback_is_refused_by_default():
    with article_server({"/a": html(PAGE)}) as server:
        port = server.server_address[1]
        with pytest.raises(FetchError, match="loopback"):
            await fetcher(PinTo("127.0.0.1"), fetch_allow_loopback=False).fetch(
                f"http://innocent.example:{port}/a"
            )
    assert server.requests == []


async def test_redirects_are_followed_and_each_hop_is_resolved_again():
    with article_server(
        {"/old": redirect("/mid", 301), "/mid": redirect("/new"), "/new": html(PAGE)}
    ) as server:
        port = server.server_address[1]
        resolver = PinTo("127.0.0.1")
        page = await fetcher(resolver).fetch(f"http://site.test:{port}/old")
    assert page.url == f"http://site.test:{port}/new"
    assert resolver.lookups == ["site.test"] * 3
    assert [path for path, _ in server.requests] == ["/old", "/mid", "/new"]


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://0xa9fea9fe/",
        "http://100.64.0.1/",
    ],
)
async def test_redirect_to_an_internal_address_is_refused(target):
    with (
        article_server({"/a": redirect(target)}) as server,
        pytest.raises(FetchError, match="not fetched") as caught,
    ):
        await fetcher().fetch(base_url(server) + "/a")
    assert not caught.value.retryable


async def test_redirect_to_another_scheme_is_refused():
    with (
        article_server({"/a": redirect("file:///etc/passwd")}) as server,
        pytest.raises(FetchError, match="Only http and https"),
    ):
        await fetcher().fetch(base_url(server) + "/a")


async def test_redirect_loop_is_an_error():
    with (
        article_server({"/a": redirect("/b"), "/b": redirect("/a")}) as server,
        pytest.raises(FetchError, match="loop"),
    ):
        await fetcher().fetch(base_url(server) + "/a")
    assert len(server.requests) == 2


async def test_more_than_five_redirects_is_an_error():
    routes = {f"/{i}": redirect(f"/{i + 1}") for i in range(10)}
    with article_server(routes) as server, pytest.raises(FetchError, match="more than 5"):
        await fetcher().fetch(base_url(server) + "/0")
    assert len(server.requests) == 6


async def test_huge_page_with_content_length_is_refused_before_reading():
    with (
        article_server({"/a": html(b"x" * 200_000)}) as server,
        pytest.raises(FetchError, match="larger than"),
    ):
        await fetcher(fetch_max_bytes=100_000).fetch(base_url(server) + "/a")


async def test_huge_page_without_content_length_stops_at_the_cap():
    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Connection", "close")
        handler.end_headers()
        for _ in range(1000):
            handler.wfile.write(b"<p>" + b"x" * 10_000 + b"</p>")

    with (
        article_server({"/a": endless}) as server,
        pytest.raises(FetchError, match="larger than"),
    ):
        await fetcher(fetch_max_bytes=100_000).fetch(base_url(server) + "/a")


async def test_gzip_bomb_is_refused():
    with (
        article_server({"/a": gzipped(b"<p>" + b"\0" * 20_000_000)}) as server,
        pytest.raises(FetchError, match="larger than"),
    ):
        await fetcher(fetch_max_bytes=1_000_000).fetch(base_url(server) + "/a")
    assert server.requests[0][1]["accept-encoding"] == "gzip, deflate"


async def test_gzip_page_is_decoded():
    with article_server({"/a": gzipped(PAGE.encode())}) as server:
        page = await fetcher().fetch(base_url(server) + "/a")
    assert page.body.decode() == PAGE


async def test_trickling_server_hits_the_total_timeout():
    with (
        article_server({"/a": trickle()}) as server,
        pytest.raises(FetchError, match="longer than") as caught,
    ):
        await fetcher(fetch_total_timeout=1).fetch(base_url(server) + "/a")
    assert caught.value.retryable


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "image/png", "text/plain", "application/json", ""]
)
async def test_non_html_is_refused(content_type):
    with (
        article_server({"/a": html(b"%PDF-1.7", content_type=content_type)}) as server,
        pytest.raises(FetchError, match="Not an HTML page") as caught,
    ):
        await fetcher().fetch(base_url(server) + "/a")
    assert not caught.value.retryable


async def test_xhtml_is_accepted():
    with article_server({"/a": html(PAGE, content_type="application/xhtml+xml")}) as server:
        assert (await fetcher().fetch(base_url(server) + "/a")).content_type == (
            "application/xhtml+xml"
        )


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (410, False), (503, True)])
async def test_http_errors(status, retryable):
    with (
        article_server({"/a": html(PAGE, status=status)}) as server,
        pytest.raises(FetchError, match=f"HTTP {status}") as caught,
    ):
        await fetcher().fetch(base_url(server) + "/a")
    assert caught.value.retryable is retryable


async def test_unrequested_content_encoding_is_an_error():
    route = html(b"\x28\xb5\x2f\xfd", headers={"Content-Encoding": "zstd"})
    with (
        article_server({"/a": route}) as server,
        pytest.raises(FetchError, match="content encoding"),
    ):
        await fetcher().fetch(base_url(server) + "/a")


async def test_connection_refused_is_retryable():
    with article_server({}) as server:
        url = base_url(server)
    with pytest.raises(FetchError, match="Could not connect") as caught:
        await fetcher().fetch(url + "/a")
    assert caught.value.retryable


async def test_redirect_without_location_is_an_error():
    with (
        article_server({"/a": lambda h: send(h, b"", status=302)}) as server,
        pytest.raises(FetchError, match="without a Location"),
    ):
        await fetcher().fetch(base_url(server) + "/a")


def test_cli_fetch_prints_metadata(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from rejoinder.cli import app

    monkeypatch.setenv("REJOINDER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REJOINDER_FETCH_ALLOW_LOOPBACK", "true")
    page = (
        "<html lang=fr><head><title>Bonjour \x1b[2J</title></head><body><p>Salut</p></body></html>"
    )
    with article_server({"/a": html(page)}) as server:
        result = CliRunner().invoke(app, ["fetch", "--no-store", base_url(server) + "/a"])
    assert result.exit_code == 0, result.output
    assert "title: Bonjour [2J\n" in result.output  # the escape character is gone
    assert "language: fr\n" in result.output


def test_cli_fetch_refuses_loopback_by_default(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from rejoinder.cli import app

    monkeypatch.setenv("REJOINDER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REJOINDER_FETCH_ALLOW_LOOPBACK", raising=False)
    result = CliRunner().invoke(app, ["fetch", "http://2130706433/"])
    assert result.exit_code == 1
