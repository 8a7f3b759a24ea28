"""Atom feeds are valid Atom (checked by feedparser) and escape whatever readers write."""

from __future__ import annotations

import feedparser
import pytest
from factories import make_comment, make_user, promote

from rejoinder.feeds.atom import Entry, Feed, render, xml_text

pytestmark = pytest.mark.anyio

HOSTILE = 'Title </title><script>alert("x")</script> & ]]> \x0b\x00 \ud800 end'


def _parse(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


async def _page_id(client, url="https://example.com/article") -> int:
    response = await client.get("/api/v1/threads", params={"url": url})
    return response.json()["page"]["id"]


class TestDiscussionFeed:
    async def test_entries_are_complete_and_bodies_sanitized(self, client):
        ann = await make_user(client)
        first = await make_comment(client, ann, "Plain *words*")
        second = await make_comment(
            client, ann, '<script>alert(1)</script> [x](javascript:alert(1)) & "q" ]]>'
        )
        page_id = await _page_id(client)
        feed = _parse(await client.get(f"/feeds/pages/{page_id}.atom"))
        assert feed.feed.id == f"tag:testserver,2026:page/{page_id}"
        assert [link.rel for link in feed.feed.links] == ["self", "alternate"]
        newest, oldest = feed.entries
        assert newest.id == f"tag:testserver,2026:comment/{second['id']}"
        assert newest.link == f"http://testserver/c/{second['id']}"
        assert newest.author == ann.username
        assert newest.updated_parsed is not None
        assert newest.content[0].type == "text/html"
        assert "<script>" not in newest.content[0].value
        assert 'href="javascript' not in newest.content[0].value
        assert oldest.content[0].value == "<p>Plain <em>words</em></p>"
        assert oldest.id.endswith(f"comment/{first['id']}")

    async def test_pending_and_deleted_comments_are_left_out(self, app, client):
        ann, mod = await make_user(client), await make_user(client)
        await promote(app, mod, "moderator")
        kept = await make_comment(client, ann, "Kept")
        gone = await make_comment(client, ann, "Gone")
        removed = await make_comment(client, ann, "Removed")
        assert (
            await client.delete(f"/api/v1/comments/{gone['id']}", headers=ann.auth)
        ).status_code == 204
        response = await client.post(
            "/api/v1/moderation/actions",
            json={"action": "remove", "comment_ids": [removed["id"]]},
            headers=mod.auth,
        )
        assert response.status_code == 200
        feed = _parse(await client.get(f"/feeds/pages/{await _page_id(client)}.atom"))
        assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == [str(kept["id"])]

    async def test_unknown_page_is_404(self, client):
        response = await client.get("/feeds/pages/999999.atom")
        assert response.status_code == 404

    async def test_discussion_page_links_its_feed(self, client):
        ann = await make_user(client)
        await make_comment(client, ann, "Hi")
        page_id = await _page_id(client)
        html = (await client.get(f"/p/{page_id}", follow_redirects=True)).text
        assert '<link rel="alternate" type="application/atom+xml" title="Comments on ' in html
        assert f'href="/feeds/pages/{page_id}.atom"' in html


class TestOtherFeeds:
    async def test_user_feed(self, client):
        ann, bob = await make_user(client), await make_user(client)
        await make_comment(client, ann, "Mine", url="https://example.com/a")
        await make_comment(client, bob, "Not mine", url="https://example.com/b")
        feed = _parse(await client.get(f"/u/{ann.username}/feed.atom"))
        assert feed.feed.title == f"Comments by {ann.username}"
        assert [e.content[0].value for e in feed.entries] == ["<p>Mine</p>"]
        assert (await client.get("/u/nobody_at_all/feed.atom")).status_code == 404
        profile = await client.get(f"/u/{ann.username}")
        assert f'href="/u/{ann.username}/feed.atom"' in profile.text

    async def test_front_page_feed_escapes_hostile_titles(self, client):
        ann = await make_user(client)
        response = await client.post(
            "/api/v1/submissions",
            json={"url": "https://example.com/story", "title": 'A <b>bold</b> & "quoted" title'},
            headers=ann.auth,
        )
        assert response.status_code == 201, response.text
        feed = _parse(await client.get("/feed.atom"))
        (entry,) = feed.entries
        assert entry.title == 'A <b>bold</b> & "quoted" title'
        assert entry.author == ann.username
        assert "/p/" in entry.link
        assert b"<b>bold</b>" not in (await client.get("/feed.atom")).content
        front = await client.get("/")
        assert 'type="application/atom+xml" title="New links" href="/feed.atom"' in front.text

    async def test_empty_front_feed_is_valid(self, client):
        feed = _parse(await client.get("/feed.atom"))
        assert feed.entries == []


class TestRepliesFeed:
    async def _token(self, client, user):
        client.cookies.set("rejoinder_session", user.token)
        page = await client.get("/settings/notifications")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = await client.post(
            "/settings/notifications/feed", data={"csrf_token": csrf, "action": "create"}
        )
        assert response.status_code == 200
        url = response.text.split('id="feed-url" type="text" readonly value="', 1)[1]
        client.cookies.clear()
        return url.split('"', 1)[0], csrf

    async def test_private_feed_lists_replies_until_revoked(self, app, client):
        ann, bob = await make_user(client), await make_user(client)
        parent = await make_comment(client, ann, "Hello")
        await make_comment(client, bob, "Hi <ann>", url=None, parent_id=parent["id"])
        await app.state.notifier.settle()
        url, _csrf = await self._token(client, ann)
        assert url.startswith("http://testserver/feeds/replies/rj_")
        path = url.removeprefix("http://testserver")
        response = await client.get(path)
        assert response.headers["cache-control"] == "private, no-store"
        feed = _parse(response)
        (entry,) = feed.entries
        assert entry.title.startswith(f"{bob.username} replied to your comment")
        assert entry.content[0].value == "<p>Hi &lt;ann&gt;</p>"
        # A new address replaces the old one; revoking ends both.
        new_url, csrf = await self._token(client, ann)
        assert (await client.get(path)).status_code == 404
        new_path = new_url.removeprefix("http://testserver")
        assert (await client.get(new_path)).status_code == 200
        client.cookies.set("rejoinder_session", ann.token)
        revoke = await client.post(
            "/settings/notifications/feed", data={"csrf_token": csrf, "action": "revoke"}
        )
        assert revoke.status_code == 200
        assert (await client.get(new_path)).status_code == 404

    @pytest.mark.parametrize("token", ["x", "rj_" + "A" * 43, "%00", "a" * 100])
    async def test_unknown_tokens_are_404(self, client, token):
        assert (await client.get(f"/feeds/replies/{token}.atom")).status_code == 404


def test_hostile_text_is_escaped_and_invalid_characters_dropped():
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    feed = Feed(
        id="tag:example.org,2026:x",
        title=HOSTILE,
        self_url='http://example.org/feed"><x>',
        alternate_url="http://example.org/",
        updated=moment,
        entries=[
            Entry(
                id="tag:example.org,2026:e",
                title=HOSTILE,
                link="http://example.org/e?a=1&b=2",
                updated=moment,
                author=HOSTILE,
                content_html='<p>ok</p><script>alert("x")</script>',
            )
        ],
    )
    document = render(feed)
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == xml_text(HOSTILE)
    assert "\x0b" not in parsed.feed.title
    (entry,) = parsed.entries
    assert entry.link == "http://example.org/e?a=1&b=2"
    assert b"<script>" not in document
    assert entry.author == xml_text(HOSTILE)
