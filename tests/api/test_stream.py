"""The live stream, ``GET /api/v1/stream``: what readers of a page receive, and when not.

Streams are read from a real uvicorn server (tests/live.py): httpx's ASGITransport would
wait for the end of a response that never ends. Checks that need no stream (bad input, the
OpenAPI document, what the publisher refuses to send) go through the ASGI client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from conftest import REDIS_URL
from factories import make_comment, make_user, read_thread
from live import EventReader, LiveServer, serve_in_process, serve_in_thread

from rejoinder import clock, events
from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.pages.models import PageAlias
from rejoinder.pages.queries import get_page_by_digest
from rejoinder.pages.urlnorm import key_digest, url_key
from rejoinder.realtime.publisher import EventPublisher, page_topic
from rejoinder.realtime.stream import topic_for_url

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/11/live-story"
# Another form of the same address: one discussion, so one stream.
ARTICLE_ALIAS = "http://www.example.com/2026/11/live-story/?utm_source=feed#comments"
WAIT = 10.0


@pytest.fixture
def live(settings) -> Iterator[LiveServer]:
    with serve_in_thread(settings) as server:
        yield server


@pytest.fixture
async def http(live) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=WAIT) as client:
        yield client


async def wait_until(predicate, what: str) -> None:
    """Poll a condition of the server thread's state (no event to wait on across threads)."""
    async with asyncio.timeout(WAIT):
        while not predicate():  # noqa: ASYNC110 - the state lives in another thread's loop
            await asyncio.sleep(0.01)
    assert predicate(), what


def data(event) -> Any:
    return orjson.loads(event.data)


class TestLiveUpdates:
    async def test_reader_sees_posts_votes_edits_and_removals_as_they_happen(self, live, http):
        alice, bob = await make_user(http, "alice"), await make_user(http, "bob")
        # The discussion is empty (no page yet) when the reader starts watching.
        async with http.stream("GET", "/api/v1/stream", params={"url": ARTICLE_ALIAS}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["cache-control"] == "no-cache"
            assert stream.headers["x-accel-buffering"] == "no"
            reader = EventReader(stream)
            first = await reader.next()
            assert first is not None
            assert first.retry == 3000

            posted = await make_comment(http, alice, "Hello *live*", url=ARTICLE)
            created = await reader.next_event()
            assert created.event == "comment.created"
            thread = await read_thread(http, ARTICLE)
            # Exactly what an anonymous reader of the thread sees.
            assert data(created) == {"comment": thread["comments"][0]}
            assert data(created)["comment"]["id"] == posted["id"]

            reply = await make_comment(http, bob, "A reply", url=None, parent_id=posted["id"])
            replied = await reader.next_event()
            assert replied.event == "comment.created"
            assert data(replied)["comment"]["parent_id"] == posted["id"]
            assert data(replied)["comment"]["id"] == reply["id"]

            response = await http.put(
                f"/api/v1/comments/{posted['id']}/vote", json={"value": 1}, headers=bob.auth
            )
            assert response.status_code == 200, response.text
            voted = await reader.next_event()
            assert voted.event == "vote.changed"
            assert data(voted) == {
                "comment_id": posted["id"],
                "score": 1,
                "upvotes": 1,
                "downvotes": 0,
            }

            response = await http.patch(
                f"/api/v1/comments/{posted['id']}", json={"body": "Edited"}, headers=alice.auth
            )
            assert response.status_code == 200, response.text
            edited = await reader.next_event()
            assert edited.event == "comment.edited"
            thread = await read_thread(http, ARTICLE)
            assert data(edited) == {"comment": {**thread["comments"][0], "replies": []}}
            assert data(edited)["comment"]["edited_at"] is not None
            assert data(edited)["comment"]["score"] == 1

            response = await http.delete(f"/api/v1/comments/{reply['id']}", headers=bob.auth)
            assert response.status_code == 204, response.text
            removed = await reader.next_event()
            assert removed.event == "comment.removed"
            assert data(removed) == {"id": reply["id"]}

        ids = [int(event.id) for event in (created, replied, voted, edited, removed)]
        assert ids == sorted(ids)
        assert len(set(ids)) == len(ids)

    async def test_stream_holds_no_database_connection(self, live, http):
        async with http.stream("GET", "/api/v1/stream", params={"url": ARTICLE}) as stream:
            assert (await EventReader(stream).next()).retry == 3000
            assert live.app.state.db.engine.pool.checkedout() == 0

    async def test_client_disconnect_frees_the_subscription(self, live, http):
        broker = live.app.state.broker
        async with http.stream("GET", "/api/v1/stream", params={"url": ARTICLE}) as stream:
            assert (await EventReader(stream).next()).retry == 3000
            assert broker.count(page_topic(url_key(ARTICLE))) == 1
        await wait_until(lambda: broker.count() == 0, "the subscription outlived its client")


class TestLifetime:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"stream_keepalive_seconds": 0.05, "stream_lifetime_seconds": 0.5}

    async def test_idle_stream_keeps_alive_then_asks_to_reconnect(self, live, http):
        async with http.stream("GET", "/api/v1/stream", params={"url": ARTICLE}) as stream:
            reader = EventReader(stream)
            blocks = []
            while (block := await reader.next()) is not None:
                blocks.append(block)
        assert blocks[0].retry == 3000
        assert any(block.comments == ["keep-alive"] for block in blocks[1:-1])
        assert blocks[-1].event == "reconnect"
        assert live.app.state.broker.count() == 0


