"""Plainly valid batch counts are answered ahead of the middleware stack, as the route would."""

from __future__ import annotations

import contextlib
import json
import sqlite3

import asyncpg
import pytest
from factories import make_comment, make_user
from sqlalchemy.exc import OperationalError

from rejoinder.api.counts_front import SqliteCounts
from rejoinder.pages import queries

pytestmark = pytest.mark.anyio

BLOG = "https://blog.example"
URL = "https://front.example/article"
JSON = {"content-type": "application/json"}


@pytest.fixture
def settings_overrides():
    return {"embed_origins": f"{BLOG}, http://localhost:9000/"}


@pytest.fixture
def front_answers(app, monkeypatch):
    """Whether the front answered each request itself (True) or left it to the app (False)."""
    answers: list[bool] = []
    answer = app.counts.answer

    async def counted(scope, receive, send):
        replay = await answer(scope, receive, send)
        answers.append(replay is None)
        return replay

    monkeypatch.setattr(app.counts, "answer", counted)
    return answers


async def through_app(app, client, *args, **kwargs):
    """The same request answered by the route, with the front out of the way."""
    front, app.counts = app.counts, None
    try:
        return await client.post(*args, **kwargs)
    finally:
        app.counts = front


async def both(app, client, **kwargs):
    direct = await client.post("/api/v1/counts", **kwargs)
    routed = await through_app(app, client, "/api/v1/counts", **kwargs)
    return direct, routed


async def seed(client):
    alice = await make_user(client)
    await make_comment(client, alice, url=URL)
    await make_comment(client, alice, url=URL)
    await make_comment(client, alice, url="https://front.example/caf%C3%A9")


PLAIN_BODIES = [
    {"urls": [URL]},
    {"urls": []},
    {
        "urls": [
            URL,
            "http://www.front.example/article/?utm_source=x#top",  # the same page
            "https://front.example/nobody-commented-yet",
            "https://front.example/café",  # non-ASCII, the same page as the %C3%A9 one
            "javascript:void(0)",  # unusable: 0
            " ",
            URL,  # repeated: one key in the answer
            'https://front.example/"quoted"\\and\\slashed',
            "https://front.example/\u2028line\nbreak\t</script>",
            "https://front.example/" + "a" * 8000,  # within the schema, over max_url_length
            "😀",
        ]
    },
    {"urls": [f"https://front.example/{n}" for n in range(199)] + [URL]},
    {
        "urls": [
            # Plain keys (urlnorm.plain_key) and their neighbours that take the full parse.
            "https://www.front.example/article",
            "http://m.front.example/article",
            "https://www.m.front.example/article/",
            "https://front.example/article/amp",
            "https://front.example/article/Index.php",
            "https://front.example/Article",
            "https://front.example",
            "https://front.example/",
            "https://www.google.com/amp/s/front.example/article",
            "https://front-example.cdn.ampproject.org/c/s/front.example/article",
        ]
    },
]


