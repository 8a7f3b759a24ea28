"""The XML importers stream: bounded memory whatever the size of the export.

Proven without measuring memory: the parser has read only the start of a large file when it
hands out the first comment (items are produced as the bytes arrive, not after the whole file
is parsed), and the parsed tree never holds more than the records of the chunk being read
(finished records are cleared and dropped).
"""

from __future__ import annotations

import io

import pytest

from rejoinder.importers import disqus, wordpress, xmlstream
from rejoinder.importers.items import CommentItem

POSTS = 3000
BODY = "<p>" + "A comment long enough to make the file large. " * 8 + "</p>"


def disqus_export(posts: int = POSTS) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        '<thread dsq:id="t1"><link>https://blog.example/a</link><title>A</title></thread>\n'
    ]
    parts += [
        f'<post dsq:id="p{n}"><message><![CDATA[{BODY}]]></message>'
        "<createdAt>2016-01-01T00:00:00Z</createdAt><isDeleted>false</isDeleted>"
        "<isSpam>false</isSpam><author><name>Ann</name><isAnonymous>true</isAnonymous></author>"
        '<thread dsq:id="t1"/></post>\n'
        for n in range(posts)
    ]
    return ("".join(parts) + "</disqus>\n").encode()


def wordpress_export(comments: int = POSTS) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        "<link>https://blog.example</link>\n"
    ]
    for item in range(comments // 50):
        parts.append(
            f"<item><title>P{item}</title><link>https://blog.example/p{item}/</link>"
            f"<wp:post_id>{item + 1}</wp:post_id>\n"
        )
        parts += [
            f"<wp:comment><wp:comment_id>{item * 50 + n + 1}</wp:comment_id>"
            "<wp:comment_author>Ann</wp:comment_author>"
            "<wp:comment_date_gmt>2019-04-01 08:00:00</wp:comment_date_gmt>"
            f"<wp:comment_content><![CDATA[{BODY}]]></wp:comment_content>"
            "<wp:comment_approved>1</wp:comment_approved>"
            "<wp:comment_parent>0</wp:comment_parent></wp:comment>\n"
            for n in range(50)
        ]
        parts.append("</item>\n")
    return ("".join(parts) + "</channel></rss>\n").encode()


class CountingReader(io.BytesIO):
    """A file that remembers how many bytes the parser has taken from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


@pytest.mark.parametrize(
    ("parse", "export"), [(disqus.parse, disqus_export), (wordpress.parse, wordpress_export)]
)
def test_first_comment_arrives_after_reading_only_the_start_of_the_file(parse, export):
    data = export()
    assert len(data) > 20 * xmlstream.CHUNK_BYTES
    reader = CountingReader(data)
    items = parse(reader)
    first = next(item for item in items if isinstance(item, CommentItem))
    assert first.body_text.startswith("A comment long enough")
    assert reader.taken <= 2 * xmlstream.CHUNK_BYTES
    # ... and the rest is still there to be read, as the caller asks for more items.
    assert sum(isinstance(item, CommentItem) for item in items) == POSTS - 1
    assert reader.taken == len(data)


def test_the_tree_never_holds_more_than_a_chunk_of_records():
    data = disqus_export()
    record_bytes = len(data) / POSTS
    widest = 0
    records = 0
    for depth, element in xmlstream.records(io.BytesIO(data), 1):
        if depth == 1:
            records += 1
            # The records parsed from the current chunk (and the last one of the chunk
            # before); every earlier one has been cleared and dropped.
            widest = max(widest, len(element.getparent()))
    assert records == POSTS + 1
    assert widest <= 2 * xmlstream.CHUNK_BYTES / record_bytes + 2 < POSTS / 5
