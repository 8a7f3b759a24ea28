"""Turn the address of a web page into the key of its discussion.

People reach the same article through many addresses. All of these are one discussion:

    https://www.example.com/news/story/?utm_source=twitter&id=5#comments
    http://m.example.com/news/story/index.html?id=5&fbclid=abc
    example.com/news/./story/amp?id=5
    https://www.google.com/amp/s/example.com/news/story?id=5

and their key is ``example.com/news/story?id=5``. A key has no scheme (http and https are
the same page), a lowercase ASCII host without ``www.``/``m.``/``mobile.``/``amp.``, no
default port, a path without trailing slash, index file or AMP suffix, and a query without
tracking or session parameters, sorted by name. The home page's key is ``example.com/``.
Fragments name a place inside a page, so they are dropped, except hash-bang routes of
single-page apps, which name the page itself: ``example.com/#!/post/3``.

Anything that still differs is a different discussion: ``?id=5`` and ``?id=6``,
``/News`` and ``/news``, ``news.example.com`` and ``example.com``, port 8080 and 8081.
Repeated slashes are kept (``/a//b`` is not ``/a/b``): servers may route them differently.

`clean_url` is the link we show for the discussion. It only removes what never changes the
page (tracking, sessions, fragments) and keeps what a server might care about (the scheme,
``www.``, trailing slashes, index files, YouTube's ``t=30``), so it stays a working link;
``url_key(clean_url(u)) == url_key(u)``.

Parsing follows the WHATWG URL Standard for http(s), which is what browsers do and what the
browser extension's JavaScript port gets from ``new URL()``: backslashes are slashes, tabs
and newlines vanish, hosts are percent-decoded and IDNA-mapped (UTS 46, punycode in the
key), IPv4 hosts may be written in hex, octal or as one number (``0x7f.1`` is
``127.0.0.1``). We are stricter where a browser is lenient and no real page lives: hosts
may only hold letters, digits, ``-``, ``_`` and dots, and credentials are refused (the host
and port are `hosts`' part). The data (which parameters are tracking, which host prefixes
are aliases) lives in `url_rules`.

For the JavaScript port: work on the query as bytes (``URLSearchParams`` replaces invalid
UTF-8 and re-encodes), compare lengths in code points, and keep the rules in the order of
`_parse_any` below; the vectors in ``tests/vectors/url_keys.json`` are the contract.

Most URLs arrive already in normal form (``https://example.com/news/story``): for those,
`_parse_normal_form` reads the parts off one regex match and skips the parse, which would
leave them unchanged (a property test holds the two to the same answers). `plain_key` goes
one step further for batch counts: when the key is the URL's site and path as written, it is
read off the same match without building the address or the link.
"""

import functools
import hashlib
import re
from typing import NamedTuple
from urllib.parse import quote_plus, unquote_to_bytes

from rejoinder.pages import hosts
from rejoinder.pages import url_rules as rules
from rejoinder.pages.url_errors import MAX_URL_LENGTH, UrlRejected

__all__ = [
    "MAX_URL_LENGTH",
    "UrlRejected",
    "clean_url",
    "key_and_url",
    "key_digest",
    "plain_key",
    "url_key",
]

# An AMP cache may serve Google's viewer URL, which wraps the original: unwrap a few
# layers, but refuse deliberate nesting rather than recurse on attacker-chosen input.
MAX_UNWRAP_DEPTH = 3