class TestWithoutStreaming:
    @pytest.mark.parametrize(
        "url", ["javascript:alert(1)", "https://user:pw@example.com/", "not a url", "x" * 3000]
    )
    async def test_bad_url_is_422_problem(self, client, url):
        response = await client.get("/api/v1/stream", params={"url": url})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "url"

    async def test_missing_url_is_422_problem(self, client):
        response = await client.get("/api/v1/stream")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_openapi_documents_the_event_stream(self, client):
        schema = (await client.get("/api/openapi.json")).json()
        responses = schema["paths"]["/api/v1/stream"]["get"]["responses"]
        assert "text/event-stream" in responses["200"]["content"]
        assert "comment.created" in responses["200"]["description"]
        assert "application/problem+json" in responses["422"]["content"]

    async def test_topic_follows_an_alias_to_its_page(self, app, client):
        alice = await make_user(client)
        await make_comment(client, alice, "first", url=ARTICLE)
        mirror = "https://mirror.example.org/live-story"
        async with app.state.db.write_session() as session:
            page = await get_page_by_digest(session, key_digest(url_key(ARTICLE)))
            session.add(
                PageAlias(
                    page_id=page.id,
                    key=url_key(mirror),
                    digest=key_digest(url_key(mirror)),
                    created_at=clock.now(),
                )
            )
            await session.commit()
        topic = await topic_for_url(app.state.db, mirror, 2048)
        assert topic == page_topic(url_key(ARTICLE))
        # A page nobody commented on yet: the URL's own key, as its first comment will use.
        fresh = "https://example.com/no-comments-yet"
        assert await topic_for_url(app.state.db, fresh, 2048) == page_topic(url_key(fresh))


class TestWhatIsNotBroadcast:
    async def _hidden_comment(self, app, page, author_id: int, **values: Any) -> int:
        async with app.state.db.write_session() as session:
            comment = Comment(
                page_id=page.id,
                author_id=author_id,
                body_src="secret",
                body_html="<p>secret</p>",
                body_text="secret",
                created_at=clock.now(),
                **values,
            )
            session.add(comment)
            await session.commit()
            return comment.id

    async def test_pending_or_deleted_comment_is_never_broadcast(self, app, client):
        alice = await make_user(client)
        await make_comment(client, alice, "first", url=ARTICLE)
        async with app.state.db.read_session() as session:
            page = await get_page_by_digest(session, key_digest(url_key(ARTICLE)))
        # Held comments are inserted directly: this test must not depend on the rules that
        # decide what is held.
        pending = await self._hidden_comment(app, page, alice.id, status=CommentStatus.PENDING)
        deleted = await self._hidden_comment(app, page, alice.id, deleted_at=clock.now())
        (publisher,) = [
            listener
            for listener in app.state.event_listeners
            if isinstance(listener, EventPublisher)
        ]
        async with app.state.broker.subscribe(page_topic(page.key)) as subscription:
            await publisher(events.CommentPosted(page.id, page.key, pending))
            await publisher(events.CommentPosted(page.id, page.key, deleted))
            await publisher(events.CommentEdited(page.id, page.key, pending))
            await make_comment(client, alice, "second", url=ARTICLE)
            messages = []
            while (message := await subscription.get(0)) is not None:
                messages.append(message.data)
        assert b"secret" not in b"".join(messages)
        # The edit of a hidden comment takes it down, in case a reader still shows it.
        assert messages[0] == b'event: comment.removed\ndata: {"id":%d}\n' % pending
        assert messages[1].startswith(b"event: comment.created\n")
        assert b"second" in messages[1]
        assert len(messages) == 2

    async def test_failed_publish_does_not_fail_the_write(self, app, client, caplog, monkeypatch):
        async def broken(topic: str, data: bytes) -> None:
            raise ConnectionError("broker is down")

        monkeypatch.setattr(app.state.broker, "publish", broken)
        caplog.set_level(logging.ERROR, logger="rejoinder.realtime")
        alice = await make_user(client)
        # A reader is listening: with nobody on the page the publisher has nothing to send.
        async with app.state.broker.subscribe(page_topic(url_key(ARTICLE))):
            posted = await make_comment(client, alice, "still stored", url=ARTICLE)
        thread = await read_thread(client, ARTICLE)
        assert [comment["id"] for comment in thread["comments"]] == [posted["id"]]
        assert "Could not publish" in caplog.text


@pytest.mark.redis
class TestAcrossProcesses:
    @pytest.fixture
    def settings_overrides(self, redis_prefix: str) -> dict[str, Any]:
        # A prefix of this test's own: runs sharing a Redis never see each other's events.
        return {"redis_url": REDIS_URL, "redis_prefix": redis_prefix}

    async def test_comment_posted_on_one_worker_reaches_a_reader_on_another(
        self, settings, tmp_path: Path
    ):
        with (
            serve_in_process(settings, tmp_path / "a.log") as worker_a,
            serve_in_process(settings, tmp_path / "b.log") as worker_b,
        ):
            async with (
                httpx.AsyncClient(base_url=worker_a.base_url, timeout=WAIT) as on_a,
                httpx.AsyncClient(base_url=worker_b.base_url, timeout=WAIT) as on_b,
                on_b.stream("GET", "/api/v1/stream", params={"url": ARTICLE}) as stream,
            ):
                reader = EventReader(stream)
                assert (await reader.next()).retry == 3000
                alice = await make_user(on_a, "alice")
                posted = await make_comment(on_a, alice, "from worker A", url=ARTICLE)
                created = await reader.next_event()
                assert created.event == "comment.created"
                assert data(created)["comment"]["id"] == posted["id"]
