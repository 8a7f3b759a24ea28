"""Plain comment posts are answered ahead of the middleware stack, exactly as the route would.

Every test sends the same request twice: once as it comes (the front answers it, or hands it
to the app) and once with the front out of the way (the route answers). Errors must be the
same bytes with the same headers; a 201 the same document but for the new comment's id and
time. What the front must not answer (a body the app rejects, over the limit, not JSON)
it hands on before anything is written.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from factories import (
    make_comment,
    make_user,
    promote,
    read_thread,
    record_hops,
    session_cookie,
    settle,
)
from sqlalchemy.exc import OperationalError

from rejoinder.comments import queries as comment_queries

pytestmark = pytest.mark.anyio

URL = "https://example.com/post-front"
PATH = "/api/v1/comments"
# The fields of a 201 that differ between two comments posted alike.
OWN_FIELDS = ("id", "created_at")


@pytest.fixture
def front_answers(app, monkeypatch):
    """For each request: whether the front answered it (True) or the app did (False)."""
    answers: list[bool] = []
    answer = app.posts.answer

    async def counted(scope, receive, send):
        replay = await answer(scope, receive, send)
        if scope["type"] == "http" and scope["path"] == PATH:
            answers.append(replay is None)
        return replay

    monkeypatch.setattr(app.posts, "answer", counted)
    return answers


async def through_route(app, client: httpx.AsyncClient, **request: Any) -> httpx.Response:
    """The same request answered by the route, with the front out of the way."""
    front, app.posts = app.posts, None
    try:
        return await client.post(PATH, **request)
    finally:
        app.posts = front


async def both(app, client, front_answers, **request: Any) -> tuple[httpx.Response, httpx.Response]:
    """(the answer with the front, the route's answer) to the same request."""
    front_answers.clear()
    direct = await client.post(PATH, **request)
    routed = await through_route(app, client, **request)
    return direct, routed


def assert_same_error(direct: httpx.Response, routed: httpx.Response, status: int) -> None:
    assert direct.status_code == routed.status_code == status, (direct.text, routed.text)
    assert direct.headers.raw == routed.headers.raw
    assert direct.content == routed.content


def assert_same_created(direct: httpx.Response, routed: httpx.Response) -> None:
    assert direct.status_code == routed.status_code == 201, (direct.text, routed.text)
    assert direct.json()["id"] != routed.json()["id"]
    mine, theirs = direct.json(), routed.json()
    for field in OWN_FIELDS:
        del mine[field], theirs[field]
    assert mine == theirs
    # Content-Length follows the id's digits and the time's.
    without_length = [(k, v) for k, v in direct.headers.raw if k.lower() != b"content-length"]
    assert without_length == [
        (k, v) for k, v in routed.headers.raw if k.lower() != b"content-length"
    ]


async def thread_ids(client, url: str = URL, user=None) -> list[int]:
    thread = await read_thread(client, url, user=user)
    ids = []
    for comment in thread["comments"]:
        ids.append(comment["id"])
        ids.extend(reply["id"] for reply in comment["replies"])
    return sorted(ids)


class TestSignedIn:
    async def test_post_is_the_routes_and_both_are_stored(self, app, client, front_answers):
        alice = await make_user(client, "frontal")
        body = {"url": URL, "body": "Hello *front* <script>x</script>", "nsfw": True}
        direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
        assert front_answers == [True]
        assert_same_created(direct, routed)
        assert direct.json()["author"] == {"name": "frontal"}
        assert await thread_ids(client) == sorted([direct.json()["id"], routed.json()["id"]])

    async def test_first_post_creates_the_page(self, app, client, front_answers):
        alice = await make_user(client)
        new_page = {"url": URL + "/new", "body": "first"}
        direct = await client.post(PATH, json=new_page, headers=alice.auth)
        routed = await through_route(
            app, client, json={**new_page, "url": URL + "/other"}, headers=alice.auth
        )
        assert front_answers == [True]
        assert_same_created(direct, routed)
        assert await thread_ids(client, URL + "/new") == [direct.json()["id"]]

    async def test_quote_and_charset(self, app, client, front_answers):
        alice = await make_user(client)
        body = {
            "url": URL,
            "body": "So true.",
            "quote": {"type": "TextQuoteSelector", "exact": "the passage", "prefix": "before "},
        }
        headers = {**alice.auth, "Content-Type": "application/json; charset=utf-8"}
        direct, routed = await both(
            app, client, front_answers, content=httpx.Request("POST", "/", json=body).content,
            headers=headers,
        )  # fmt: skip
        assert front_answers == [True]
        assert_same_created(direct, routed)
        assert direct.json()["quote"]["exact"] == "the passage"

    async def test_reply_with_and_without_url(self, app, client, front_answers):
        alice, bob = await make_user(client), await make_user(client)
        parent = await make_comment(client, alice, "parent", url=URL)
        for body in (
            {"body": "reply", "parent_id": parent["id"]},
            {"body": "reply", "parent_id": parent["id"], "url": URL},
        ):
            direct, routed = await both(app, client, front_answers, json=body, headers=bob.auth)
            assert front_answers == [True]
            assert_same_created(direct, routed)
            assert direct.json()["parent_id"] == parent["id"]

    async def test_reply_errors(self, app, client, front_answers):
        alice = await make_user(client)
        parent = await make_comment(client, alice, "parent", url=URL)
        await make_comment(client, alice, "elsewhere", url=URL + "/b")
        cases = [
            ({"body": "r", "parent_id": 999_999}, 404),
            ({"body": "r", "parent_id": parent["id"], "url": URL + "/b"}, 422),
        ]
        for body, status in cases:
            direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
            assert front_answers == [True]
            assert_same_error(direct, routed, status)
        deleted = await client.delete(f"{PATH}/{parent['id']}", headers=alice.auth)
        assert deleted.status_code == 204
        body = {"body": "r", "parent_id": parent["id"]}
        direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
        assert_same_error(direct, routed, 409)
        assert await thread_ids(client, URL) == []  # the deleted parent left no placeholder

    async def test_service_errors(self, app, client, front_answers):
        alice = await make_user(client)
        cases = [
            ({"body": "no page"}, 422),  # missing url
            ({"url": URL, "body": "   "}, 422),  # empty once stripped
            ({"url": URL, "body": "x" * 10_001}, 422),  # over the configured limit
            ({"url": "javascript:alert(1)", "body": "x"}, 422),  # not a discussable URL
        ]
        for body, status in cases:
            direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
            assert front_answers == [True]
            assert_same_error(direct, routed, status)
        assert await thread_ids(client) == []


class TestWriter:
    async def test_bad_revoked_and_malformed_tokens(self, app, client, front_answers):
        alice = await make_user(client)
        signed_out = await client.delete("/api/v1/sessions/current", headers=alice.auth)
        assert signed_out.status_code == 204
        body = {"url": URL, "body": "who?"}
        for authorization in (
            alice.auth["Authorization"],
            "Bearer rj_nope",
            "Basic abc",
            "Bearer ",
        ):
            direct, routed = await both(
                app, client, front_answers, json=body, headers={"Authorization": authorization}
            )
            assert front_answers == [True]
            assert_same_error(direct, routed, 401)
        assert await thread_ids(client) == []

    async def test_anonymous_without_guests_is_401(self, app, client, front_answers):
        body = {"url": URL, "body": "anonymous"}
        direct, routed = await both(app, client, front_answers, json=body)
        assert front_answers == [True]
        assert_same_error(direct, routed, 401)

    async def test_bad_token_and_bad_body_is_the_apps_401(self, app, client, front_answers):
        body = {"url": URL, "body": 7, "unknown": True}
        headers = {"Authorization": "Bearer rj_nope"}
        direct, routed = await both(app, client, front_answers, json=body, headers=headers)
        assert front_answers == [False]
        assert_same_error(direct, routed, 401)

    async def test_banned_author_is_403(self, app, client, front_answers):
        moderator, bob = await make_user(client), await make_user(client, "banned")
        await promote(app, moderator, "moderator")
        ban = {"username": "banned", "reason": "spamming"}
        assert (await client.post("/api/v1/bans", json=ban, headers=moderator.auth)).is_success
        body = {"url": URL, "body": "still here"}
        direct, routed = await both(app, client, front_answers, json=body, headers=bob.auth)
        assert front_answers == [True]
        assert_same_error(direct, routed, 403)
        assert direct.json()["code"] == "banned"
        assert await thread_ids(client) == []

    async def test_locked_page_is_403(self, app, client, front_answers):
        moderator, bob = await make_user(client), await make_user(client)
        await promote(app, moderator, "moderator")
        posted = await make_comment(client, moderator, "existing", url=URL)
        page_id = (await read_thread(client, URL))["page"]["id"]
        controls = {"locked": True, "closed": False, "reason": "heated"}
        put = await client.put(
            f"/api/v1/pages/{page_id}/controls", json=controls, headers=moderator.auth
        )
        assert put.status_code == 200
        body = {"url": URL, "body": "let me in"}
        direct, routed = await both(app, client, front_answers, json=body, headers=bob.auth)
        assert_same_error(direct, routed, 403)
        assert direct.json()["code"] == "discussion-locked"
        assert await thread_ids(client) == [posted["id"]]


class TestSessionCookie:
    async def _cookie(self, client) -> str:
        return await session_cookie(client)

    async def test_cookie_from_own_page_posts(self, app, client, front_answers, settings):
        secret = await self._cookie(client)
        headers = {"Cookie": f"rejoinder_session={secret}", "Origin": settings.public_url}
        body = {"url": URL, "body": "by cookie"}
        direct, routed = await both(app, client, front_answers, json=body, headers=headers)
        assert front_answers == [True]
        assert_same_created(direct, routed)
        assert direct.json()["author"] == {"name": "cookie"}

    async def test_cross_site_cookie_is_403_and_stores_nothing(self, app, client, front_answers):
        secret = await self._cookie(client)
        headers = {"Cookie": f"rejoinder_session={secret}", "Origin": "https://evil.example"}
        body = {"url": URL, "body": "forged"}
        direct, routed = await both(app, client, front_answers, json=body, headers=headers)
        assert front_answers == [True]
        assert_same_error(direct, routed, 403)
        assert await thread_ids(client) == []

    async def test_stale_cookie_is_anonymous(self, app, client, front_answers):
        headers = {"Cookie": "rejoinder_session=rj_stale"}
        body = {"url": URL, "body": "who am I"}
        direct, routed = await both(app, client, front_answers, json=body, headers=headers)
        assert_same_error(direct, routed, 401)


class TestGuests:
    @pytest.fixture
    def settings_overrides(self):
        return {"allow_guests": True}

    async def test_guest_post_and_missing_name(self, app, client, front_answers):
        body = {"url": URL, "body": "as a guest", "author_name": "  Guest  "}
        direct, routed = await both(app, client, front_answers, json=body)
        assert front_answers == [True]
        assert_same_created(direct, routed)
        assert direct.json()["author"] == {"name": "Guest"}
        direct, routed = await both(app, client, front_answers, json={"url": URL, "body": "x"})
        assert front_answers == [True]
        assert_same_error(direct, routed, 422)
        assert len(await thread_ids(client)) == 2


class TestRateLimit:
    @pytest.fixture
    def settings_overrides(self):
        return {"comment_rate": "1/3600"}

    async def test_over_the_rate_is_the_same_429_and_stores_nothing(
        self, app, client, front_answers
    ):
        alice = await make_user(client)
        first = await make_comment(client, alice, "the one", url=URL)
        body = {"url": URL, "body": "one too many"}
        direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
        assert front_answers == [True]
        assert_same_error(direct, routed, 429)
        assert direct.headers["retry-after"] == "3600"
        assert await thread_ids(client) == [first["id"]]


class TestHolds:
    @pytest.fixture
    def settings_overrides(self):
        return {"hold_account_age_hours": 24}

    async def test_held_post_is_the_same_pending_201(self, app, client, front_answers):
        alice = await make_user(client)
        body = {"url": URL, "body": "new here"}
        direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
        assert front_answers == [True]
        assert_same_created(direct, routed)
        assert direct.json()["status"] == "pending"
        assert await thread_ids(client) == []  # held: not shown to others
        assert await thread_ids(client, user=alice) == sorted(
            [direct.json()["id"], routed.json()["id"]]
        )


class TestLeftToTheApp:
    """Requests the front hands on, read messages replayed, before anything is written."""

    @pytest.mark.parametrize(
        ("request_args", "status"),
        [
            ({"content": b'{"url": "x", "body": '}, 422),  # not JSON
            ({"content": b'{"url": "\xff"}'}, 400),  # not UTF-8: the app cannot parse it
            ({"content": b"[1, 2]"}, 422),
            ({"content": b"[" * 100_000 + b"]" * 100_000}, 400),  # too deep to parse
            ({"content": b""}, 422),
            ({"json": {"url": URL, "body": "x", "unknown": 1}}, 422),
            ({"json": {"url": URL, "body": "x" * 100_001}}, 422),  # over the schema's bound
            ({"json": {"url": URL, "body": "x", "parent_id": 0}}, 422),
            ({"json": {"url": URL, "body": "x", "quote": {"type": "TextQuoteSelector"}}}, 422),
            ({"json": {"url": URL, "body": "x" * 1_000_001}}, 413),  # over the body limit
        ],
    )
    async def test_bodies_the_app_judges(self, app, client, front_answers, request_args, status):
        alice = await make_user(client)
        headers = {**alice.auth, "Content-Type": "application/json"}
        direct, routed = await both(app, client, front_answers, headers=headers, **request_args)
        assert front_answers == [False]
        assert_same_error(direct, routed, status)
        assert await thread_ids(client) == []

    async def test_chunked_body_over_the_limit_is_the_apps_answer(self, app, client, front_answers):
        alice = await make_user(client)

        async def chunks():
            yield b'{"url": "' + URL.encode() + b'", "body": "'
            for _ in range(11):
                yield b"x" * 100_000
            yield b'"}'

        headers = {**alice.auth, "Content-Type": "application/json"}
        direct = await client.post(PATH, content=chunks(), headers=headers)
        routed = await through_route(app, client, content=chunks(), headers=headers)
        assert front_answers == [False]
        # 400, not 413: FastAPI turns BodyLimit's cut-off while it reads the body into its
        # own "error parsing the body". Whatever the app says, the front must say the same.
        assert_same_error(direct, routed, 400)
        assert await thread_ids(client) == []

    async def test_chunked_plain_body_is_answered(self, app, client, front_answers):
        alice = await make_user(client)

        async def chunks():
            yield b'{"url": "' + URL.encode() + b'", '
            yield b'"body": "in pieces"}'

        headers = {**alice.auth, "Content-Type": "application/json"}
        direct = await client.post(PATH, content=chunks(), headers=headers)
        routed = await through_route(app, client, content=chunks(), headers=headers)
        assert front_answers == [True]
        assert_same_created(direct, routed)

    @pytest.mark.parametrize("content_type", ["text/plain", "application/merge-patch+json", None])
    async def test_other_content_types(self, app, client, front_answers, content_type):
        alice = await make_user(client)
        headers = {**alice.auth}
        if content_type:
            headers["Content-Type"] = content_type
        content = httpx.Request("POST", "/", json={"url": URL, "body": "typed"}).content
        direct, routed = await both(app, client, front_answers, content=content, headers=headers)
        assert front_answers == [False]  # handed on without reading the body
        assert direct.status_code == routed.status_code
        assert direct.headers.get("content-type") == routed.headers.get("content-type")


class TestFailures:
    async def test_database_failure_is_the_same_503(self, app, client, front_answers, monkeypatch):
        alice = await make_user(client)

        async def locked(*_args: Any, **_kwargs: Any) -> None:
            raise OperationalError("INSERT", None, Exception("database is locked"))

        monkeypatch.setattr(comment_queries, "insert_comment", locked)
        body = {"url": URL, "body": "lost"}
        direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
        assert front_answers == [True]
        assert_same_error(direct, routed, 503)
        assert await thread_ids(client) == []

    async def test_bug_is_the_same_500_and_reaches_the_server(
        self, app, front_answers, monkeypatch
    ):
        async def broken(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(comment_queries, "insert_comment", broken)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            alice = await make_user(client)
            body = {"url": URL, "body": "boom"}
            direct, routed = await both(app, client, front_answers, json=body, headers=alice.auth)
        assert front_answers == []  # the front answered, then raised: nothing returned
        assert direct.status_code == routed.status_code == 500
        mine, theirs = direct.json(), routed.json()
        assert mine.pop("request_id") != theirs.pop("request_id")
        assert mine.keys() == theirs.keys()
        assert mine["code"] == "internal-error"
        # As Starlette's ServerErrorMiddleware: the exception goes on to the server too.
        with pytest.raises(RuntimeError, match="a bug"):
            await app.posts.answer(*_post_scope(alice.auth["Authorization"], body))


def _post_scope(authorization: str, body: dict[str, Any]) -> tuple[Any, Any, Any]:
    content = httpx.Request("POST", "/", json=body).content
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"authorization", authorization.encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
    }
    messages = [{"type": "http.request", "body": content, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(_message: Any) -> None:
        pass

    return scope, receive, send


async def test_a_post_on_sqlite_makes_no_thread_hops(app, client, settings, monkeypatch):
    """The post's transaction runs on the event loop (db/sqlite_driver.py, inline writes)."""
    if not settings.is_sqlite:
        pytest.skip("aiosqlite's thread is SQLite's")
    alice = await make_user(client)
    await make_comment(client, alice, "warm-up", url=URL)  # the page exists, as usual
    # The warm-up's background listeners (webhooks) hop on connections of their own.
    await settle(app)
    queued = record_hops(monkeypatch)
    # No listeners: live updates read the new comment afterwards, in hops of their own.
    monkeypatch.setattr(app.state, "event_listeners", [])
    response = await client.post(PATH, json={"url": URL, "body": "hop-free"}, headers=alice.auth)
    assert response.status_code == 201
    # Statements, commits and rollbacks; opening a pooled connection still hops (once).
    assert [name for name in queued if name in ("_run", "commit", "rollback")] == []