@pytest.mark.parametrize("body", PLAIN_BODIES)
@pytest.mark.parametrize("origin", [None, BLOG, "http://localhost:9000", "https://evil.example"])
async def test_plain_counts_are_answered_by_the_front_as_by_the_route(
    app, client, front_answers, body, origin
):
    await seed(client)
    front_answers.clear()
    headers = {"Origin": origin} if origin else {}
    direct, routed = await both(app, client, json=body, headers=headers)
    assert front_answers == [True]
    assert direct.status_code == routed.status_code == 200
    assert direct.headers.raw == routed.headers.raw
    assert direct.content == routed.content
    assert direct.headers["vary"] == "Origin"
    allowed = origin in (BLOG, "http://localhost:9000")
    assert direct.headers.get("access-control-allow-origin") == (origin if allowed else None)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (
            b'{"urls": ["https://a.example/"], "urls": ["' + URL.encode() + b'"]}',
            "application/json",
        ),
        (b'\n {"urls" : [ "' + URL.encode() + b'" ] } \n', "application/json"),
        (b'{"urls": ["https://front.example/\\u00e9"]}', "application/json; charset=utf-8"),
        (b'{"urls": ["' + URL.encode() + b'"]}', "Application/JSON"),
        (json.dumps({"urls": [URL]}).encode("utf-16"), "application/json"),  # as json.loads
    ],
)
async def test_other_spellings_of_a_plain_body_are_answered_alike(
    app, client, front_answers, content, content_type
):
    await seed(client)
    front_answers.clear()
    headers = {"content-type": content_type}
    direct, routed = await both(app, client, content=content, headers=headers)
    assert front_answers == [True]
    assert direct.status_code == routed.status_code == 200
    assert direct.headers.raw == routed.headers.raw
    assert direct.content == routed.content


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (json.dumps({"urls": ["https://a.example/"] * 201}), JSON, 422),
        (json.dumps({"urls": [""]}), JSON, 422),
        (json.dumps({"urls": ["https://a.example/" + "a" * 8175]}), JSON, 422),  # 8,193
        (json.dumps({"urls": [URL, 5]}), JSON, 422),
        (json.dumps({"urls": [None]}), JSON, 422),
        (json.dumps({"urls": URL}), JSON, 422),
        (json.dumps({"urls": [URL], "more": 1}), JSON, 422),
        (json.dumps({}), JSON, 422),
        (json.dumps([URL]), JSON, 422),
        ('{"urls": [', JSON, 422),
        ("", JSON, 422),
        (json.dumps({"urls": [URL]}), {}, 422),  # no Content-Type
        (json.dumps({"urls": [URL]}), {"content-type": "text/plain"}, 422),
        # Valid, but not in the form the front reads: the app answers.
        (json.dumps({"urls": [URL]}), {"content-type": "application/merge-patch+json"}, 200),
    ],
)
async def test_anything_unusual_is_left_to_the_app(
    app, client, front_answers, content, headers, status
):
    await seed(client)
    front_answers.clear()
    direct, routed = await both(app, client, content=content, headers=headers)
    assert front_answers == [False]
    assert direct.status_code == routed.status_code == status
    assert direct.headers.raw == routed.headers.raw
    assert direct.content == routed.content


async def test_a_lone_surrogate_is_left_to_the_app(app, client, front_answers):
    content = b'{"urls": ["https://a.example/\\ud800"]}'
    direct, routed = await both(app, client, content=content, headers=JSON)
    assert front_answers == [False]
    # The app's answer (an error with a request id of its own each time) is the route's.
    assert direct.status_code == routed.status_code


