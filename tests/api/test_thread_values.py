"""Thread reads convert column values by hand (db/driver_values.py): the JSON must not change.

The typed ORM path (``GET /comments/{id}``) is the reference, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import make_comment, make_user, read_thread

from rejoinder import clock

pytestmark = pytest.mark.anyio

WITH_FRACTION = datetime(2026, 3, 4, 5, 6, 7, 89123, tzinfo=UTC)
WHOLE_SECOND = datetime(2026, 3, 4, 5, 6, 8, tzinfo=UTC)
EDITED = datetime(2026, 3, 4, 5, 7, 0, 1, tzinfo=UTC)


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)


async def test_datetimes_in_a_thread_are_those_of_the_typed_columns(client, monkeypatch):
    alice = await make_user(client)
    at(monkeypatch, WITH_FRACTION)
    top = await make_comment(client, alice, "top")
    at(monkeypatch, WHOLE_SECOND)
    reply = await make_comment(client, alice, "reply", url=None, parent_id=top["id"])
    at(monkeypatch, EDITED)
    edited = await client.patch(
        f"/api/v1/comments/{reply['id']}", json={"body": "reply, edited"}, headers=alice.auth
    )
    assert edited.status_code == 200

    for viewer in (None, alice):
        (shown_top,) = (await read_thread(client, user=viewer))["comments"]
        (shown_reply,) = shown_top["replies"]
        assert shown_top["created_at"] == "2026-03-04T05:06:07.089123Z"
        assert shown_top["edited_at"] is None
        assert shown_reply["created_at"] == "2026-03-04T05:06:08Z"
        assert shown_reply["edited_at"] == "2026-03-04T05:07:00.000001Z"
        for shown in (shown_top, shown_reply):
            typed = (await client.get(f"/api/v1/comments/{shown['id']}")).json()
            for field in ("created_at", "edited_at", "status", "nsfw", "pinned", "quote"):
                assert shown[field] == typed[field], field


async def test_deleted_comment_keeps_its_date_as_a_placeholder(client, monkeypatch):
    alice = await make_user(client)
    at(monkeypatch, WITH_FRACTION)
    top = await make_comment(client, alice, "top")
    await make_comment(client, alice, "reply", url=None, parent_id=top["id"])
    deleted = await client.delete(f"/api/v1/comments/{top['id']}", headers=alice.auth)
    assert deleted.status_code == 204
    (placeholder,) = (await read_thread(client))["comments"]
    assert placeholder["status"] == "deleted"
    assert placeholder["created_at"] == "2026-03-04T05:06:07.089123Z"
    assert placeholder["replies"][0]["status"] == "visible"


async def test_quote_and_flags_survive_the_read(client):
    alice = await make_user(client)
    quote = {
        "type": "TextQuoteSelector",
        "exact": "the passage",
        "prefix": "before ",
        "suffix": " after",
    }
    posted = await make_comment(client, alice, "quoting", nsfw=True, quote=quote)
    (shown,) = (await read_thread(client))["comments"]
    assert shown["quote"] == quote
    assert shown["nsfw"] is True
    assert shown["pinned"] is False
    assert shown["muted"] is False
    assert shown["status"] == "visible"
    assert shown["quote"] == posted["quote"]


async def test_urls_resolve_alike_long_or_short_and_rejections_are_not_remembered(client):
    alice = await make_user(client)
    # The reader remembers the normalisation of URLs up to 1,024 characters (reading.py).
    short = "https://example.com/article"
    long = "https://example.com/article?" + "&".join(f"p{n}=v" for n in range(300))
    for url in (short, long):
        await make_comment(client, alice, "here", url=url)
        for _ in range(2):
            thread = await read_thread(client, url.replace("https://", "HTTPS://"))
            assert thread["page"]["url"] == url
            assert len(thread["comments"]) == 1
    for _ in range(2):
        response = await client.get("/api/v1/threads", params={"url": "javascript:alert(1)"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
