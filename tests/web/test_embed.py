"""The embed widget's routes: the host script, the iframe page and its headers, the popup
sign-in that hands the iframe a token, CORS for the counts endpoint, and the help page."""

from __future__ import annotations

import re

import pytest
from factories import PASSWORD, make_comment, make_user
from web_browser import csrf, sign_in

pytestmark = pytest.mark.anyio

BLOG = "https://blog.example"
LOCAL = "http://localhost:9000"
ARTICLE = "https://blog.example/2026/11/post"


def frame_ancestors(response) -> str:
    policy = response.headers["content-security-policy"]
    match = re.search(r"frame-ancestors ([^;]+)", policy)
    assert match, policy
    return match.group(1)


def thread_params(**extra: str) -> dict[str, str]:
    return {"url": ARTICLE, "origin": BLOG, **extra}


class TestWithOrigins:
    @pytest.fixture
    def settings_overrides(self):
        return {"embed_origins": f"{BLOG}, {LOCAL}/", "allow_guests": True}

    async def test_iframe_page_may_be_framed_by_exactly_the_listed_origins(self, client):
        response = await client.get("/embed/thread", params=thread_params())
        assert response.status_code == 200
        assert frame_ancestors(response) == f"{BLOG} {LOCAL}"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "x-frame-options" not in response.headers
        html = response.text
        assert f'data-url="{ARTICLE}"' in html
        assert f'data-host-origin="{BLOG}"' in html
        assert 'data-guests="true"' in html
        assert re.search(r'<script src="/static/embed-frame\.js\?v=\w+" defer>', html)

    @pytest.mark.parametrize("path", ["/help", "/login", "/", "/embed/done"])
    async def test_every_other_page_still_refuses_frames(self, client, path):
        response = await client.get(path)
        assert response.status_code in (200, 303)
        if response.status_code == 200:
            assert frame_ancestors(response) == "'none'"

    async def test_host_look_is_passed_on_validated(self, client):
        params = thread_params(theme="dark", accent="#c2410c", text="rgb(20, 20, 20)")
        params["font"] = "Helvetica Neue, serif"
        response = await client.get("/embed/thread", params=params)
        assert response.status_code == 200
        assert '<html lang="en" data-theme="dark">' in response.text
        assert 'data-css-accent="#c2410c"' in response.text
        assert 'data-css-text="rgb(20, 20, 20)"' in response.text
        assert 'data-css-font="&#34;Helvetica Neue&#34;, serif"' in response.text
        assert "data-css-bg" not in response.text

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"accent": "red;}</style><script>alert(1)</script>"}, "data-accent"),
            ({"background": "url(https://evil.example/x)"}, "data-background"),
            ({"font": 'Arial"><script>alert(1)</script>'}, "data-font"),
            ({"theme": "<b>sepia</b>"}, "data-theme"),
            ({"onload": "alert(1)"}, "onload"),
            ({"url": ""}, "data-url"),
        ],
    )
    async def test_hostile_options_get_a_readable_400_in_the_frame(self, client, extra, field):
        response = await client.get("/embed/thread", params=thread_params(**extra))
        assert response.status_code == 400
        assert "The comments could not be shown" in response.text
        assert f"<strong>{field}" in response.text
        assert "<script>" not in response.text
        assert "<b>sepia" not in response.text
        # Shown inside the host page, so framing is allowed as for the real page.
        assert frame_ancestors(response) == f"{BLOG} {LOCAL}"

    @pytest.mark.parametrize("origin", ["https://evil.example", "https://blog.example.evil", ""])
    async def test_an_origin_outside_the_list_is_refused(self, client, origin):
        response = await client.get("/embed/thread", params=thread_params(origin=origin))
        assert response.status_code == 400
        assert "embedding page" in response.text

    async def test_an_origin_is_compared_in_normal_form(self, client):
        response = await client.get(
            "/embed/thread", params=thread_params(origin="HTTPS://Blog.Example:443")
        )
        assert response.status_code == 200
        assert f'data-host-origin="{BLOG}"' in response.text

    async def test_repeated_options_are_refused(self, client):
        response = await client.get(
            "/embed/thread",
            params=[("url", ARTICLE), ("origin", BLOG), ("accent", "#fff"), ("accent", "#000")],
        )
        assert response.status_code == 400
        assert "repeats an option" in response.text

    async def test_preflight_from_a_listed_origin_allows_the_counts_post(self, client):
        response = await client.options(
            "/api/v1/counts",
            headers={
                "Origin": BLOG,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == BLOG
        assert response.headers["access-control-allow-methods"] == "POST"
        assert response.headers["access-control-allow-headers"] == "Content-Type"
        assert response.headers["vary"] == "Origin"
        assert "access-control-allow-credentials" not in response.headers

    @pytest.mark.parametrize(
        ("origin", "method", "request_headers"),
        [
            ("https://evil.example", "POST", "content-type"),
            ("null", "POST", "content-type"),
            (BLOG, "DELETE", ""),
            (BLOG, "POST", "content-type, authorization"),
        ],
    )
    async def test_other_preflights_are_refused(self, client, origin, method, request_headers):
        headers = {"Origin": origin, "Access-Control-Request-Method": method}
        if request_headers:
            headers["Access-Control-Request-Headers"] = request_headers
        response = await client.options("/api/v1/counts", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "cors-refused"
        assert "access-control-allow-origin" not in response.headers
        assert response.headers["vary"] == "Origin"

    async def test_counts_answer_listed_origins_by_name_and_never_with_credentials(self, client):
        user = await make_user(client)
        await make_comment(client, user, url=ARTICLE)
        body = {"urls": [ARTICLE, "https://blog.example/other"]}
        response = await client.post("/api/v1/counts", json=body, headers={"Origin": LOCAL})
        assert response.status_code == 200
        assert response.json()["counts"] == {ARTICLE: 1, "https://blog.example/other": 0}
        assert response.headers["access-control-allow-origin"] == LOCAL
        assert response.headers["vary"] == "Origin"
        assert "access-control-allow-credentials" not in response.headers

    @pytest.mark.parametrize("origin", ["https://evil.example", None])
    async def test_counts_for_anyone_else_carry_no_cors_grant(self, client, origin):
        headers = {"Origin": origin} if origin else {}
        response = await client.post("/api/v1/counts", json={"urls": [ARTICLE]}, headers=headers)
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
        assert response.headers["vary"] == "Origin"

    async def test_the_rest_of_the_api_sends_no_cors_headers(self, client):
        response = await client.get(
            "/api/v1/threads", params={"url": ARTICLE}, headers={"Origin": BLOG}
        )
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
        preflight = await client.options(
            "/api/v1/comments",
            headers={"Origin": BLOG, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers

    async def test_a_refused_body_still_tells_the_host_page(self, client):
        response = await client.post(
            "/api/v1/counts",
            content=b"x" * 1_100_000,
            headers={"Origin": BLOG, "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.headers["access-control-allow-origin"] == BLOG


class TestWithoutOrigins:
    async def test_no_listed_origin_means_no_embedding(self, client):
        response = await client.get("/embed/thread", params=thread_params())
        assert response.status_code == 400
        assert frame_ancestors(response) == "'none'"

    async def test_no_listed_origin_means_no_cors(self, client):
        response = await client.options(
            "/api/v1/counts", headers={"Origin": BLOG, "Access-Control-Request-Method": "POST"}
        )
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers


class TestHostScript:
    async def test_served_as_cacheable_javascript_for_other_sites(self, client):
        response = await client.get("/embed.js")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cross-origin-resource-policy"] == "cross-origin"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "public, max-age=3600"
        assert "data-rejoinder-count" in response.text
        again = await client.get("/embed.js", headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""


class TestPopupSignIn:
    async def test_login_comes_back_to_the_done_page(self, client):
        user = await make_user(client)
        token = await csrf(client, "/login")
        response = await client.post(
            "/login",
            data={
                "csrf_token": token,
                "username": user.username,
                "password": PASSWORD,
                "next": "/embed/done",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/embed/done"
        page = await client.get("/embed/done")
        assert page.status_code == 200
        assert re.search(r'data-embed-done data-csrf="\w+"', page.text)
        assert re.search(r'<script src="/static/embed-done\.js\?v=\w+" defer>', page.text)

    async def test_anonymous_done_page_sends_to_login(self, client):
        response = await client.get("/embed/done")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/embed/done"

    async def test_done_page_mints_a_working_revocable_token(self, client):
        user = await make_user(client)
        await sign_in(client, user)
        page = (await client.get("/embed/done")).text
        token = re.search(r'data-csrf="(\w+)"', page).group(1)
        response = await client.post("/embed/session", headers={"X-CSRF-Token": token})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        minted = response.json()
        assert minted["username"] == user.username
        client.cookies.clear()
        auth = {"Authorization": f"Bearer {minted['token']}"}
        me = await client.get("/api/v1/me", headers=auth)
        assert me.json()["username"] == user.username
        posted = await client.post(
            "/api/v1/comments", json={"url": ARTICLE, "body": "From the widget."}, headers=auth
        )
        assert posted.status_code == 201
        assert (await client.delete("/api/v1/sessions/current", headers=auth)).status_code == 204
        assert (await client.get("/api/v1/me", headers=auth)).status_code == 401

    async def test_no_token_without_the_csrf_header(self, client):
        user = await make_user(client)
        await sign_in(client, user)
        assert (await client.post("/embed/session")).status_code == 403
        wrong = await client.post("/embed/session", headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403

    async def test_no_token_for_nobody(self, client):
        token = await csrf(client, "/login")
        response = await client.post("/embed/session", headers={"X-CSRF-Token": token})
        assert response.status_code == 401


class TestHelpPage:
    async def test_bookmarklet_opens_this_instance(self, client, settings):
        response = await client.get("/help")
        assert response.status_code == 200
        match = re.search(r'<a class="button bookmarklet" href="([^"]+)"', response.text)
        assert match
        href = match.group(1).replace("&#34;", '"').replace("&#39;", "'")
        assert href == (
            f'javascript:void(window.open("{settings.public_url}/d?url="'
            "+encodeURIComponent(location.href),'_blank','noopener'))"
        )
        assert f"{settings.public_url}/embed.js" in response.text
        assert "Formatting help" in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]

    async def test_every_page_links_to_help(self, client):
        assert '<a href="/help">' in (await client.get("/login")).text
