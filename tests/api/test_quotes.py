"""Quoted passages: a comment's TextQuoteSelector through the API, the live stream and HTML."""

from __future__ import annotations

import orjson
import pytest
from factories import make_comment, make_user, read_thread
from web_browser import open_discussion, post_form, sign_in

from rejoinder.pages.urlnorm import url_key
from rejoinder.realtime.publisher import page_topic

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/2026/11/harbour"
QUOTE = {
    "type": "TextQuoteSelector",
    "exact": "The harbour reopened on Monday",
    "prefix": "After three weeks, ",
    "suffix": " with a new sea wall.",
}


async def _post(client, user, **extra):
    payload = {"url": ARTICLE, "body": "About this passage.", **extra}
    return await client.post("/api/v1/comments", json=payload, headers=user.auth)


class TestRoundTrip:
    async def test_quote_is_returned_on_post_thread_and_single_read(self, client):
        alice = await make_user(client)
        response = await _post(client, alice, quote=QUOTE)
        assert response.status_code == 201, response.text
        comment = response.json()
        assert comment["quote"] == QUOTE
        thread = await read_thread(client, ARTICLE)
        assert thread["comments"][0]["quote"] == QUOTE
        single = (await client.get(f"/api/v1/comments/{comment['id']}")).json()
        assert single["quote"] == QUOTE

    async def test_prefix_and_suffix_may_be_left_out_and_no_quote_is_null(self, client):
        alice = await make_user(client)
        quoted = await make_comment(
            client, alice, url=ARTICLE, quote={"type": "TextQuoteSelector", "exact": "Monday"}
        )
        plain = await make_comment(client, alice, url=ARTICLE)
        assert quoted["quote"] == {
            "type": "TextQuoteSelector",
            "exact": "Monday",
            "prefix": "",
            "suffix": "",
        }
        assert plain["quote"] is None
        thread = await read_thread(client, ARTICLE, sort="old")
        assert [c["quote"] is None for c in thread["comments"]] == [False, True]

    async def test_control_characters_are_stripped_and_paragraph_breaks_kept(self, client):
        alice = await make_user(client)
        quote = {
            "type": "TextQuoteSelector",
            "exact": "first\x00 para\u202egraph\r\nsecond\x1b[31m",
            "prefix": "\x07before",
            "suffix": "after\x9b",
        }
        comment = (await _post(client, alice, quote=quote)).json()
        assert comment["quote"]["exact"] == "first paragraph\nsecond[31m"
        assert comment["quote"]["prefix"] == "before"
        assert comment["quote"]["suffix"] == "after"

    async def test_deleting_the_comment_erases_its_quote(self, client):
        alice = await make_user(client)
        comment = (await _post(client, alice, quote=QUOTE)).json()
        await make_comment(client, alice, "reply", url=None, parent_id=comment["id"])
        response = await client.delete(f"/api/v1/comments/{comment['id']}", headers=alice.auth)
        assert response.status_code == 204
        [placeholder] = (await read_thread(client, ARTICLE))["comments"]
        assert placeholder["status"] == "deleted"
        assert placeholder["quote"] is None

    async def test_live_stream_payload_carries_the_quote(self, app, client):
        alice = await make_user(client)
        async with app.state.broker.subscribe(page_topic(url_key(ARTICLE))) as subscription:
            await _post(client, alice, quote=QUOTE)
            message = await subscription.get(wait_seconds=5)
        assert message is not None
        assert message.data.startswith(b"event: comment.created")
        payload = orjson.loads(message.data.split(b"\ndata: ", 1)[1])
        assert payload["comment"]["quote"] == QUOTE


class TestHostileQuotes:
    @pytest.mark.parametrize(
        "quote",
        [
            {**QUOTE, "exact": "x" * 2001},
            {**QUOTE, "prefix": "p" * 201},
            {**QUOTE, "suffix": "s" * 201},
            {**QUOTE, "exact": ""},
            {**QUOTE, "exact": "\x00\x01\u202e"},
            {**QUOTE, "exact": 5},
            {**QUOTE, "exact": ["a"]},
            {**QUOTE, "prefix": None},
            {**QUOTE, "type": "TextPositionSelector"},
            {"exact": "no type"},
            {**QUOTE, "start": 3},
            "just a string",
            ["TextQuoteSelector", "x"],
        ],
    )
    async def test_bad_quote_is_422_and_writes_nothing(self, client, quote):
        alice = await make_user(client)
        response = await _post(client, alice, quote=quote)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        page = (await client.get("/api/v1/pages", params={"url": ARTICLE})).json()
        assert page["comment_count"] == 0
        assert page["id"] is None

    async def test_longest_allowed_quote_is_accepted(self, client):
        alice = await make_user(client)
        quote = {**QUOTE, "exact": "x" * 2000, "prefix": "p" * 200, "suffix": "s" * 200}
        response = await _post(client, alice, quote=quote)
        assert response.status_code == 201
        assert response.json()["quote"]["exact"] == "x" * 2000


class TestDiscussionPage:
    async def test_quote_shows_escaped_above_the_comment(self, client):
        alice = await make_user(client)
        hostile = {**QUOTE, "exact": '<script>alert("q")</script> & <b>bold</b>'}
        await _post(client, alice, quote=hostile)
        path = await open_discussion(client, ARTICLE)
        html = (await client.get(path)).text
        assert "<script>alert" not in html
        assert (
            '<blockquote class="comment__quote" data-quote>&lt;script&gt;alert(&#34;q&#34;)'
            "&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</blockquote>"
        ) in html

    async def test_form_without_javascript_posts_a_pasted_quote(self, client):
        alice = await make_user(client)
        await sign_in(client, alice)
        path = await open_discussion(client, ARTICLE)
        html = (await client.get(path)).text
        assert 'name="quote_exact"' in html
        response = await post_form(
            client,
            f"{path}/comments",
            {"body": "Pasted.", "quote_exact": "reopened\x00 on Monday", "quote_prefix": ""},
        )
        assert response.status_code == 303, response.text
        [comment] = (await read_thread(client, ARTICLE))["comments"]
        assert comment["quote"] == {
            "type": "TextQuoteSelector",
            "exact": "reopened on Monday",
            "prefix": "",
            "suffix": "",
        }

    async def test_form_with_too_long_quote_rerenders_and_writes_nothing(self, client):
        alice = await make_user(client)
        await sign_in(client, alice)
        path = await open_discussion(client, ARTICLE)
        response = await post_form(
            client, f"{path}/comments", {"body": "Mine.", "quote_exact": "q" * 2001}
        )
        assert response.status_code == 422
        assert "At most 2,000 characters." in response.text
        assert (await read_thread(client, ARTICLE))["comments"] == []