async def call(app, messages, headers, method="POST"):
    """A raw ASGI request whose body arrives as ``messages``: (status, headers, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/api/v1/counts",
        "raw_path": b"/api/v1/counts",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("203.0.113.10", 50000),
        "server": ("testserver", 80),
    }
    pending = list(messages)

    async def receive():
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], sent[0]["headers"], b"".join(m.get("body", b"") for m in sent[1:])


def chunks(body: bytes, size: int) -> list[dict]:
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    return [
        {"type": "http.request", "body": part, "more_body": n < len(parts) - 1}
        for n, part in enumerate(parts)
    ]


async def compare_raw(app, messages, headers, method="POST"):
    direct = await call(app, messages, headers, method)
    front, app.counts = app.counts, None
    try:
        routed = await call(app, messages, headers, method)
    finally:
        app.counts = front
    assert direct == routed
    return direct


async def test_a_body_in_many_messages_is_answered_by_the_front(app, client, front_answers):
    await seed(client)
    front_answers.clear()
    body = json.dumps({"urls": [URL, "https://front.example/other"]}).encode()
    headers = [(b"content-type", b"application/json"), (b"origin", BLOG.encode())]
    status, _, content = await compare_raw(app, chunks(body, 7), headers)
    assert front_answers == [True]
    assert status == 200
    assert json.loads(content) == {"counts": {URL: 2, "https://front.example/other": 0}}


async def test_a_body_over_the_limit_gets_the_apps_413(app, front_answers):
    body = json.dumps({"urls": ["https://a.example/" + "a" * 8000] * 130}).encode()
    assert len(body) > 1_000_000
    headers = [(b"content-type", b"application/json")]
    # Chunked: whatever the app makes of a body cut off at the limit (today FastAPI's 400).
    status, _, _ = await compare_raw(app, chunks(body, 65536), headers)
    assert status >= 400
    declared = [*headers, (b"content-length", str(len(body)).encode())]
    status, _, _ = await compare_raw(app, chunks(body, 65536), declared)
    assert status == 413
    assert front_answers == [False, False]


async def test_a_client_leaving_mid_body_is_left_to_the_app(app, front_answers):
    body = json.dumps({"urls": [URL]}).encode()
    messages = [{"type": "http.request", "body": body[:5], "more_body": True}]
    headers = [(b"content-type", b"application/json")]
    status, _, _ = await compare_raw(app, messages, headers)
    assert front_answers == [False]
    assert status == 400  # whatever the app makes of it


@pytest.mark.parametrize("method", ["GET", "PUT", "OPTIONS"])
async def test_other_methods_are_left_to_the_app(app, front_answers, method):
    headers = [
        (b"content-type", b"application/json"),
        (b"origin", BLOG.encode()),
        (b"access-control-request-method", b"POST"),
    ]
    status, _, _ = await compare_raw(app, chunks(b"", 1), headers, method)
    assert status in (204, 405)
    assert front_answers == [False]


async def test_a_failed_read_is_left_to_the_app(app, client, front_answers, monkeypatch):
    await seed(client)
    front_answers.clear()

    async def failing(_digests):
        raise OperationalError("SELECT", None, Exception("connection reset"))

    monkeypatch.setattr(app.counts, "_count", failing)
    direct, routed = await both(app, client, json={"urls": [URL]})
    assert front_answers == [False]
    assert direct.status_code == routed.status_code == 200
    assert direct.headers.raw == routed.headers.raw
    assert direct.content == routed.content == b'{"counts":{"%s":2}}' % URL.encode()


async def test_an_unreachable_database_is_the_apps_503(app, client, front_answers, monkeypatch):
    await seed(client)
    front_answers.clear()

    async def unreachable(_connection, _digests):
        raise OperationalError("SELECT", None, Exception("connection refused"))

    def locked(_connection, _digests):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(queries, "count_by_digests_on", unreachable)
    monkeypatch.setattr(queries, "count_by_digests_sqlite", locked)
    response = await client.post("/api/v1/counts", json={"urls": [URL]})
    assert front_answers == [False]
    assert response.status_code == 503
    assert response.json()["code"] == "database-unavailable"


async def test_sqlite_counts_run_one_statement_and_reopen_after_an_error(app, client):
    if app.counts.sqlite is None:
        pytest.skip("SQLite's synchronous reader")
    await seed(client)
    reader: SqliteCounts = app.counts.sqlite
    statements: list[str] = []
    reader.connection().set_trace_callback(statements.append)
    digests = [f"{n:064x}" for n in range(50)]
    assert reader.count(digests) == {}
    assert len(statements) == 1
    reader.close()
    assert reader._connection is None
    assert (await client.post("/api/v1/counts", json={"urls": [URL]})).json() == {
        "counts": {URL: 2}
    }


async def test_sqlite_counts_read_each_digest_from_the_covering_index(app):
    if app.counts.sqlite is None:
        pytest.skip("SQLite's synchronous reader")
    connection = app.counts.sqlite.connection()
    sql = "EXPLAIN QUERY PLAN " + queries._sqlite_count_sql(3)
    plan = [row[3] for row in connection.execute(sql, ["a", "b", "c"]).fetchall()]
    # Neither the alias rows nor the pages: one index descent per URL (migration 0010).
    index = "ix_page_aliases_digest_page_id_count"
    assert plan == [f"SEARCH page_aliases USING COVERING INDEX {index} (digest=?)"], plan


async def pooled_backends(engine) -> list[int]:
    """The PostgreSQL backend of every connection the pool holds, each checked out at once."""
    async with contextlib.AsyncExitStack() as stack:
        connections = [
            await stack.enter_async_context(engine.connect())
            for _ in range(engine.sync_engine.pool.checkedin())
        ]
        return [
            (await connection.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
            for connection in connections
        ]


async def test_postgresql_counts_skip_the_ping_and_a_dead_connection_is_the_apps(
    app, client, front_answers
):
    if app.counts.sqlite is not None:
        pytest.skip("PostgreSQL's pool")
    await seed(client)
    body = {"urls": [URL]}
    assert (await client.post("/api/v1/counts", json=body)).json() == {"counts": {URL: 2}}
    engine = app.state.db.engine
    backends = await pooled_backends(engine)
    assert backends
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        for pid in backends:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    front_answers.clear()
    # Unpinged, the front's checkout gets a dead connection: its statement fails and the
    # app (whose checkout pings and reconnects) answers as always.
    response = await client.post("/api/v1/counts", json=body)
    assert response.status_code == 200
    assert response.json() == {"counts": {URL: 2}}
    assert front_answers == [False]
    for _ in backends:  # every dead connection is found out and replaced
        await client.post("/api/v1/counts", json=body)
    front_answers.clear()
    assert (await client.post("/api/v1/counts", json=body)).json() == {"counts": {URL: 2}}
    assert front_answers == [True]
