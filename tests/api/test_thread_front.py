"""Plain anonymous thread reads are answered ahead of the middleware stack, as the app would."""

from __future__ import annotations

import pytest
from factories import make_comment, make_user
from sqlalchemy import event

pytestmark = pytest.mark.anyio

URL = "https://front.example/article"


@pytest.fixture
def settings_overrides():
    return {"thread_cache_bytes": 0}  # every read is a miss, so the front answers it


@pytest.fixture
def front_answers(app, monkeypatch):
    """The number of requests the front answered itself (True) or left to the app (False)."""
    answers: list[bool] = []
    answer = app.thread_reads.answer

    async def counted(scope, receive, send):
        answered = await answer(scope, receive, send)
        answers.append(answered)
        return answered

    monkeypatch.setattr(app.thread_reads, "answer", counted)
    return answers


async def through_app(app, client, *args, **kwargs):
    """The same request answered by the route, with the front out of the way."""
    front, app.thread_reads = app.thread_reads, None
    try:
        return await client.get(*args, **kwargs)
    finally:
        app.thread_reads = front


async def seed(client):
    alice = await make_user(client)
    top = await make_comment(client, alice, "First *top* comment.", url=URL)
    await make_comment(client, alice, "A reply.", url=None, parent_id=top["id"])
    await make_comment(client, alice, "Second top comment.", url=URL)
    return alice


@pytest.mark.parametrize(
    "params",
    [
        {"url": URL},
        {"url": URL, "sort": "new", "limit": "1"},
        {"url": URL, "sort": "controversial", "limit": "1000", "cursor": ""},
        {"url": URL, "unknown": "ignored"},
        {"url": "https://front.example/nobody-commented-yet"},
    ],
)
async def test_plain_read_is_answered_by_the_front_as_by_the_route(
    app, client, front_answers, params
):
    await seed(client)
    front_answers.clear()
    direct = await client.get("/api/v1/threads", params=params)
    routed = await through_app(app, client, "/api/v1/threads", params=params)
    assert front_answers == [True]
    assert direct.status_code == routed.status_code == 200
    assert direct.headers.raw == routed.headers.raw
    assert direct.content == routed.content


async def test_if_none_match_gets_the_same_304(app, client, front_answers):
    await seed(client)
    front_answers.clear()
    etag = (await client.get("/api/v1/threads", params={"url": URL})).headers["etag"]
    direct = await client.get(
        "/api/v1/threads", params={"url": URL}, headers={"If-None-Match": etag}
    )
    routed = await through_app(
        app, client, "/api/v1/threads", params={"url": URL}, headers={"If-None-Match": etag}
    )
    assert front_answers == [True, True]
    assert direct.status_code == routed.status_code == 304
    assert direct.headers.raw == routed.headers.raw


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 422),  # no url
        ("url=", 422),
        (f"url={URL}&sort=best", 422),
        (f"url={URL}&limit=0", 422),
        (f"url={URL}&limit=1001", 422),
        (f"url={URL}&limit=007", 200),  # valid, but not in the form the front reads
        (f"url={URL}&cursor=not-a-cursor", 422),  # raised while reading: the app answers
        (f"url={URL}&cursor={'a' * 201}", 422),
        ("url=javascript:alert(1)", 422),
    ],
)
async def test_anything_unusual_is_left_to_the_app(app, client, front_answers, query, status):
    await seed(client)
    front_answers.clear()
    direct = await client.get(f"/api/v1/threads?{query}")
    routed = await through_app(app, client, f"/api/v1/threads?{query}")
    assert front_answers == [False]
    assert direct.status_code == routed.status_code == status
    assert direct.content == routed.content


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-token"},
        {"Cookie": "rejoinder_session=stale"},
        {"Content-Length": "5000000"},  # the body limit refuses it (413)
    ],
)
async def test_maybe_signed_in_or_with_a_body_is_left_to_the_app(
    app, client, front_answers, headers
):
    await seed(client)
    front_answers.clear()
    direct = await client.get("/api/v1/threads", params={"url": URL}, headers=headers)
    routed = await through_app(app, client, "/api/v1/threads", params={"url": URL}, headers=headers)
    assert front_answers == [False]
    assert direct.status_code == routed.status_code
    assert direct.content == routed.content


async def test_signed_in_reader_is_left_to_the_app(client, front_answers):
    alice = await seed(client)
    front_answers.clear()
    response = await client.get("/api/v1/threads", params={"url": URL}, headers=alice.auth)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"
    assert front_answers == [False]


async def test_anonymous_read_does_not_touch_accounts_beyond_the_thread_query(
    app, client, front_answers
):
    await seed(client)
    front_answers.clear()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = await client.get(
            "/api/v1/threads", params={"url": URL}, headers={"Cookie": "theme=dark"}
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert front_answers == [True]
    # No token or session lookup: only the page and its comments (authors joined in).
    assert not any("api_tokens" in s or "sessions" in s for s in statements)