# WHATWG strips C0 controls and space; we also strip what JavaScript's trim() strips, so
# an address pasted with a no-break space or byte-order mark still works.
_STRIP = "".join(map(chr, range(0x21))) + (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_REMOVE_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")

# A scheme per WHATWG. Linear: one character class, no nesting.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path or hash-bang. None is in a WHATWG percent-encode
# set, so the JavaScript port, which starts from the browser's encoding, ends up the same.
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@")
_FRAGMENT_SAFE = _PATH_SAFE | frozenset("/?")
# Query bytes left as they are in a key, besides the unreserved ones quote_plus keeps.
_QUERY_SAFE = "!$'()*,/:;@?"
# What the WHATWG URL parser encodes in a special URL's query (clean_url keeps the rest).
_QUERY_UNSAFE = frozenset("\"#<>'")
_SINGLE_DOT = frozenset({".", "%2e"})
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _only(characters: frozenset[str]) -> re.Pattern[str]:
    """A pattern that fully matches text made of these characters alone."""
    return re.compile("[" + "".join(map(re.escape, sorted(characters))) + "]*")


# Text that each escaping step leaves as it is, recognised with one regex match (the
# common case) instead of a loop over its characters.
_ONLY = {safe: _only(safe) for safe in (_PATH_SAFE, _FRAGMENT_SAFE)}
_FORM_PLAIN = _only(_UNRESERVED | frozenset(_QUERY_SAFE))  # quote_plus' always-safe + ours
_QUERY_PLAIN = _only(frozenset(map(chr, range(0x21, 0x7F))) - _QUERY_UNSAFE)
_ID_ALIAS_HOSTS = frozenset(host for host, _ in rules.ID_PATH_ALIASES)
# Every site `_is_amp_viewer` takes starts so ("google" alone has no second label).
_AMP_VIEWER_PREFIX = rules.AMP_VIEWER_HOST_LABEL + "."

# A URL in normal form (see `_parse_normal_form`). Host labels are at most 63 characters and
# the last starts with a letter, so it is never read as an IPv4 number ("0x7f", "1"). Path
# characters are `_PATH_SAFE` without ";" (session parameters); a segment "." or ".." is
# excluded by the lookahead. Linear: every repetition ends at a character it cannot hold.
_NORMAL_FORM = re.compile(
    r"(https?)://"
    r"((?:[a-z0-9_-]{1,63}\.)*[a-z][a-z0-9_-]{0,62})"
    r"((?:/(?!\.\.?(?:/|$))[A-Za-z0-9\-._~!$&'()*+,=:@]*)*)"
)


class _Param(NamedTuple):
    """One query parameter: as written (for links) and canonical (for keys)."""

    raw: str
    name: str
    value: str

    @property
    def text(self) -> str:
        # "a" and "a=" are the same parameter in form encoding.
        return f"{self.name}={self.value}" if self.value else self.name


class _Address(NamedTuple):  # a tuple: built for every URL, twice as fast as a dataclass
    scheme: str
    host: str  # ASCII, lowercase, without trailing dot; IPv6 in brackets
    site: str  # host without alias prefixes such as "www."
    port: int | None
    path: str  # dot segments resolved, escapes normalized, session parameters removed
    params: tuple[_Param, ...]
    hashbang: str | None  # what follows "#!", normalized


def url_key(raw: str) -> str:
    """Return the discussion key for an address, e.g. ``example.com/news/story?id=5``."""
    key = _key(_parse(raw, depth=0))
    _check_length(key)
    return key


def clean_url(raw: str) -> str:
    """Return the address to link to: tracking, sessions and fragments removed."""
    address = _parse(raw, depth=0)
    _check_length(_key(address))
    return _link(address)


def key_and_url(raw: str) -> tuple[str, str]:
    """Return ``(url_key(raw), clean_url(raw))`` from one parse, raising as they would."""
    address = _parse(raw, depth=0)
    key = _key(address)
    _check_length(key)
    return key, _link(address)


def key_digest(key: str) -> str:
    """Return the SHA-256 hex digest of a key, looked up by its first four hex digits."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def plain_key(raw: str) -> str | None:
    """The key of a URL in normal form whose key is its site and path as written, or None.

    ``https://www.example.com/news/story`` is ``example.com/news/story``: no trailing slash,
    index file or AMP suffix to drop, and a site without AMP wrappers or video-id aliases.
    Its clean link is the URL itself (with "/" for a bare host), so `key_and_url` would not
    refuse it either. Batch counts (50 URLs a request) read most keys this way, a few times
    faster than `key_and_url`; anything else returns None and takes it.
    """
    match = _NORMAL_FORM.fullmatch(raw)
    if match is None or len(raw) > MAX_URL_LENGTH:
        return None
    host, path = match.group(2, 3)
    site = _plain_site(host)
    if site is None:
        return None
    if path in ("", "/"):
        return site + "/"  # the home page
    # What `_strip_path_tail` would drop from the last segment (a trailing slash included).
    last = path[path.rfind("/") + 1 :].lower()
    if (
        not last
        or last in rules.INDEX_FILENAMES
        or last == rules.AMP_PATH_SEGMENT
        or last.endswith(rules.AMP_FILE_SUFFIX)
    ):
        return None
    return site + path


# A batch count's 50 URLs come from a few sites: each host's answer is remembered (an LRU, as
# the hosts are not chosen by us; 1,024 of at most 253 characters hold ~0.4 MB).
@functools.lru_cache(maxsize=1024)
def _plain_site(host: str) -> str | None:
    """The site of a host in a plain key (`plain_key`), or None when its URLs have none."""
    if len(host) > hosts.MAX_HOST_LENGTH or "xn--" in host:
        return None
    site = hosts.site(host) if host.startswith(rules.ALIAS_HOST_PREFIXES) else host
    if (
        site in _ID_ALIAS_HOSTS
        or site.startswith(_AMP_VIEWER_PREFIX)
        or site.endswith(rules.AMP_CACHE_HOST_SUFFIXES)
    ):
        return None
    return site


def _link(address: _Address) -> str:
    params = [p.raw for p in address.params if not _is_tracking(p, address.site)]
    port = "" if address.port in (None, _DEFAULT_PORTS[address.scheme]) else f":{address.port}"
    url = f"{address.scheme}://{address.host}{port}{address.path}"
    url += _suffix(params, address.hashbang)
    _check_length(url)
    return url


def _check_length(text: str) -> None:
    # Keys and links are stored and fed back in, so they obey the same limit as input.
    if len(text) > MAX_URL_LENGTH:
        raise UrlRejected("too_long")


def _suffix(params: list[str], hashbang: str | None) -> str:
    query = f"?{'&'.join(params)}" if params else ""
    return query + (f"#!{hashbang}" if hashbang else "")


# --- The key -----------------------------------------------------------------------------


def _key(address: _Address) -> str:
    path = _strip_path_tail(address.path)
    site, path, params = _apply_id_alias(address.site, path, address.params)
    keep = rules.KEEP_ONLY_PARAMS.get((site, path))
    kept = [p for p in params if not _is_tracking(p, site) and (keep is None or p.name in keep)]
    kept.sort(key=lambda p: p.name)  # stable: repeated names keep their order
    port = "" if address.port in (None, 80, 443) else f":{address.port}"
    return f"{site}{port}{path}" + _suffix([p.text for p in kept], address.hashbang)


def _strip_path_tail(path: str) -> str:
    """Drop trailing slashes, index files and AMP suffixes until none is left."""
    segments = path[1:].split("/")
    while True:
        last = segments[-1]
        lowered = last.lower()
        if last == "" and len(segments) > 1:
            segments.pop()
        elif lowered in rules.INDEX_FILENAMES or lowered == rules.AMP_PATH_SEGMENT:
            segments[-1] = ""
        elif lowered.endswith(rules.AMP_FILE_SUFFIX) and len(last) > len(rules.AMP_FILE_SUFFIX):
            # Keep the ".html" as written: "Story.AMP.HTML" becomes "Story.HTML".
            segments[-1] = last[: -len(rules.AMP_FILE_SUFFIX)] + last[-len(".html") :]
        else:
            return "/" + "/".join(segments)


def _apply_id_alias(
    site: str, path: str, params: tuple[_Param, ...]
) -> tuple[str, str, tuple[_Param, ...]]:
    """Rewrite ``youtu.be/ID`` and its kin to ``youtube.com/watch?v=ID``."""
    if site not in _ID_ALIAS_HOSTS:
        return site, path, params
    for (host, prefix), (new_site, new_path, name) in rules.ID_PATH_ALIASES.items():
        video = path[len(prefix) :]
        if site == host and path.startswith(prefix) and _is_video_id(video):
            others = tuple(p for p in params if p.name != name)
            return new_site, new_path, (*others, _Param(raw="", name=name, value=video))
    return site, path, params


def _is_video_id(text: str) -> bool:
    return (
        len(text) == rules.VIDEO_ID_LENGTH
        and set(text) <= rules.VIDEO_ID_CHARACTERS
        and text not in rules.NOT_VIDEO_IDS
    )


def _is_tracking(param: _Param, site: str) -> bool:
    name = param.name.lower()
    return (
        name in rules.TRACKING_PARAMS
        or name.startswith(rules.TRACKING_PARAM_PREFIXES)
        or (name, param.value.lower()) in rules.TRACKING_PARAM_VALUES
        or _is_session_name(name)
        or name in rules.DROP_PARAMS_BY_HOST.get(site, ())
    )


def _is_session_name(name: str) -> bool:
    name = name.lower()
    return name in rules.SESSION_PARAMS or name.startswith(rules.SESSION_PARAM_PREFIXES)


# --- Parsing -----------------------------------------------------------------------------


def _parse(raw: str, depth: int) -> _Address:
    address = _parse_normal_form(raw)
    return address if address is not None else _parse_any(raw, depth)


def _parse_normal_form(raw: str) -> _Address | None:
    """The address of a URL already in normal form, or None to take the full parse.

    Most URLs we see (widgets, batch counts, links we made) look like
    ``https://example.com/news/story``: a lowercase scheme, a lowercase ASCII host that is
    not an IP address or punycode, no port, credentials, query, fragment or backslash, and
    a path of characters that stay as they are, without escapes, session parameters or dot
    segments. Every step of `_parse_any` leaves such a URL unchanged, so its parts are the
    address, at a sixth of the full parse's cost. Anything else returns None.
    """
    match = _NORMAL_FORM.fullmatch(raw)
    if match is None or len(raw) > MAX_URL_LENGTH:
        return None
    scheme, host, path = match.groups()
    # Punycode labels are validated by the full parse; over-long hosts are refused there.
    if len(host) > hosts.MAX_HOST_LENGTH or "xn--" in host:
        return None
    path = path or "/"
    site = hosts.site(host)
    if _unwrap_amp(site, path, None, None) is not None:
        return None
    return _Address(scheme, host, site, None, path, (), None)


def _parse_any(raw: str, depth: int) -> _Address:
    text = _prepare(raw)
    scheme, rest = _split_scheme(text)
    rest, _, fragment = _partition(rest.lstrip("/\\"), "#")
    rest, _, query = _partition(rest, "?")
    end = min((i for i in (rest.find("/"), rest.find("\\")) if i >= 0), default=len(rest))
    host, port = hosts.parse_authority(rest[:end])
    path = _normalize_path(rest[end:])
    site = hosts.site(host)
    inner = _unwrap_amp(site, path, query, fragment)
    if inner is not None:
        if depth >= MAX_UNWRAP_DEPTH:
            raise UrlRejected("malformed")
        return _parse(inner, depth + 1)
    hashbang = None
    if fragment is not None and fragment.startswith("!") and len(fragment) > 1:
        hashbang = _normalize_escapes(fragment[1:], _FRAGMENT_SAFE)
    return _Address(scheme, host, site, port, path, _parse_query(query), hashbang)


def _prepare(raw: str) -> str:
    # Lone surrogates cannot be UTF-8 encoded; JavaScript strings turn them into U+FFFD.
    text = raw if raw.isascii() else _replace_lone_surrogates(raw)
    text = text.strip(_STRIP)
    if not text:
        raise UrlRejected("empty")
    if len(text) > MAX_URL_LENGTH:
        raise UrlRejected("too_long")
    return text.translate(_REMOVE_TAB_NEWLINE)


def _replace_lone_surrogates(text: str) -> str:
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _split_scheme(text: str) -> tuple[str, str]:
    """Return the scheme (http for scheme-less input) and what follows it."""
    match = _SCHEME.match(text)
    # "example.com:8080/a" and "localhost:8080" look like a scheme but are a host and port.
    if match and "." not in match.group() and not _starts_with_port(text[match.end() :]):
        scheme = match.group()[:-1].lower()
        if scheme not in _DEFAULT_PORTS:
            raise UrlRejected("bad_scheme")
        return scheme, text[match.end() :]
    if text[:1] in ("/", "\\") and text[1:2] not in ("/", "\\"):
        raise UrlRejected("no_host")  # a bare path: "/news/story"
    return "http", text


def _starts_with_port(text: str) -> bool:
    end = len(text)
    for i, char in enumerate(text):
        if char in "/\\?#":
            end = i
            break
    return end > 0 and set(text[:end]) <= _DIGITS


def _partition(text: str, separator: str) -> tuple[str, str, str | None]:
    head, found, tail = text.partition(separator)
    return head, found, (tail if found else None)


# --- Paths, queries and AMP wrappers -------------------------------------------------------


def _normalize_path(raw: str) -> str:
    segments = _resolve_dots(raw.replace("\\", "/").split("/")[1:])
    segments = [_strip_session(_normalize_escapes(s, _PATH_SAFE)) for s in segments]
    # Again: removing ";jsessionid=1" from "..;jsessionid=1" leaves a dot segment.
    return "/" + "/".join(_resolve_dots(segments))


def _resolve_dots(segments: list[str]) -> list[str]:
    resolved: list[str] = []
    for i, segment in enumerate(segments):
        is_last = i == len(segments) - 1
        lowered = segment.lower()
        if lowered in _DOUBLE_DOT:
            if resolved:
                resolved.pop()
            if is_last:
                resolved.append("")
        elif lowered in _SINGLE_DOT:
            if is_last:
                resolved.append("")
        else:
            resolved.append(segment)
    return resolved


def _normalize_escapes(text: str, safe: frozenset[str]) -> str:
    """Decode escaped unreserved characters, uppercase other escapes, escape the unsafe."""
    if _ONLY[safe].fullmatch(text):
        return text  # no escape and nothing to escape: most segments
    return _normalize_each_escape(text, safe)


def _normalize_each_escape(text: str, safe: frozenset[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        escape = text[i + 1 : i + 3]
        if char == "%" and len(escape) == 2 and set(escape) <= _HEX:
            decoded = chr(int(escape, 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + escape.upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        i += 1
    return "".join(out)


def _strip_session(segment: str) -> str:
    """Remove ";jsessionid=..." and other session path parameters from a segment."""
    if ";" not in segment:
        return segment
    base, *params = segment.split(";")
    kept = [p for p in params if not _is_session_name(p.partition("=")[0])]
    return ";".join([base, *kept])


def _parse_query(query: str | None) -> tuple[_Param, ...]:
    params = []
    for piece in (query or "").split("&"):
        name, _, value = piece.partition("=")
        param = _Param(raw=_encode_query(piece), name=_form(name), value=_form(value))
        if param.name or param.value:
            params.append(param)
    return tuple(params)


def _form(text: str) -> str:
    """Canonical form encoding: "+" and "%20" are a space, "%2B" stays a plus."""
    if _FORM_PLAIN.fullmatch(text):
        return text  # nothing to decode ("+", "%") and nothing quote_plus would escape
    return _requote(text)


def _requote(text: str) -> str:
    return quote_plus(unquote_to_bytes(text.replace("+", " ")), safe=_QUERY_SAFE)


def _encode_query(text: str) -> str:
    # What a browser sends for the query as typed; clean_url does not re-encode further.
    if _QUERY_PLAIN.fullmatch(text):
        return text
    return _encode_each(text)


def _encode_each(text: str) -> str:
    return "".join(
        "".join(f"%{b:02X}" for b in char.encode("utf-8"))
        if char in _QUERY_UNSAFE or not " " < char < "\x7f"
        else char
        for char in text
    )


def _unwrap_amp(site: str, path: str, query: str | None, fragment: str | None) -> str | None:
    """Return the original URL inside a Google AMP viewer or AMP cache URL, if any.

    ``google.com/amp/s/example.com/a`` and ``example-com.cdn.ampproject.org/c/s/example.com/a``
    both wrap ``https://example.com/a``; without the ``s/`` the original is http.
    """
    first, *rest = path.split("/")[1:]
    is_viewer = _is_amp_viewer(site) and first == "amp"
    is_cache = site.endswith(rules.AMP_CACHE_HOST_SUFFIXES) and first in (
        rules.AMP_CACHE_CONTENT_TYPES
    )
    if not (is_viewer or is_cache):
        return None
    scheme = "http"
    if rest[:1] == ["s"]:
        scheme, rest = "https", rest[1:]
    if not rest or "." not in rest[0]:
        return None  # "/amp/" alone, or a path that does not start with a host
    inner = f"{scheme}://{'/'.join(rest)}"
    inner += "" if query is None else f"?{query}"
    return inner + ("" if fragment is None else f"#{fragment}")


def _is_amp_viewer(site: str) -> bool:
    labels = site.split(".")
    if labels[0] != rules.AMP_VIEWER_HOST_LABEL:
        return False
    return len(labels) == 2 or (len(labels) == 3 and labels[1] in rules.AMP_VIEWER_SECOND_LEVELS)
