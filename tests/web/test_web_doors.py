"""The web pages as a front door like the API: the same rate limits, readable 429s, guests,
error pages that know the reader, ``?next=`` on registration, and an API reference page
that needs no other site."""

from __future__ import annotations

import re

import pytest
from factories import make_comment, make_user, read_thread
from web_browser import ARTICLE, count_comments, csrf, open_discussion, post_form, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def alice(client):
    user = await make_user(client, "alice")
    await sign_in(client, user)
    return user


class TestCommentRateLimit:
    @pytest.fixture
    def settings_overrides(self):
        return {"comment_rate": "2/3600"}

    async def test_form_posts_beyond_the_limit_get_a_429_page_and_write_nothing(
        self, app, client, alice
    ):
        path = await open_discussion(client)
        for n in range(2):
            response = await post_form(client, f"{path}/comments", {"body": f"comment {n}"})
            assert response.status_code == 303
        response = await post_form(client, f"{path}/comments", {"body": "one too many"})
        assert response.status_code == 429
        assert response.headers["content-type"].startswith("text/html")
        assert "You are commenting too fast." in response.text
        assert re.search(r"try again in [\d,]+ seconds?", response.text)
        assert int(response.headers["retry-after"]) >= 1
        assert await count_comments(app) == 2

    async def test_replies_share_the_limit(self, app, client, alice):
        top = await make_comment(client, alice, "first", url=ARTICLE)  # the API takes one
        response = await post_form(client, f"/c/{top['id']}/reply", {"body": "second"})
        assert response.status_code == 303
        response = await post_form(client, f"/c/{top['id']}/reply", {"body": "third"})
        assert response.status_code == 429
        assert await count_comments(app) == 2


class TestVoteRateLimit:
    @pytest.fixture
    def settings_overrides(self):
        return {"vote_rate": "1/3600"}

    async def test_comment_votes_beyond_the_limit_get_a_429_page(self, client, alice):
        bob = await make_user(client, "bob")
        await sign_in(client, alice)
        one = await make_comment(client, bob, "one", url=ARTICLE)
        two = await make_comment(client, bob, "two", url=ARTICLE)
        assert (await post_form(client, f"/c/{one['id']}/vote", {"value": "1"})).status_code == 303
        response = await post_form(client, f"/c/{two['id']}/vote", {"value": "1"})
        assert response.status_code == 429
        assert "You are voting too fast." in response.text
        thread = await read_thread(client, ARTICLE)
        assert sorted(c["score"] for c in thread["comments"]) == [0, 1]

    async def test_link_votes_share_the_limit(self, client, alice):
        bob = await make_user(client, "bob")
        shared = await client.post(
            "/api/v1/submissions",
            json={"url": "https://example.com/shared", "title": "Shared"},
            headers=bob.auth,
        )
        assert shared.status_code == 201, shared.text
        submission_id = shared.json()["id"]
        await sign_in(client, alice)
        other = await make_comment(client, bob, "x", url=ARTICLE)
        assert (
            await post_form(client, f"/c/{other['id']}/vote", {"value": "1"})
        ).status_code == 303
        response = await post_form(client, f"/submissions/{submission_id}/vote", {"value": "1"})
        assert response.status_code == 429
        listing = await client.get("/api/v1/submissions")
        assert listing.json()["items"][0]["points"] == 0


