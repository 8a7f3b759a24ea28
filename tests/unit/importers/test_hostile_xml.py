"""Hostile XML: entities, DOCTYPEs, endless elements, bad encodings, truncation."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from rejoinder.importers import disqus, wordpress
from rejoinder.importers.items import CommentItem, ImportFailed

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n'
NS = b'<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'


def items(data: bytes) -> list:
    return list(disqus.parse(io.BytesIO(data)))


class _Endless(io.RawIOBase):
    """A 1 GB message produced on demand: the parser must give up long before the end."""

    def __init__(self, prefix: bytes, size: int) -> None:
        self.prefix, self.left, self.served = prefix, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.prefix:
            chunk, self.prefix = self.prefix, b""
            return chunk
        n = min(n if n > 0 else 65536, self.left)
        self.left -= n
        self.served += n
        return b"a" * n


def test_billion_laughs_is_refused():
    bomb = (
        HEAD + b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        + NS
        + b"<post><message>&lol3;</message></post></disqus>"
    )
    with pytest.raises(ImportFailed, match="DOCTYPE"):
        items(bomb)


def test_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xxe = (
        HEAD
        + f'<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'.encode()
        + NS
        + b'<thread dsq:id="1"><link>https://e.example/</link></thread>'
        b'<post dsq:id="2"><message>&x;</message><createdAt>2015-01-01T00:00:00Z</createdAt>'
        b'<thread dsq:id="1"/></post></disqus>'
    )
    with pytest.raises(ImportFailed) as failure:
        items(xxe)
    assert "TOP SECRET" not in str(failure.value)


def test_undeclared_entity_is_malformed():
    with pytest.raises(ImportFailed, match="malformed"):
        items(HEAD + NS + b"<post><message>&x;</message></post></disqus>")


def test_a_gigabyte_message_fails_after_a_few_megabytes():
    prefix = HEAD + NS + b'<post dsq:id="1"><message>'
    stream = _Endless(prefix, 1_000_000_000)
    with pytest.raises(ImportFailed, match="bytes"):
        list(disqus.parse(stream))  # type: ignore[arg-type]
    assert stream.served < 30_000_000


def test_many_small_elements_in_one_record_are_bounded():
    prefix = HEAD + NS + b'<post dsq:id="1"><message>'

    class Repeating(_Endless):
        def read(self, n: int = -1) -> bytes:
            if self.prefix:
                chunk, self.prefix = self.prefix, b""
                return chunk
            self.served += 65536
            return b"<p>x</p>" * 8192

    stream = Repeating(prefix, 0)
    with pytest.raises(ImportFailed, match="more than 250,000 elements"):
        list(disqus.parse(stream))  # type: ignore[arg-type]
    assert stream.served < 4_000_000


def test_wrong_encoding_names_the_line():
    data = (
        HEAD + NS + '<thread dsq:id="1"><title>caf\xe9</title></thread></disqus>'.encode("latin-1")
    )
    with pytest.raises(ImportFailed, match="line"):
        items(data)


def test_latin1_declared_is_read():
    data = (
        b'<?xml version="1.0" encoding="iso-8859-1"?>' + NS
        + '<thread dsq:id="1"><link>https://e.example/</link><title>caf\xe9</title></thread>'
        .encode("latin-1") + b"</disqus>"
    )  # fmt: skip
    thread = items(data)[1]
    assert thread.title == "café"


@pytest.mark.parametrize("cut", [10, 60, 120])
def test_truncated_file_fails(cut):
    full = HEAD + NS + b'<thread dsq:id="1"><link>https://e.example/</link></thread></disqus>'
    with pytest.raises(ImportFailed):
        items(full[:cut])


def test_wrong_root_is_refused():
    with pytest.raises(ImportFailed, match=r"not <disqus>|not a Disqus"):
        items(HEAD + b"<rss><channel/></rss>")
    with pytest.raises(ImportFailed, match="not <rss>"):
        list(wordpress.parse(io.BytesIO(HEAD + NS + b"</disqus>")))


@pytest.mark.parametrize(
    "date", ["01/03/2015", "2015-13-01T00:00:00Z", "", "1800-01-01T00:00:00Z", "tomorrow"]
)
def test_odd_dates_fail_clearly(date):
    data = (
        HEAD + NS + b'<thread dsq:id="1"><link>https://e.example/</link></thread>'
        b'<post dsq:id="2"><message>hi</message><createdAt>' + date.encode()
        + b'</createdAt><thread dsq:id="1"/></post></disqus>'
    )  # fmt: skip
    with pytest.raises(ImportFailed, match="date"):
        items(data)


def test_message_over_a_million_characters_fails():
    data = (
        HEAD + NS + b'<thread dsq:id="1"><link>https://e.example/</link></thread>'
        b'<post dsq:id="2"><message>' + b"x" * 1_000_001
        + b'</message><createdAt>2015-01-01T00:00:00Z</createdAt><thread dsq:id="1"/></post>'
        b"</disqus>"
    )  # fmt: skip
    with pytest.raises(ImportFailed, match="1,000,000"):
        items(data)


def test_records_are_cleared_as_they_stream():
    def generate() -> Iterator[bytes]:
        yield HEAD + NS + b'<thread dsq:id="1"><link>https://e.example/</link></thread>'
        for i in range(2000):
            yield (
                f'<post dsq:id="{i + 10}"><message>m{i}</message>'
                '<createdAt>2015-01-01T00:00:00Z</createdAt><thread dsq:id="1"/></post>'
            ).encode()
        yield b"</disqus>"

    found = [i for i in items(b"".join(generate())) if isinstance(i, CommentItem)]
    assert len(found) == 2000
    assert found[-1].body_text == "m1999"
