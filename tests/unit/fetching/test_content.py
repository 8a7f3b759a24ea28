"""Decoding response bodies: the size cap after decompression, and character sets."""

from __future__ import annotations

import gzip
import zlib

import pytest

from rejoinder.fetching.content import (
    BodyDecoder,
    TooLarge,
    UnsupportedEncoding,
    charset_from_content_type,
    decode_html,
)


def _feed_all(decoder: BodyDecoder, data: bytes, chunk: int = 4096) -> bytes:
    return b"".join(decoder.feed(data[i : i + chunk]) for i in range(0, len(data), chunk))


class TestBodyDecoder:
    def test_gzip_bomb_stops_at_the_cap(self):
        bomb = gzip.compress(b"\0" * 50_000_000)
        assert len(bomb) < 100_000
        decoder = BodyDecoder("gzip", limit=1_000_000)
        with pytest.raises(TooLarge):
            _feed_all(decoder, bomb)
        # Never more than the cap (plus the one byte that proves it was passed) was inflated.
        assert decoder.size <= 1_000_001

    def test_gzip_within_the_cap_is_decoded(self):
        assert _feed_all(BodyDecoder("gzip", 100), gzip.compress(b"<p>hi</p>")) == b"<p>hi</p>"

    def test_exactly_the_cap_is_allowed(self):
        assert len(_feed_all(BodyDecoder("", 10), b"0123456789")) == 10
        with pytest.raises(TooLarge):
            _feed_all(BodyDecoder("", 10), b"0123456789A")

    @pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
    def test_deflate_zlib_wrapped_or_raw(self, wbits):
        compressor = zlib.compressobj(wbits=wbits)
        data = compressor.compress(b"<html>ok</html>") + compressor.flush()
        assert _feed_all(BodyDecoder("deflate", 100), data) == b"<html>ok</html>"

    @pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
    def test_unrequested_encodings_are_refused(self, encoding):
        with pytest.raises(UnsupportedEncoding):
            BodyDecoder(encoding, 100)

    def test_corrupt_gzip_is_an_error_not_a_crash(self):
        with pytest.raises(UnsupportedEncoding):
            _feed_all(BodyDecoder("gzip", 100), b"\x1f\x8b\x08\x00garbage-garbage")


class TestCharsets:
    def test_http_charset_wins_over_meta(self):
        body = '<meta charset="utf-8"><title>café</title>'.encode("iso-8859-15")
        text, encoding = decode_html(body, "iso-8859-15")
        assert "café" in text
        assert encoding == "iso8859-15"

    def test_meta_charset_is_used_without_http_charset(self):
        body = '<html><head><meta charset="windows-1251"><title>Привет</title>'.encode("cp1251")
        assert "Привет" in decode_html(body, None)[0]

    def test_http_equiv_content_type(self):
        body = (
            '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">日本'
        ).encode("shift_jis")
        assert "日本" in decode_html(body, None)[0]

    def test_bom_wins(self):
        assert decode_html("\ufeffzürich".encode("utf-8"), "iso-8859-1")[0] == "zürich"

    def test_latin1_label_means_windows_1252(self):
        assert decode_html(b"\x93quoted\x94", "ISO-8859-1")[0] == "\u201cquoted\u201d"

    @pytest.mark.parametrize("label", ["utf-7", "x-no-such-charset", "utf-16", ""])
    def test_unusable_labels_fall_back(self, label):
        text, encoding = decode_html("naïve".encode(), label)
        assert text == "naïve"
        assert encoding == "utf-8"

    def test_invalid_utf8_without_a_label_is_read_as_windows_1252(self):
        assert decode_html(b"caf\xe9 \x81", None) == ("caf\xe9 \ufffd", "cp1252")

    def test_lying_charset_does_not_crash(self):
        text, _ = decode_html(b"\xfd\xfe\xff<p>x</p>", "utf-8")
        assert "<p>x</p>" in text

    @pytest.mark.parametrize(
        ("header", "charset"),
        [
            ("text/html; charset=UTF-8", "UTF-8"),
            ('text/html; charset="koi8-r"', "koi8-r"),
            ("text/html", None),
            ("text/html; charset=", None),
        ],
    )
    def test_charset_from_content_type(self, header, charset):
        assert charset_from_content_type(header) == charset