class TestGuests:
    @pytest.fixture
    def settings_overrides(self):
        return {"allow_guests": True}

    async def test_guest_comments_with_a_name_through_the_form(self, client):
        path = await open_discussion(client)
        html = (await client.get(path)).text
        assert 'name="author_name"' in html
        assert 'data-guests="true"' in html
        token = await csrf(client, path)
        response = await post_form(
            client,
            f"{path}/comments",
            {"body": "Hello from a guest", "author_name": "Wanda"},
            token,
        )
        assert response.status_code == 303
        thread = await read_thread(client, ARTICLE)
        assert [c["author"]["name"] for c in thread["comments"]] == ["Wanda"]

    async def test_guest_without_a_name_gets_the_form_back(self, app, client):
        path = await open_discussion(client)
        token = await csrf(client, path)
        response = await post_form(client, f"{path}/comments", {"body": "who am I"}, token)
        assert response.status_code == 422
        assert "Guests must give a name" in response.text
        assert "who am I" in response.text
        assert await count_comments(app) == 0

    async def test_guest_replies(self, client):
        alice = await make_user(client, "alice")
        top = await make_comment(client, alice, "question", url=ARTICLE)
        form = await client.get(f"/c/{top['id']}/reply")
        assert form.status_code == 200
        assert 'name="author_name"' in form.text
        token = await csrf(client, f"/c/{top['id']}/reply")
        response = await post_form(
            client, f"/c/{top['id']}/reply", {"body": "answer", "author_name": "Wanda"}, token
        )
        assert response.status_code == 303
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["replies"][0]["author"]["name"] == "Wanda"


class TestNoGuests:
    async def test_anonymous_readers_see_no_name_field_and_are_sent_to_log_in(self, app, client):
        path = await open_discussion(client)
        html = (await client.get(path)).text
        assert 'name="author_name"' not in html
        assert f'href="/register?next={path}"' in html
        token = await csrf(client, "/login")
        response = await post_form(
            client, f"{path}/comments", {"body": "x", "author_name": "Wanda"}, token
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
        assert await count_comments(app) == 0


class TestErrorPagesKnowTheReader:
    async def test_404_of_a_signed_in_reader_shows_their_name(self, client, alice):
        response = await client.get("/no/such/page")
        assert response.status_code == 404
        assert 'class="site-nav__me">alice<' in response.text
        assert ">Log in<" not in response.text

    async def test_bad_path_parameter_page_too(self, client, alice):
        response = await client.get("/c/not-a-number")
        assert response.status_code == 422
        assert 'class="site-nav__me">alice<' in response.text

    @pytest.mark.parametrize("cookie", ["stale", "x" * 5000, '"quoted\\"'])
    async def test_a_bad_session_cookie_leaves_a_404_a_404(self, client, cookie):
        client.cookies.set("rejoinder_session", cookie)
        response = await client.get("/no/such/page")
        assert response.status_code == 404
        assert ">Log in<" in response.text

    async def test_a_failing_lookup_leaves_a_404_a_404(self, app, client, alice, monkeypatch):
        def unavailable():
            raise ConnectionError("the database is down")

        monkeypatch.setattr(app.state.db, "read_session", unavailable)
        response = await client.get("/no/such/page")
        assert response.status_code == 404
        assert ">Log in<" in response.text


class TestRegisterNext:
    async def test_register_keeps_the_readers_place(self, client):
        path = await open_discussion(client)
        form = await client.get("/register", params={"next": path})
        assert f'name="next" value="{path}"' in form.text
        token = await csrf(client, "/register")
        response = await client.post(
            "/register",
            data={"csrf_token": token, "username": "newbie", "password": "long enough pw",
                  "password_again": "long enough pw", "next": path},
        )  # fmt: skip
        assert response.status_code == 303
        assert response.headers["location"] == path

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
    async def test_foreign_next_is_ignored(self, client, target):
        form = await client.get("/register", params={"next": target})
        assert 'name="next" value="/"' in form.text


class TestApiDocs:
    async def test_reference_is_served_without_third_party_scripts(self, client):
        response = await client.get("/api/docs")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        html = response.text
        assert not re.search(r"<script[^>]+src=\"(https?:)?//", html)
        assert "cdn" not in html.lower()
        assert "<code>/api/v1/comments</code>" in html
        assert 'id="schema-CommentCreate"' in html
        assert "max length 64" in html  # limits are shown (author_name)
        assert 'href="/api/openapi.json"' in html
        assert (await client.get("/api/openapi.json")).status_code == 200
