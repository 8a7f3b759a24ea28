"""The HTML front page, submit form and search: forms with CSRF tokens, readable errors."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from factories import PASSWORD, make_comment, make_user

from rejoinder import clock

pytestmark = pytest.mark.anyio

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(client, user):
    """Sign the client's browser in (session cookie), as the login form would."""
    response = await client.post(
        "/api/v1/sessions", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 201


async def csrf_token(client, path="/submit"):
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return _CSRF.search(response.text).group(1)


async def share(client, user, url, title, **extra):
    response = await client.post(
        "/api/v1/submissions", json={"url": url, "title": title, **extra}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def front_titles(client, **params):
    response = await client.get("/", params=params)
    assert response.status_code == 200
    return [
        unescape(t)
        for t in re.findall(r'<p class="link__title">\s*<a href="[^"]+">([^<]*)</a>', response.text)
    ]


class TestFrontPage:
    async def test_rows_show_title_site_submitter_points_comments_and_age(self, client):
        alice = await make_user(client)
        item = await share(
            client, alice, "https://www.example.com/x", "<script>alert(1)</script> & more",
            body="first",
        )  # fmt: skip
        response = await client.get("/")
        assert response.status_code == 200
        html = response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
        assert "<script>alert" not in html
        assert f'href="{item["discussion_path"]}"' in html
        assert "(example.com)" in html
        assert f">{alice.username}</a>" in html
        assert "1 comment<" in html
        assert "just now" in html
        assert 'aria-label="Log in to vote"' in html
        assert "Content-Security-Policy" in response.headers
        # CSP: every script is a file.
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
        assert "style=" not in html

    async def test_sort_and_period_switch(self, client, monkeypatch):
        alice = await make_user(client)
        past = clock.now() - timedelta(days=3)
        with monkeypatch.context() as patch:
            patch.setattr(clock, "now", lambda: past)
            await share(client, alice, "https://example.com/old", "old one")
        await share(client, alice, "https://example.com/new", "new one")
        assert await front_titles(client, sort="new") == ["new one", "old one"]
        assert await front_titles(client, sort="top", period="day") == ["new one"]
        assert await front_titles(client, sort="top", period="week") == ["new one", "old one"]
        html = (await client.get("/", params={"sort": "top", "period": "day"})).text
        assert 'href="/?sort=top&amp;period=week"' in html
        assert 'href="/?sort=top&amp;period=day" aria-current="true"' in html

    @pytest.mark.parametrize("params", [{"sort": "best"}, {"period": "year"}, {"cursor": "zz"}])
    async def test_bad_parameters_get_a_readable_page(self, client, params):
        response = await client.get("/", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")

    async def test_pages_link_to_the_next(self, client):
        alice = await make_user(client)
        for index in range(31):
            await share(client, alice, f"https://example.com/{index}", f"story {index}")
        html = (await client.get("/", params={"sort": "new"})).text
        assert html.count('class="link"') == 30
        cursor = unescape(re.search(r'rel="next" href="([^"]+)"', html).group(1))
        second = (await client.get(cursor)).text
        assert second.count('class="link"') == 1
        assert "story 0<" in second
        assert 'rel="next"' not in second
        assert ">First page</a>" in second


class TestVoteAndHideForms:
    async def test_vote_form_votes_and_returns_to_the_row(self, client):
        alice, bob = await make_user(client), await make_user(client)
        item = await share(client, alice, "https://example.com/a", "a story")
        await sign_in(client, bob)
        token = await csrf_token(client, "/")
        response = await client.post(
            f"/submissions/{item['id']}/vote",
            data={"csrf_token": token, "value": "1", "back": "/?sort=new"},
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/?sort=new#s{item['id']}"
        html = (await client.get("/")).text
        assert 'data-vote="1" aria-pressed="true"' in html
        assert 'data-points title="1 up, 0 down">1<' in html

    async def test_vote_without_csrf_token_is_refused_and_changes_nothing(self, client):
        alice, bob = await make_user(client), await make_user(client)
        item = await share(client, alice, "https://example.com/a", "a story")
        await sign_in(client, bob)
        for data in ({"value": "1"}, {"value": "1", "csrf_token": "forged"}):
            response = await client.post(f"/submissions/{item['id']}/vote", data=data)
            assert response.status_code == 403
            assert response.headers["content-type"].startswith("text/html")
        listing = (await client.get("/api/v1/submissions", headers=alice.auth)).json()
        assert listing["items"][0]["points"] == 0

    async def test_back_target_cannot_leave_the_site(self, client):
        alice, bob = await make_user(client), await make_user(client)
        item = await share(client, alice, "https://example.com/a", "a story")
        await sign_in(client, bob)
        token = await csrf_token(client, "/")
        response = await client.post(
            f"/submissions/{item['id']}/vote",
            data={"csrf_token": token, "value": "-1", "back": "//evil.example/"},
        )
        assert response.headers["location"] == f"/#s{item['id']}"

    async def test_own_link_has_no_vote_buttons(self, client):
        alice = await make_user(client)
        await share(client, alice, "https://example.com/a", "a story")
        await sign_in(client, alice)
        assert "data-submission-vote" not in (await client.get("/")).text

    async def test_hide_form_hides_for_me(self, client):
        alice, bob = await make_user(client), await make_user(client)
        await share(client, alice, "https://example.com/a", "kept")
        hidden = await share(client, alice, "https://example.com/b", "hidden")
        await sign_in(client, bob)
        token = await csrf_token(client, "/")
        response = await client.post(
            f"/hidden-pages/{hidden['page_id']}", data={"csrf_token": token, "back": "/?sort=new"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/?sort=new"
        assert await front_titles(client, sort="new") == ["kept"]
        client.cookies.clear()
        assert await front_titles(client, sort="new") == ["hidden", "kept"]

    async def test_anonymous_vote_goes_to_login(self, client):
        alice = await make_user(client)
        item = await share(client, alice, "https://example.com/a", "a story")
        token = await csrf_token(client, "/login")  # an anonymous browser's token
        response = await client.post(
            f"/submissions/{item['id']}/vote", data={"csrf_token": token, "value": "1"}
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


class TestSubmitForm:
    async def test_anonymous_reader_is_sent_to_log_in(self, client):
        response = await client.get("/submit", params={"url": "https://example.com/"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/submit")

    async def test_submitting_leads_to_the_new_discussion(self, client):
        alice = await make_user(client)
        await sign_in(client, alice)
        token = await csrf_token(client)
        response = await client.post(
            "/submit",
            data={
                "csrf_token": token,
                "url": "https://example.com/new",
                "title": "Brand new",
                "body": "My *first* take.",
            },
        )
        assert response.status_code == 303
        location = response.headers["location"]
        assert re.fullmatch(r"/p/\d+/brand-new", location)
        listing = (await client.get("/api/v1/submissions")).json()
        assert listing["items"][0]["title"] == "Brand new"
        assert listing["items"][0]["comment_count"] == 1
        assert listing["items"][0]["discussion_path"] == location

    async def test_empty_first_comment_is_no_comment(self, client):
        alice = await make_user(client)
        await sign_in(client, alice)
        token = await csrf_token(client)
        response = await client.post(
            "/submit",
            data={"csrf_token": token, "url": "https://e.com/1", "title": "t", "body": "  "},
        )
        assert response.status_code == 303
        assert (await client.get("/api/v1/submissions")).json()["items"][0]["comment_count"] == 0

    async def test_duplicate_redirects_to_the_existing_discussion(self, client):
        alice, bob = await make_user(client), await make_user(client)
        first = await share(client, alice, "https://example.com/a", "First")
        await sign_in(client, bob)
        token = await csrf_token(client)
        response = await client.post(
            "/submit",
            data={
                "csrf_token": token,
                "url": "http://www.example.com/a?utm_source=x",
                "title": "Dup",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == first["discussion_path"]
        assert len((await client.get("/api/v1/submissions")).json()["items"]) == 1

    async def test_prefill_uses_the_known_title_and_points_to_an_existing_discussion(self, client):
        alice, bob = await make_user(client), await make_user(client)
        first = await share(client, alice, "https://example.com/a", "Known <title>")
        await sign_in(client, bob)
        html = (await client.get("/submit", params={"url": "https://example.com/a"})).text
        assert 'value="Known &lt;title&gt;"' in html
        assert f'href="{first["discussion_path"]}"' in html
        html = (await client.get("/submit", params={"url": "javascript:x"})).text
        assert 'aria-invalid="true"' in html

    async def test_submit_without_csrf_token_is_refused(self, client):
        alice = await make_user(client)
        await sign_in(client, alice)
        response = await client.post(
            "/submit", data={"url": "https://example.com/a", "title": "t", "csrf_token": "nope"}
        )
        assert response.status_code == 403
        assert (await client.get("/api/v1/submissions")).json()["items"] == []

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"url": "https://e.com/", "title": ""}, "title", "This is required."),
            ({"url": "https://e.com/", "title": "\u202e \n"}, "title", "Give the link a title."),
            ({"url": "https://e.com/", "title": "x" * 301}, "title", "At most 300 characters."),
            ({"url": "ftp://e.com/", "title": "t"}, "url", None),
            ({"url": "", "title": "t"}, "url", "This is required."),
            ({"url": "https://e.com/", "title": "t", "body": "x" * 10_001}, "body", "At most"),
        ],
    )
    async def test_bad_input_is_shown_beside_the_field_and_kept(self, client, data, field, message):
        alice = await make_user(client)
        await sign_in(client, alice)
        token = await csrf_token(client)
        response = await client.post("/submit", data={"csrf_token": token, **data})
        assert response.status_code == 422
        html = response.text
        error = re.search(rf'<span class="field-error" id="f-{field}-error">([^<]+)</span>', html)
        assert error, html
        if message:
            assert message in unescape(error.group(1))
        assert f'id="f-{field}"' in html
        assert 'aria-invalid="true"' in html
        if data["url"]:
            assert f'value="{data["url"]}"' in html
        assert (await client.get("/api/v1/submissions")).json()["items"] == []


class TestSearchPage:
    async def test_results_show_escaped_snippets_and_link_to_the_comment(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "`<script>alert(1)</script>` gazelle")
        html = (await client.get("/search", params={"q": "gazelle"})).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>gazelle</mark>" in html
        assert "<script>alert" not in html
        assert f'href="/c/{posted["id"]}#c{posted["id"]}"' in html
        assert f"<strong>{alice.username}</strong>" in html

    async def test_titles_link_to_their_discussion(self, client):
        alice = await make_user(client)
        item = await share(client, alice, "https://example.com/g", "Gazelles & <b>you</b>")
        html = (await client.get("/search", params={"q": "gazelles"})).text
        title = "<mark>Gazelles</mark> &amp; &lt;b&gt;you&lt;/b&gt;"
        assert f'<a href="{item["discussion_path"]}">{title}</a>' in html

    async def test_empty_and_unmatched_queries_explain_themselves(self, client):
        html = (await client.get("/search")).text
        assert "Every word must match" in html
        html = (await client.get("/search", params={"q": '"<zzz>"'})).text
        assert "Nothing matches every word of “&#34;&lt;zzz&gt;&#34;”" in html

    async def test_results_are_paged(self, client):
        alice = await make_user(client)
        for index in range(21):
            await make_comment(client, alice, f"okapi {index}", url=f"https://e.com/{index}")
        html = (await client.get("/search", params={"q": "okapi"})).text
        assert html.count('class="result"') == 20
        more = unescape(re.search(r'rel="next" href="([^"]+)"', html).group(1))
        second = (await client.get(more)).text
        assert second.count('class="result"') == 1

    @pytest.mark.parametrize("q", ['"', "NEAR(", "AND OR NOT", "*", "^", "x" * 500])
    async def test_hostile_queries_get_a_page(self, client, q):
        response = await client.get("/search", params={"q": q})
        assert response.status_code == 200

    async def test_too_long_query_is_a_readable_422(self, client):
        response = await client.get("/search", params={"q": "x" * 501})
        assert response.status_code == 422
        assert "limited to 500 characters" in response.text
