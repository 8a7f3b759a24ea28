"""Turning a response's bytes into text, within a size cap, whatever the server claims.

Two hostile cases drive this module. A gzip bomb: a few kilobytes on the wire that inflate to
gigabytes, so the cap applies to the *decoded* bytes and inflating stops as soon as it is
passed (``zlib``'s ``max_length``), never after. Wrong or missing character sets: the
charset is taken, in the HTML standard's order, from a byte-order mark, the HTTP
``Content-Type``, a ``<meta charset>`` (or ``http-equiv``) in the first kilobytes, then UTF-8
if the bytes are valid UTF-8, else windows-1252; undecodable bytes become U+FFFD, so a badly
encoded page is read, never fatal.
"""

from __future__ import annotations

import codecs
import re
import zlib

# The HTML standard's prescan looks at the first 1024 bytes; real pages put long comments
# or scripts before the meta tag, so look a little further.
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})""", re.IGNORECASE
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels the HTML standard maps to windows-1252, a superset that decodes every byte.
_AS_WINDOWS_1252 = frozenset({"iso-8859-1", "latin-1", "latin1", "ascii", "us-ascii", "iso8859-1"})
# Encodings a page may not declare in a meta tag: a UTF-16 page cannot contain an ASCII
# "<meta" to begin with, and UTF-7 is a known cross-site scripting vector.
_REFUSED = frozenset(
    {"utf-16", "utf-16-le", "utf-16-be", "utf-7", "utf-32", "utf-32-le", "utf-32-be"}
)


class TooLarge(ValueError):
    """The decoded body passed the size cap."""


class UnsupportedEncoding(ValueError):
    """A ``Content-Encoding`` the fetcher did not ask for."""


class BodyDecoder:
    """Undoes ``Content-Encoding`` chunk by chunk and stops at ``limit`` decoded bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
            raise UnsupportedEncoding(content_encoding)
        self.limit = limit
        self.size = 0
        self._kind = encodings[0] if encodings else "identity"
        self._inflater: zlib._Decompress | None = None
        if self._kind in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._first = True

    def feed(self, chunk: bytes) -> bytes:
        if self._kind == "deflate" and self._first and chunk:
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
            is_zlib = (
                len(chunk) >= 2 and (chunk[0] & 0x0F) == 8 and (chunk[0] << 8 | chunk[1]) % 31 == 0
            )
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)
        self._first = False
        if self._inflater is None:
            out = chunk
        else:
            try:
                # One byte more than may still come: getting it means the cap is passed.
                out = self._inflater.decompress(chunk, self.limit - self.size + 1)
            except zlib.error as exc:
                raise UnsupportedEncoding(f"corrupt {self._kind} body") from exc
            if self._inflater.unconsumed_tail:
                raise TooLarge
        self.size += len(out)
        if self.size > self.limit:
            raise TooLarge
        return out


def charset_from_content_type(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def decode_html(body: bytes, http_charset: str | None) -> tuple[str, str]:
    """(text, encoding used) for an HTML body; never raises on bad bytes."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace"), encoding
    for label in (http_charset, _meta_charset(body[:_PRESCAN_BYTES])):
        declared = _known(label)
        if declared is not None:
            return body.decode(declared, "replace"), declared
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace"), "cp1252"


def _meta_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _known(label: str | None) -> str | None:
    if not label:
        return None
    lowered = label.strip().lower()
    if lowered in _AS_WINDOWS_1252:
        return "cp1252"
    try:
        name = codecs.lookup(lowered).name
    except LookupError:
        return None
    return None if name in _REFUSED else name
