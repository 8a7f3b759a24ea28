"""Turn a comment's source into HTML that is safe to store and show as is.

The one idea: **markdown-it only formats, nh3 decides what is allowed.** Whatever
markdown-it (or an importer's foreign HTML) produces goes through a single nh3
allow-list, so a rendering quirk can never smuggle in a tag, an attribute or a
``javascript:`` URL. We render once, at write time, and store all of ``Rendered``.

Example::

    >>> r = render_markdown("Hi @Ann: ![cat](https://i.example/c.png)")
    >>> r.html
    '<p>Hi @Ann: <a href="https://i.example/c.png" rel="nofollow ugc noopener">cat</a></p>\\n'
    >>> r.text, r.link_count, r.mentions
    ('Hi @Ann: cat', 1, ('ann',))

Decisions a reader would otherwise have to rediscover:

- Markdown is CommonMark with raw HTML off (``<b>`` is shown, not obeyed), plus
  tables, ``~~strikethrough~~`` and linkify. Only text starting with ``http://``,
  ``https://`` or ``www.`` is linkified: ``example.com`` and ``a@b.com`` stay text.
- Images become links to their source, labelled with the alt text (or the URL when
  there is none): a comment must not make readers' browsers fetch third-party
  images. Inside a link an image is reduced to its alt text, since links cannot nest.
- Headings: h1 and h2 become h3 and h4 so a comment cannot outrank the page's own
  headings; h3-h6 are kept. The mapping is idempotent, so rendering stored HTML again
  through ``render_html_fragment`` changes nothing.
- Links: only ``http``, ``https`` and ``mailto`` hrefs survive; any other scheme, and
  any relative URL (``/x``, ``#x``, ``//evil.example``), loses its href but keeps its
  text. Every link gets ``rel="nofollow ugc noopener"`` and never a ``target``.
- The source is scrubbed first: ``\\r\\n`` and ``\\r`` become ``\\n``; C0 controls
  other than tab and newline, DEL and C1 controls are removed, and so are the bidi
  embedding/override/isolate characters U+202A-U+202E and U+2066-U+2069, which could
  make a comment's text display in a misleading order (Trojan Source). The same scrub
  runs on the output, because entities such as ``&#x202E;`` decode after the first.
- ``text`` is plain text, not HTML: a comment that talks about ``<script>`` contains
  ``<script>`` there. Escape it wherever it is put into HTML.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "Rendered",
    "render_html_fragment",
    "render_markdown",
]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A comment rendered once at write time; every field is stored."""

    html: str
    """Sanitized HTML, safe to insert into a page as is."""
    text: str
    """Plain text (not HTML) for search, snippets, feeds and e-mails: escape it on output."""
    link_count: int
    """Distinct hrefs; moderation holds comments with too many links."""
    mentions: tuple[str, ...]
    """Lowercased usernames mentioned with ``@``, unique, in order of appearance."""


ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "ol": frozenset({"start"}),
    "code": frozenset({"class"}),
    "th": frozenset({"align"}),
    "td": frozenset({"align"}),
}
LINK_REL = "nofollow ugc noopener"
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Quoting a quote of a quote is normal in a thread; twenty levels of blocks is far
# beyond it. markdown-it drops what lies deeper, which keeps `>` x 10,000 linear
# instead of recursing 10,000 times.
MAX_NESTING = 20

_MENTION_RE = re.compile(
    # Not preceded by what could be an e-mail's local part or a URL path (a@b.com,
    # x.org/@bob), not followed by more name, another @ or a domain (@bob.com).
    r"(?<![\w.+\-/@])@([A-Za-z0-9_]{2,32})(?![\w@]|\.\w)"
)
_CODE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#-]{1,40}")
_LINKIFY_PREFIX_RE = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
_IMPORTED_HEADING_RE = re.compile(r"<(/?)h([12])>")

_SCRUB = dict.fromkeys(
    [
        *range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20),  # C0 controls but \t and \n
        *range(0x7F, 0xA0),  # DEL and C1 controls
        *range(0x202A, 0x202F), *range(0x2066, 0x206A),  # bidi embeddings, overrides, isolates
    ]
)  # fmt: skip


def _scrub(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\r", "\n").translate(_SCRUB)


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    # nh3 only lets a whole attribute through; the values are narrowed here.
    if element == "code" and attribute == "class":
        return value if _CODE_CLASS_RE.fullmatch(value) else None
    if element == "ol" and attribute == "start":
        return value if value.isascii() and value.isdigit() and len(value) <= 9 else None
    if attribute == "align":
        return value if value in {"left", "center", "right"} else None
    return value


def _make_cleaner(extra_tags: frozenset[str] = frozenset()) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS | extra_tags),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        # A comment is shown on pages we do not control; a relative URL would
        # resolve against whichever page that is.
        url_relative="deny",
    )


