"""Writing without JavaScript: post, reply, edit, delete and vote through forms, with CSRF."""

from __future__ import annotations

import re

import pytest
from factories import make_comment, make_user, read_thread
from web_browser import (
    ARTICLE,
    count_comments,
    csrf,
    open_discussion,
    other_user,
    post_form,
    sign_in,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def alice(client):
    user = await make_user(client, "alice")
    await sign_in(client, user)
    return user


class TestPosting:
    async def test_post_redirects_to_the_new_comment_in_context(self, app, client, alice):
        path = await open_discussion(client)
        response = await post_form(client, f"{path}/comments", {"body": "Hello **there**"})
        assert response.status_code == 303
        location = response.headers["location"]
        assert re.fullmatch(r"/c/\d+#c\d+", location)
        html = (await client.get(location.split("#")[0])).text
        assert "Hello <strong>there</strong>" in html
        thread = await read_thread(client, ARTICLE)
        assert [c["author"]["name"] for c in thread["comments"]] == ["alice"]

    async def test_nsfw_checkbox_marks_the_comment(self, client, alice):
        path = await open_discussion(client)
        await post_form(client, f"{path}/comments", {"body": "spicy", "nsfw": "on"})
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["nsfw"] is True

    @pytest.mark.parametrize("body", ["", "   \n  "])
    async def test_empty_comment_rerenders_the_form_and_writes_nothing(
        self, app, client, alice, body
    ):
        path = await open_discussion(client)
        response = await post_form(client, f"{path}/comments", {"body": body})
        assert response.status_code == 422
        assert 'name="body"' in response.text
        assert 'class="field-error"' in response.text
        assert await count_comments(app) == 0

    async def test_too_long_comment_keeps_the_text_and_says_the_limit(self, app, client, alice):
        path = await open_discussion(client)
        body = "<b>x</b>" + "y" * 10_000
        response = await post_form(client, f"{path}/comments", {"body": body})
        assert response.status_code == 422
        assert "limited to 10,000 characters" in response.text
        assert "&lt;b&gt;x&lt;/b&gt;yyyy" in response.text  # kept, escaped
        assert await count_comments(app) == 0

    @pytest.mark.parametrize("token", [None, "", "0" * 64, "x" * 300])
    async def test_missing_or_wrong_csrf_token_is_403_and_writes_nothing(
        self, app, client, alice, token
    ):
        path = await open_discussion(client)
        data = {"body": "forged"}
        if token is not None:
            data["csrf_token"] = token
        response = await client.post(f"{path}/comments", data=data)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "did not come from this site" in response.text
        assert await count_comments(app) == 0

    async def test_token_of_another_browser_is_refused(self, app, client, alice):
        path = await open_discussion(client)
        token = await csrf(client)
        bob = await make_user(client, "bob")
        await sign_in(client, bob)
        response = await client.post(f"{path}/comments", data={"csrf_token": token, "body": "x"})
        assert response.status_code == 403
        assert await count_comments(app) == 0

    async def test_anonymous_post_is_sent_to_log_in(self, app, client):
        path = await open_discussion(client)
        response = await post_form(client, f"{path}/comments", {"body": "hi"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
        assert await count_comments(app) == 0


class TestReplying:
    async def test_reply_page_and_form(self, client, alice):
        top = await make_comment(client, alice, "the <question>", url=ARTICLE)
        response = await client.get(f"/c/{top['id']}/reply")
        assert response.status_code == 200
        assert "Reply to alice" in response.text
        assert "the &lt;question&gt;" in response.text
        response = await post_form(client, f"/c/{top['id']}/reply", {"body": "the answer"})
        assert response.status_code == 303
        thread = await read_thread(client, ARTICLE)
        replies = thread["comments"][0]["replies"]
        assert [r["body_html"].strip() for r in replies] == ["<p>the answer</p>"]
        assert response.headers["location"] == f"/c/{replies[0]['id']}#c{replies[0]['id']}"

    async def test_empty_reply_rerenders_with_message(self, app, client, alice):
        top = await make_comment(client, alice, "q", url=ARTICLE)
        response = await post_form(client, f"/c/{top['id']}/reply", {"body": ""})
        assert response.status_code == 422
        assert "This is required." in response.text
        assert await count_comments(app) == 1

    async def test_reply_to_missing_comment_is_404(self, client, alice):
        assert (await client.get("/c/999999/reply")).status_code == 404
        response = await post_form(client, "/c/999999/reply", {"body": "x"})
        assert response.status_code == 404

    async def test_anonymous_reply_page_goes_to_login_and_back(self, client):
        bob = await make_user(client)
        top = await make_comment(client, bob, "q", url=ARTICLE)
        response = await client.get(f"/c/{top['id']}/reply")
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next=/c/{top['id']}/reply"


class TestEditing:
    async def test_edit_form_is_prefilled_and_saves(self, client, alice):
        mine = await make_comment(client, alice, "typo heer", url=ARTICLE)
        response = await client.get(f"/c/{mine['id']}/edit")
        assert response.status_code == 200
        assert "typo heer</textarea>" in response.text
        response = await post_form(client, f"/c/{mine['id']}/edit", {"body": "typo here"})
        assert response.status_code == 303
        html = (await client.get(f"/c/{mine['id']}")).text
        assert "typo here" in html
        assert "edited" in html

    async def test_empty_edit_keeps_the_old_text(self, client, alice):
        mine = await make_comment(client, alice, "original", url=ARTICLE)
        response = await post_form(client, f"/c/{mine['id']}/edit", {"body": ""})
        assert response.status_code == 422
        thread = await read_thread(client, ARTICLE)
        assert "original" in thread["comments"][0]["body_html"]

    async def test_someone_elses_comment_cannot_be_edited(self, client, alice):
        bob = await other_user(client, "bob")
        theirs = await make_comment(client, bob, "bob's", url=ARTICLE)
        assert (await client.get(f"/c/{theirs['id']}/edit")).status_code == 403
        response = await post_form(client, f"/c/{theirs['id']}/edit", {"body": "mine now"})
        assert response.status_code == 403
        assert "Only the author" in response.text
        thread = await read_thread(client, ARTICLE)
        assert "mine now" not in thread["comments"][0]["body_html"]


class TestEditWindow:
    @pytest.fixture
    def settings_overrides(self):
        return {"edit_window_seconds": 0}

    async def test_after_the_window_there_are_no_edit_links_and_edits_are_refused(
        self, client, alice
    ):
        mine = await make_comment(client, alice, "fixed forever", url=ARTICLE)
        html = (await client.get(await open_discussion(client))).text
        assert 'data-action="edit"' not in html
        response = await post_form(client, f"/c/{mine['id']}/edit", {"body": "changed"})
        assert response.status_code == 403
        assert "has passed" in response.text


class TestDeleting:
    async def test_confirmation_page_then_delete(self, client, alice):
        mine = await make_comment(client, alice, "regrettable", url=ARTICLE)
        response = await client.get(f"/c/{mine['id']}/delete")
        assert response.status_code == 200
        assert "Delete your comment?" in response.text
        assert f'action="/c/{mine["id"]}/delete"' in response.text
        response = await post_form(client, f"/c/{mine['id']}/delete", {})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/p/")
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"] == []

    async def test_delete_without_token_is_refused(self, client, alice):
        mine = await make_comment(client, alice, "stays", url=ARTICLE)
        response = await client.post(f"/c/{mine['id']}/delete")
        assert response.status_code == 403
        assert len((await read_thread(client, ARTICLE))["comments"]) == 1


class TestVoting:
    async def test_vote_forms_toggle_and_redirect_back(self, client, alice):
        bob = await other_user(client, "bob")
        theirs = await make_comment(client, bob, "good point", url=ARTICLE)
        path = await open_discussion(client)
        html = (await client.get(path)).text
        assert f'<input type="hidden" name="back" value="{path}#c{theirs["id"]}">' in html
        response = await post_form(
            client, f"/c/{theirs['id']}/vote", {"value": "1", "back": f"{path}#c{theirs['id']}"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"{path}#c{theirs['id']}"
        html = (await client.get(path)).text
        assert 'value="0"\n                  data-action="vote-up" aria-pressed="true"' in html
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["score"] == 1
        await post_form(client, f"/c/{theirs['id']}/vote", {"value": "-1"})
        assert (await read_thread(client, ARTICLE))["comments"][0]["score"] == -1

    async def test_vote_back_link_cannot_leave_the_site(self, client, alice):
        bob = await other_user(client, "bob")
        theirs = await make_comment(client, bob, "x", url=ARTICLE)
        response = await post_form(
            client, f"/c/{theirs['id']}/vote", {"value": "1", "back": "https://evil.example/"}
        )
        assert response.headers["location"] == f"/c/{theirs['id']}#c{theirs['id']}"

    @pytest.mark.parametrize("value", ["2", "up", ""])
    async def test_bad_vote_value_is_422(self, client, alice, value):
        bob = await other_user(client, "bob")
        theirs = await make_comment(client, bob, "x", url=ARTICLE)
        response = await post_form(client, f"/c/{theirs['id']}/vote", {"value": value})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")

    async def test_own_comment_vote_is_403(self, client, alice):
        mine = await make_comment(client, alice, "x", url=ARTICLE)
        response = await post_form(client, f"/c/{mine['id']}/vote", {"value": "1"})
        assert response.status_code == 403


class TestPreview:
    async def test_preview_renders_sanitized_html_without_storing(self, app, client):
        response = await client.post(
            "/api/v1/preview", json={"body": "**hi** <script>x</script> [a](javascript:y)"}
        )
        assert response.status_code == 200
        html = response.json()["html"]
        assert "<strong>hi</strong>" in html
        assert "<script>" not in html
        assert "href" not in html  # the javascript: link lost its href
        assert await count_comments(app) == 0

    @pytest.mark.parametrize(
        "payload", [{}, {"body": ""}, {"body": "x", "extra": 1}, {"body": "y" * 10_001}]
    )
    async def test_bad_preview_input_is_422_problem(self, client, payload):
        response = await client.post("/api/v1/preview", json=payload)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
