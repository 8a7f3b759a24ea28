"""Malformed requests get a 4xx problem document and leave nothing behind."""

from __future__ import annotations

import pytest
from factories import make_comment, make_user, promote, read_thread

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/article"


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"].endswith(body["code"])
    return body


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "bad_scheme"),
        ("ftp://example.com/file", "bad_scheme"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://example.com/" + "a" * 2100, "too_long"),
    ],
)
async def test_bad_urls_are_422_with_reason(client, url, reason):
    alice = await make_user(client)
    response = await client.post(
        "/api/v1/comments", json={"url": url, "body": "x"}, headers=alice.auth
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["reason"] == reason
    for path in ("/api/v1/pages", "/api/v1/threads"):
        assert_problem(await client.get(path, params={"url": url}), 422)


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"content-type": "application/json"}),
        (b"[]", {"content-type": "application/json"}),
        (b'{"url": 5, "body": "x"}', {"content-type": "application/json"}),
        (
            b'{"url": "https://example.com/", "body": "x", "extra": 1}',
            {"content-type": "application/json"},
        ),
        (b'{"url": "https://example.com/", "body": ""}', {"content-type": "application/json"}),
        (
            b'{"url": "https://example.com/", "body": "x", "parent_id": -3}',
            {"content-type": "application/json"},
        ),
        (
            b'{"url": "https://example.com/", "body": "x", "nsfw": "maybe"}',
            {"content-type": "application/json"},
        ),
    ],
)
async def test_malformed_comment_bodies_are_422(client, content, headers):
    alice = await make_user(client)
    response = await client.post(
        "/api/v1/comments", content=content, headers={**headers, **alice.auth}
    )
    assert_problem(response, 422)
    thread = await read_thread(client, "https://example.com/")
    assert thread["page"]["comment_count"] == 0


async def test_too_long_comment_is_422_and_nothing_is_written(client, settings):
    alice = await make_user(client)
    body = "x" * (settings.max_comment_length + 1)
    response = await client.post(
        "/api/v1/comments", json={"url": ARTICLE, "body": body}, headers=alice.auth
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "body"
    page = await client.get("/api/v1/pages", params={"url": ARTICLE})
    assert page.json()["comment_count"] == 0


async def test_whitespace_only_comment_is_422(client):
    alice = await make_user(client)
    response = await client.post(
        "/api/v1/comments", json={"url": ARTICLE, "body": "   \n\t "}, headers=alice.auth
    )
    assert_problem(response, 422)


async def test_huge_body_is_413(client):
    alice = await make_user(client)
    response = await client.post(
        "/api/v1/comments",
        content=b'{"body": "' + b"x" * 2_000_000 + b'"}',
        headers={"content-type": "application/json", **alice.auth},
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    "path", ["/api/v1/comments/0", "/api/v1/comments/abc", "/api/v1/comments/-1"]
)
async def test_bad_comment_ids_are_422(client, path):
    assert_problem(await client.get(path), 422)


async def test_unknown_route_is_problem_404(client):
    assert_problem(await client.get("/api/v1/nothing-here"), 404)


async def test_wrong_method_is_problem_405(client):
    assert_problem(await client.put("/api/v1/threads"), 405)


async def test_counts_over_200_urls_is_422(client):
    response = await client.post("/api/v1/counts", json={"urls": ["https://a.example/"] * 201})
    assert_problem(response, 422)


async def test_counts_tolerate_bad_urls_and_key_by_url_as_sent(client):
    alice = await make_user(client)
    await make_comment(client, alice, url="https://example.com/a")
    await make_comment(client, alice, url="https://example.com/a")
    urls = ["http://www.example.com/a?utm_medium=x", "javascript:void(0)", "https://example.com/b"]
    response = await client.post("/api/v1/counts", json={"urls": urls})
    assert response.status_code == 200
    assert response.json() == {"counts": {urls[0]: 2, urls[1]: 0, urls[2]: 0}}


async def test_prefix_counts_are_cacheable_and_contain_the_key(client):
    from rejoinder.pages.urlnorm import key_digest, url_key

    alice = await make_user(client)
    await make_comment(client, alice, url="https://example.com/a")
    digest = key_digest(url_key("https://example.com/a"))
    response = await client.get(f"/api/v1/counts/by-prefix/{digest[:4]}")
    assert response.status_code == 200
    assert response.json()["counts"][digest] == 1
    assert "public" in response.headers["cache-control"]
    assert_problem(await client.get("/api/v1/counts/by-prefix/XYZ1"), 422)


async def test_moderator_may_edit_and_delete_any_comment_any_time(client, app):
    alice, mod = await make_user(client), await make_user(client)
    await promote(app, mod, "moderator")
    posted = await make_comment(client, alice, "rude words")
    response = await client.patch(
        f"/api/v1/comments/{posted['id']}",
        json={"body": "[edited by a moderator]"},
        headers=mod.auth,
    )
    assert response.status_code == 200
    response = await client.delete(f"/api/v1/comments/{posted['id']}", headers=mod.auth)
    assert response.status_code == 204
