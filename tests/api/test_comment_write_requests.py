"""What a comment write takes from its request (api/deps ``CommentWrite``/``SignedInWrite``).

The POST, PATCH and DELETE comment routes get session, writer, settings and moderation gate
from one dependency instead of six. These pin down what the six did, in their order: the
writer's errors come before the body's, a cookie needs a page of this instance, rate limits
key on the client address as the trusted proxies report it, and a refused write leaves
nothing behind.
"""

from __future__ import annotations

import pytest
from factories import make_comment, make_user, read_thread, session_cookie

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/write-requests"


class TestWriterBeforeBody:
    async def test_bad_token_with_bad_body_is_401_not_422(self, client):
        response = await client.post(
            "/api/v1/comments",
            json={"url": ARTICLE, "body": 7, "unknown": True},
            headers={"Authorization": "Bearer rj_not-a-token"},
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "This token is invalid or has expired; sign in again."

    async def test_anonymous_edit_with_bad_body_and_id_is_401(self, client):
        response = await client.patch("/api/v1/comments/0", json={"nope": 1})
        assert response.status_code == 401
        assert response.json()["detail"] == "Sign in first."

    async def test_anonymous_delete_is_401_and_deletes_nothing(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "stays", url=ARTICLE)
        response = await client.delete(f"/api/v1/comments/{posted['id']}")
        assert response.status_code == 401
        assert response.json()["detail"] == "Sign in first."
        thread = await read_thread(client, ARTICLE)
        assert [c["id"] for c in thread["comments"]] == [posted["id"]]

    async def test_anonymous_post_without_guests_is_401(self, client):
        response = await client.post("/api/v1/comments", json={"url": ARTICLE, "body": "hi"})
        assert response.status_code == 401
        assert response.json()["detail"] == "Sign in to comment."


class TestSignedInWrites:
    async def test_post_edit_delete_by_token(self, client):
        alice = await make_user(client, "writer")
        posted = await make_comment(client, alice, "first", url=ARTICLE)
        assert posted["author"] == {"name": "writer"}
        edited = await client.patch(
            f"/api/v1/comments/{posted['id']}", json={"body": "second"}, headers=alice.auth
        )
        assert edited.status_code == 200
        assert edited.json()["body_html"].strip() == "<p>second</p>"
        assert edited.json()["author"] == {"name": "writer"}
        deleted = await client.delete(f"/api/v1/comments/{posted['id']}", headers=alice.auth)
        assert deleted.status_code == 204
        assert deleted.content == b""
        # Without replies, a deleted comment leaves no placeholder.
        assert (await read_thread(client, ARTICLE))["comments"] == []

    async def test_someone_elses_comment_cannot_be_deleted(self, client):
        alice, bob = await make_user(client), await make_user(client)
        posted = await make_comment(client, alice, "mine", url=ARTICLE)
        response = await client.delete(f"/api/v1/comments/{posted['id']}", headers=bob.auth)
        assert response.status_code == 403
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["status"] == "visible"


class TestSessionCookie:
    async def _cookie(self, client) -> str:
        return await session_cookie(client)

    async def test_cookie_post_from_own_page_is_stored(self, client, settings):
        secret = await self._cookie(client)
        response = await client.post(
            "/api/v1/comments",
            json={"url": ARTICLE, "body": "by cookie"},
            headers={"Cookie": f"rejoinder_session={secret}", "Origin": settings.public_url},
        )
        assert response.status_code == 201, response.text
        assert response.json()["author"] == {"name": "cookie"}

    async def test_cookie_post_from_another_site_is_403_and_not_stored(self, client):
        secret = await self._cookie(client)
        response = await client.post(
            "/api/v1/comments",
            json={"url": ARTICLE, "body": "forged"},
            headers={"Cookie": f"rejoinder_session={secret}", "Origin": "https://evil.example"},
        )
        assert response.status_code == 403
        assert response.json()["detail"] == "Cross-site requests cannot use your session."
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"] == []

    async def test_stale_cookie_posts_as_a_guest(self, client):
        response = await client.post(
            "/api/v1/comments",
            json={"url": ARTICLE, "body": "who am I"},
            headers={"Cookie": "rejoinder_session=rj_stale"},
        )
        # Not "invalid token": a stale cookie is no error, the reader is simply anonymous.
        assert response.status_code == 401
        assert response.json()["detail"] == "Sign in to comment."


class TestClientAddress:
    @pytest.fixture
    def settings_overrides(self):
        return {
            "allow_guests": True,
            "comment_rate": "1/3600",
            # The test transport's peer (203.0.113.10) is a trusted proxy.
            "trusted_proxies": ["203.0.113.0/24"],
        }

    async def _guest_post(self, client, forwarded_for: str, body: str):
        return await client.post(
            "/api/v1/comments",
            json={"url": ARTICLE, "body": body, "author_name": "guest"},
            headers={"X-Forwarded-For": forwarded_for},
        )

    async def test_limits_key_on_the_forwarded_client_address(self, client):
        assert (await self._guest_post(client, "198.51.100.1", "one")).status_code == 201
        refused = await self._guest_post(client, "198.51.100.1", "two")
        assert refused.status_code == 429
        assert (await self._guest_post(client, "198.51.100.2", "three")).status_code == 201
        thread = await read_thread(client, ARTICLE)
        assert sorted(c["body_html"].strip() for c in thread["comments"]) == [
            "<p>one</p>",
            "<p>three</p>",
        ]
