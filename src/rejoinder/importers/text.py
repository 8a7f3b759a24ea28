"""Plain-text threads as blogs print them: the article, then numbered comments.

Example (``--url`` names the article's address; the file is UTF-8)::

    Title of the article

    The article's text, paragraphs separated by blank lines.

      1. Ann says

        A top-level comment.

        Its second paragraph.

        1. Bob says

          A reply to Ann, indented further and numbered within her comment.

      2. Cy says:

        Another top-level comment.

The first non-blank line is the title; the article runs until the first comment header
(``N. NAME says``, optionally ``N)`` or ``says:``/``wrote``). Nesting is by indentation: a
header more indented than the previous one is its reply; equal or less indented closes
comments back to that level. A first body line that is a date (``March 3, 2020 at 10:14
am`` or ``2020-03-03 10:14``) becomes the comment's time; otherwise the comments get the
import's time, a microsecond apart, in file order. Bodies are plain text: paragraphs by blank
lines, line breaks kept, nothing interpreted as Markdown.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from rejoinder import clock
from rejoinder.comments.render import render_html_fragment
from rejoinder.errors import InvalidUrl
from rejoinder.importers.dates import check_range
from rejoinder.importers.items import (
    MAX_MESSAGE_CHARS,
    CommentItem,
    ImportFailed,
    Item,
    ItemError,
    Source,
    ThreadItem,
    make_author,
)
from rejoinder.pages.service import resolve

MAX_LINE_BYTES = 200_000
MAX_ARTICLE_CHARS = 2_000_000
TAB_SIZE = 4

_HEADER = re.compile(
    r"^(?P<indent>[ ]*)(?P<number>\d{1,6})[.)][ ]+(?P<name>\S.{0,200}?)[ ]+"
    r"(?:says|said|wrote)[ ]*:?[ ]*$"
)
_WORDY_DATE = re.compile(
    r"^(?:on[ ]+)?[A-Z][a-z]+[ ]+\d{1,2},[ ]+\d{4}(?:[ ]+(?:at[ ]+)?\d{1,2}:\d{2}"
    r"(?:[ ]*[AaPp]\.?[Mm]\.?)?)?$"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_WORDY_FORMATS = ("%B %d, %Y %I:%M %p", "%B %d, %Y %H:%M", "%B %d, %Y", "%b %d, %Y %I:%M %p")


@dataclass
class _Open:
    indent: int
    path: str
    parent: str | None
    name: str
    where: str
    lines: list[str] = field(default_factory=list)
    size: int = 0
    children: int = 0


def parse(  # noqa: PLR0912, PLR0915 - one pass over the lines keeps memory bounded
    stream: BinaryIO, url: str | None, progress: Callable[[int], None] | None = None
) -> Iterator[Item]:
    if not url:
        raise ImportFailed("the text format needs the article's address: --url URL")
    try:
        key = resolve(url).key
    except InvalidUrl as exc:
        raise ImportFailed(f"--url cannot be discussed: {exc.detail}") from None
    yield Source("text")
    base = clock.now()
    title: str | None = None
    article: list[str] = []
    article_size = 0
    stack: list[_Open] = []
    top_level = 0
    emitted = 0
    for number, line in _lines(stream, progress):
        header = _HEADER.match(line)
        if header is None:
            if stack:
                # Only the newest comment is still open: earlier ones were finished.
                stack[-1].lines.append(line)
                stack[-1].size += len(line)
                if stack[-1].size > MAX_MESSAGE_CHARS:
                    raise ImportFailed(
                        "a comment longer than 1,000,000 characters", stack[-1].where
                    )
            elif title is None:
                title = line.strip()[:500] or None
            else:
                article.append(line)
                article_size += len(line)
                if article_size > MAX_ARTICLE_CHARS:
                    raise ImportFailed("an article longer than 2,000,000 characters")
            continue
        if title is None:
            raise ImportFailed("the file starts with a comment; the article's title comes first")
        if not stack:
            if emitted == 0:
                article_text = "\n".join(article).strip() or None
                yield ThreadItem(key, url, title, "line 1", article=article_text)
        else:
            # A comment's text ends where the next header starts, whatever its indentation:
            # comments come out in file order, parents before their replies.
            yield _finish(stack[-1], key, base, emitted)
            emitted += 1
        indent = len(header["indent"])
        while stack and stack[-1].indent >= indent:
            stack.pop()
        if stack:
            stack[-1].children += 1
            path, parent = f"{stack[-1].path}.{stack[-1].children}", stack[-1].path
        else:
            top_level += 1
            path, parent = str(top_level), None
        stack.append(_Open(indent, path, parent, header["name"], f"line {number}"))
    if title is None:
        raise ImportFailed("the file is empty")
    if top_level == 0:
        raise ImportFailed(
            "no comments found: after the article, comments start with lines like '1. NAME says'"
        )
    yield _finish(stack[-1], key, base, emitted)


def _lines(stream: BinaryIO, progress: Callable[[int], None] | None) -> Iterator[tuple[int, str]]:
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if progress is not None:
            progress(len(raw))
        if len(raw) > MAX_LINE_BYTES:
            raise ImportFailed(f"a line longer than {MAX_LINE_BYTES:,} bytes", f"line {number}")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFailed(
                f"not UTF-8 (byte {raw[exc.start]:#04x} at column {exc.start + 1}); save the "
                "file as UTF-8",
                f"line {number}",
            ) from None
        yield number, text.rstrip("\r\n").expandtabs(TAB_SIZE).rstrip()


def _finish(done: _Open, key: str, base: datetime, index: int) -> CommentItem | ItemError:
    parent = done.parent
    body = textwrap.dedent("\n".join(done.lines)).strip("\n")
    created_at = base + timedelta(microseconds=index)
    first, _, rest = body.partition("\n")
    moment = _date(first.strip(), done.where)
    if moment is not None:
        created_at, body = moment, textwrap.dedent(rest).strip("\n")
    external_id = f"{key}#{done.path}"
    if not body.strip():
        return ItemError("a comment without text", done.where, external_id, key, parent)
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ ]*\n", body) if p.strip()]
    markup = "".join(
        "<p>" + "<br>".join(html.escape(line.strip()) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    rendered = render_html_fragment(markup)
    return CommentItem(
        external_id=external_id,
        thread_id=key,
        parent_id=f"{key}#{parent}" if parent else None,
        author=make_author(done.name),
        body_src="\n\n".join(paragraphs),
        body_html=rendered.html,
        body_text=rendered.text,
        created_at=created_at,
        where=f"comment {done.path} ({done.where})",
    )


def _date(line: str, where: str) -> datetime | None:
    if _ISO_DATE.match(line):
        try:
            moment = datetime.fromisoformat(line)
        except ValueError:
            raise ImportFailed(f"unreadable date {line!r}", where) from None
        return check_range(moment if moment.tzinfo else moment.replace(tzinfo=UTC), where)
    if not _WORDY_DATE.match(line):
        return None
    # strptime matches month names and AM/PM in any case.
    text = re.sub(r"^on[ ]+", "", line).replace(" at ", " ").replace(".", "")
    text = re.sub(r"\s+", " ", text)
    for fmt in _WORDY_FORMATS:
        try:
            return check_range(datetime.strptime(text, fmt).replace(tzinfo=UTC), where)
        except ValueError:
            continue
    raise ImportFailed(f"unreadable date {line!r}", where)
