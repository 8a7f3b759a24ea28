from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rejoinder.comments.render import (
    _PLAIN_LINE,
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    LINK_REL,
    URL_SCHEMES,
    _render_markdown,
    render_html_fragment,
    render_markdown,
)


class _Audit(HTMLParser):
    """An oracle independent of nh3: every tag, attribute and href in the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if tag == "a" and name == "rel":
                if value != LINK_REL:
                    self.problems.append(f"rel {value}")
            elif name not in ALLOWED_ATTRIBUTES.get(tag, ()):
                self.problems.append(f"attribute {tag}[{name}]")
            elif name == "href" and urlsplit(value or "").scheme not in URL_SCHEMES:
                self.problems.append(f"href {value}")
        if tag == "a" and ("rel", LINK_REL) not in attrs:
            self.problems.append("link without rel")

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data}")


def audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser.problems


def a(href: str, text: str) -> str:
    return f'<a href="{href}" rel="{LINK_REL}">{text}</a>'


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("*em* **strong** ~~gone~~", "<p><em>em</em> <strong>strong</strong> <s>gone</s></p>\n"),
        ("use `a < b && c`", "<p>use <code>a &lt; b &amp;&amp; c</code></p>\n"),
        (
            "```python\nif a < b:\n    pass\n```",
            '<pre><code class="language-python">if a &lt; b:\n    pass\n</code></pre>\n',
        ),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"),
        ("3. three\n4. four", '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n'),
        (
            "> you said\n\nI disagree",
            "<blockquote>\n<p>you said</p>\n</blockquote>\n<p>I disagree</p>\n",
        ),
        (
            "[docs](https://example.org/a?b=1&c=2)",
            f"<p>{a('https://example.org/a?b=1&amp;c=2', 'docs')}</p>\n",
        ),
        (
            "see https://example.org.",
            f"<p>see {a('https://example.org', 'https://example.org')}.</p>\n",
        ),
        ("see www.example.org", f"<p>see {a('http://www.example.org', 'www.example.org')}</p>\n"),
        ("<https://example.org>", f"<p>{a('https://example.org', 'https://example.org')}</p>\n"),
        ("[mail me](mailto:a@example.org)", f"<p>{a('mailto:a@example.org', 'mail me')}</p>\n"),
        ("line one\nline two", "<p>line one\nline two</p>\n"),
        ("a  \nb", "<p>a<br>\nb</p>\n"),
        ("---", "<hr>\n"),
        (
            "| a | b |\n|:--|--:|\n| 1 | 2 |",
            '<table>\n<thead>\n<tr>\n<th align="left">a</th>\n<th align="right">b</th>\n</tr>\n'
            '</thead>\n<tbody>\n<tr>\n<td align="left">1</td>\n<td align="right">2</td>\n</tr>\n'
            "</tbody>\n</table>\n",
        ),
    ],
)
def test_markdown_renders(source: str, html: str) -> None:
    assert render_markdown(source).html == html


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (
            "# one\n## two\n### three\n###### six",
            "<h3>one</h3>\n<h4>two</h4>\n<h3>three</h3>\n<h6>six</h6>\n",
        ),
        (
            "![a cat](https://img.example/cat.png)",
            f"<p>{a('https://img.example/cat.png', 'a cat')}</p>\n",
        ),
        (
            "![](https://img.example/c.png)",
            f"<p>{a('https://img.example/c.png', 'https://img.example/c.png')}</p>\n",
        ),
        (
            "[![a cat](https://img.example/c.png)](https://x.example)",
            f"<p>{a('https://x.example', 'a cat')}</p>\n",
        ),
        (
            "![a\\*b *c* `d`](https://img.example/x.png)",
            f"<p>{a('https://img.example/x.png', 'a*b c d')}</p>\n",
        ),
        ("example.org and a@example.org", "<p>example.org and a@example.org</p>\n"),
        ("ftp://example.org/file", "<p>ftp://example.org/file</p>\n"),
    ],
)
def test_markdown_policies(source: str, html: str) -> None:
    assert render_markdown(source).html == html


HOSTILE = [
    # (source, a substring the visible text must keep, if any)
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
    ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ("[x](JaVaScRiPt:alert(1))", "[x](JaVaScRiPt:alert(1))"),
    ("[x](&#106;avascript:alert(1))", "[x](javascript:alert(1))"),
    ("[x](vbscript:msgbox(1))", "[x]"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "[x]"),
    ("![x](data:image/png;base64,iVBORw0KGgo=)", "x"),
    ("[x](<java\tscript:alert(1)>)", "x"),
    ("[x](//evil.example/)", "x"),
    ("[x](/relative)", "x"),
    ("[x](ftp://example.org)", "x"),
    ("<iframe src=https://evil.example></iframe>", "<iframe"),
    ('<p style="background:url(x)">hi</p>', "hi"),
    ("<javascript:alert(1)>", "<javascript:alert(1)>"),
    ("<!-- hidden --> shown", "shown"),
    ("<div><b>unclosed", "unclosed"),
    ('[x](https://ok.example "title" onclick="alert(1)")', "x"),
    ('```"><script>alert(1)</script>\nx\n```', "x"),
    ('[a](https://x.example/"onmouseover="alert(1))', "a"),
]


@pytest.mark.parametrize(("source", "visible"), HOSTILE)
def test_hostile_markdown_is_neutralised(source: str, visible: str) -> None:
    rendered = render_markdown(source)
    assert audit(rendered.html) == []
    assert visible in rendered.text


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("a\x00b\x01c\x1bd\x7fe\x85f", "abcdef"),
        ("tab\tstays", "tab stays"),
        ("one\r\ntwo\rthree", "one\ntwo\nthree"),
        ("abc\u202egnp.exe", "abcgnp.exe"),
        ("x\u2066y\u2069z\u202a", "xyz"),
        ("&#x202E;evil", "evil"),
    ],
)
def test_controls_and_bidi_overrides_are_stripped(source: str, text: str) -> None:
    rendered = render_markdown(source)
    assert rendered.text == text
    assert not {chr(c) for c in (*range(0x09), *range(0x0E, 0x20), 0x7F, 0x202E)} & set(
        rendered.html
    )


@pytest.mark.parametrize(
    "source",
    [
        ">" * 10_000 + " deep",
        "> " * 10_000 + "deep",
        ">\n" * 10_000,
        "*" * 10_000,
        "*a" * 5_000,
        "[" * 10_000,
        "![" * 5_000,
        "`" * 10_000,
        "- " * 5_000 + "x",
        "  - x\n" * 2_000,
        "x" * 100_000,
        "https://example.org/" + "a" * 100_000,
    ],
)
def test_pathological_input_renders_safely(source: str) -> None:
    rendered = render_markdown(source)
    assert audit(rendered.html) == []
    assert rendered.html.count("<blockquote>") <= 20


def test_long_word_is_kept_whole() -> None:
    word = "x" * 50_000
    assert render_markdown(word).text == word


@pytest.mark.parametrize(
    ("source", "mentions"),
    [
        ("hi @Alice and @bob_2, @alice again", ("alice", "bob_2")),
        ("`@code` and\n\n    @indented\n\n```\n@fenced\n```", ()),
        ("write to a@example.org or x.y@bob.example", ()),
        ("[@linked](https://x.example) @plain", ("plain",)),
        ("@a is too short, @" + "n" * 33 + " too long, @" + "m" * 32, ("m" * 32,)),
        ("**@strong**, (@paren) @end.", ("strong", "paren", "end")),
        ("https://mastodon.example/@someone", ()),
    ],
)
def test_mentions(source: str, mentions: tuple[str, ...]) -> None:
    assert render_markdown(source).mentions == mentions


def test_link_count_counts_distinct_hrefs() -> None:
    source = "[a](https://a.example) [again](https://a.example) https://b.example [bad](/x)"
    assert render_markdown(source).link_count == 2


def test_text_separates_blocks_and_decodes_entities() -> None:
    source = "# Title\n\nFirst  para &amp; *more*\n\n- item\n\n> quoted"
    assert render_markdown(source).text == "Title\nFirst para & more\nitem\nquoted"


@pytest.mark.parametrize(
    ("fragment", "html"),
    [
        ("<p>ok <b>bold</b></p><script>alert(1)</script>", "<p>ok bold</p>"),
        ('<img src="x" onerror="alert(1)">after', "after"),
        ('<a href="javascript:alert(1)" target="_blank">x</a>', f'<a rel="{LINK_REL}">x</a>'),
        ('<a href="HTTPS://ok.example" rel="follow">x</a>', a("HTTPS://ok.example", "x")),
        ("<h1>a</h1><h2 id=x>b</h2><h5>c</h5>", "<h3>a</h3><h4>b</h4><h5>c</h5>"),
        ('<p style="color:red" class="x" onclick="y">p</p>', "<p>p</p>"),
        ("<iframe src=https://evil.example>x</iframe><p>y</p>", "x<p>y</p>"),
        ("<!-- note --><p>z</p>", "<p>z</p>"),
        (
            '<ol start="2"><li>x</ol><ol start="2;x"><li>y</ol>',
            '<ol start="2"><li>x</li></ol><ol><li>y</li></ol>',
        ),
        (
            '<code class="language-js">1</code><code class="evil">2</code>',
            '<code class="language-js">1</code><code>2</code>',
        ),
        ("<blockquote><p>unclosed", "<blockquote><p>unclosed</p></blockquote>"),
        ("a&#x202E;b&#1;c", "abc"),
    ],
)
def test_html_fragment_is_sanitised(fragment: str, html: str) -> None:
    assert render_html_fragment(fragment).html == html


def test_html_fragment_deep_nesting() -> None:
    rendered = render_html_fragment("<blockquote>" * 2_000 + "deep")
    assert rendered.text == "deep"
    assert audit(rendered.html) == []


MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "<script>", "</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:x">',
            "javascript:", "JaVaScRiPt:", "&#106;", "&lt;", "&amp;", "&#x202E;", "\u202e",
            "\x00", "\r", "\n", "\n\n", "\t", " ", "[", "]", "(", ")", "![", "<", ">", "> ",
            '"', "'", "*", "_", "~~", "`", "```", "    ", "- ", "1. ", "# ", "|", "|---|",
            "---", "\\", "http://", "https://x.example", "www.", "//", "mailto:", "data:",
            "@", "@bob", "a@b.com", "x", ".", ":", "=",
        ]
    )
    | st.text(max_size=4),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=200, deadline=None, database=None)
@given(MARKDOWNISH)
def test_any_markdown_renders_to_allowed_html(source: str) -> None:
    rendered = render_markdown(source)
    assert audit(rendered.html) == []
    # Sanitizing our own output again (as an importer would) changes nothing.
    assert render_html_fragment(rendered.html) == rendered
    # `text` invents no markup: each `<` in it is one the reader sees in the comment.
    assert rendered.text.count("<") == rendered.html.count("&lt;")
    if "<script" in rendered.text.lower():
        assert "&lt;script" in rendered.html.lower()


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=80) | MARKDOWNISH)
def test_any_html_fragment_is_sanitised(fragment: str) -> None:
    rendered = render_html_fragment(fragment)
    assert audit(rendered.html) == []
    assert render_html_fragment(rendered.html) == rendered
    assert rendered.text.count("<") == rendered.html.count("&lt;")


# Plain prose, and the near misses the shortcut must leave to the full pipeline: list
# markers, indented code, trailing spaces, domains, mentions, entities, emphasis.
PROSE = st.lists(
    st.sampled_from(
        ["Post", "a", "Zz", "42", " ", "  ", ",", ";", "!", "?", "'", "(", ")", "-", ".",
         ". ", "e.g.", "www.", "example.com", "@ann", "&amp;", "*", "_", "1. ", "    ", "\n",
         "<b>", "`", "#", "|", "~~", "\u00e9"]
    ),
    max_size=20,
).map("".join)  # fmt: skip


@settings(max_examples=500, deadline=None, database=None)
@given(PROSE)
def test_plain_prose_shortcut_matches_the_pipeline(source: str) -> None:
    assert render_markdown(source) == _render_markdown(source)


@pytest.mark.parametrize(
    "source",
    ["Post 12 0f3a9c.", "Hello.  Is this (really) it? Yes; it's fine - mostly!", "x"],
)
def test_plain_prose_takes_the_shortcut(source: str) -> None:
    assert _PLAIN_LINE.fullmatch(source)
    assert render_markdown(source) == _render_markdown(source)


@pytest.mark.parametrize(
    "source",
    ["1. one", "- item", "    code", "see example.com", "a.b", "hi @ann", "trailing ", "é"],
)
def test_markdown_lookalikes_skip_the_shortcut(source: str) -> None:
    assert not _PLAIN_LINE.fullmatch(source)