def _rewrite_tokens(state: StateCore) -> None:
    """Apply the image, heading, table and linkify policies to the token stream."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close") and token.tag in ("h1", "h2"):
            token.tag = {"h1": "h3", "h2": "h4"}[token.tag]
        elif token.type in ("th_open", "td_open"):
            # markdown-it aligns cells with a style attribute; styles are not allowed.
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrs["align"] = style.removeprefix("text-align:")
        elif token.type == "inline" and token.children:
            token.children = _rewrite_inline(token.children)


def _rewrite_inline(children: list[Token]) -> list[Token]:
    out: list[Token] = []
    link_depth = 0
    skip_close = 0
    for i, token in enumerate(children):
        if token.type == "link_open":
            nxt = children[i + 1] if i + 1 < len(children) else None
            if token.markup == "linkify" and not (
                nxt is not None and _LINKIFY_PREFIX_RE.match(nxt.content)
            ):
                skip_close += 1  # linkify only http(s) and www: keep the text only
                continue
            link_depth += 1
        elif token.type == "link_close":
            if token.markup == "linkify" and skip_close:
                skip_close -= 1
                continue
            link_depth -= 1
        elif token.type == "image":
            alt = _plain_text(token.children or [])
            src = str(token.attrs.get("src", ""))
            if link_depth:
                out.append(_text(alt))
            else:
                link = Token("link_open", "a", 1)
                link.attrs = {"href": src}
                out.extend((link, _text(alt or src), Token("link_close", "a", -1)))
            continue
        out.append(token)
    return out


def _plain_text(tokens: list[Token]) -> str:
    """An image's alt text: its description with the markup dropped, as CommonMark says."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.children:
            parts.append(_plain_text(token.children))
    return "".join(parts)


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": True, "typographer": False, "maxNesting": MAX_NESTING},
    ).enable(["linkify", "table", "strikethrough"])
    md.core.ruler.push("rejoinder_policy", _rewrite_tokens)
    return md


_MD = _make_markdown()
_CLEANER = _make_cleaner()
_IMPORT_CLEANER = _make_cleaner(frozenset({"h1", "h2"}))


class _Digest(HTMLParser):
    """Reads sanitized HTML back for its plain text, hrefs and mentions."""

    _BLOCKS = frozenset(
        {"p", "br", "hr", "pre", "blockquote", "ul", "ol", "li", "h3", "h4", "h5", "h6",
         "table", "thead", "tbody", "tr"}
    )  # fmt: skip
    _NO_MENTIONS = frozenset({"a", "code", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hrefs: dict[str, None] = {}
        self.mentions: dict[str, None] = {}
        self._quiet = 0  # depth inside elements whose text holds no mentions

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.chunks.append("\n")
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        if tag in self._NO_MENTIONS:
            self._quiet += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs[href] = None

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.chunks.append("\n")
        if tag in self._NO_MENTIONS:
            self._quiet = max(0, self._quiet - 1)

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
        if not self._quiet:
            for name in _MENTION_RE.findall(data):
                self.mentions[name.lower()] = None


def _digest(clean_html: str) -> Rendered:
    parser = _Digest()
    parser.feed(clean_html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).split("\n"))
    return Rendered(
        html=clean_html,
        text="\n".join(line for line in lines if line),
        link_count=len(parser.hrefs),
        mentions=tuple(parser.mentions),
    )


# One line of plain prose: ASCII letters, digits, spaces and punctuation that no Markdown,
# linkify, mention or HTML-escaping rule acts on, starting with a letter (not a list item or
# an indented block), a full stop only before a space or the end (no domain for linkify to
# find), no trailing space. Markdown would render it as itself in one paragraph; most comments
# are like this, and the full pipeline costs ~0.4 ms of the write path (issue 8).
# tests/unit/comments/test_render.py checks the shortcut against the pipeline.
_PLAIN_LINE = re.compile(r"[A-Za-z](?:[A-Za-z0-9 ,;!?'()-]|\.(?=[ ]|$))*(?<! )", re.ASCII)


def render_markdown(source: str) -> Rendered:
    """Render a comment written in Markdown."""
    if _PLAIN_LINE.fullmatch(source):
        return Rendered(f"<p>{source}</p>\n", " ".join(source.split()), 0, ())
    return _render_markdown(source)


def _render_markdown(source: str) -> Rendered:
    raw = _MD.render(_scrub(source))
    return _digest(_scrub(_CLEANER.clean(raw)))


def render_html_fragment(html: str) -> Rendered:
    """Sanitize foreign HTML (Disqus, WordPress bodies) to the same subset as Markdown.

    Imported ``<img>`` elements are dropped, alt text included; h1/h2 become h3/h4.
    """
    cleaned = _IMPORT_CLEANER.clean(_scrub(html))
    # nh3's output is canonical (headings carry no attributes, text `<` is `&lt;`),
    # so renaming the tags textually is exact; the second pass re-checks the result.
    demoted = _IMPORTED_HEADING_RE.sub(lambda m: f"<{m[1]}h{int(m[2]) + 2}>", cleaned)
    return _digest(_scrub(_CLEANER.clean(demoted)))
