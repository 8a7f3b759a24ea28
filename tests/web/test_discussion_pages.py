"""Discussion pages: opening by URL, permalinks, threads, placeholders, load more, escaping."""

from __future__ import annotations

import re

import pytest
from factories import make_comment, make_user
from sqlalchemy import update
from web_browser import ARTICLE, count_comments, open_discussion, set_status, sign_in

from rejoinder.comments.models import CommentStatus
from rejoinder.pages.models import Page
from rejoinder.web.discussions import OPEN_RATE

pytestmark = pytest.mark.anyio


async def set_title(app, page_id: int, title: str) -> None:
    async with app.state.db.write_session() as session:
        await session.execute(update(Page).where(Page.id == page_id).values(title=title))
        await session.commit()


class TestOpening:
    async def test_url_box_creates_page_and_redirects_to_permalink(self, client):
        path = await open_discussion(client, "https://www.example.com/a/b?utm_source=x")
        assert re.fullmatch(r"/p/\d+/example-com-a-b", path)
        again = await open_discussion(client, "http://example.com/a/b")
        assert again == path
        response = await client.get(path)
        assert response.status_code == 200
        assert "example.com/a/b" in response.text
        assert "No comments yet" in response.text

    async def test_bad_url_is_a_readable_422_with_the_box(self, client):
        response = await client.get("/d", params={"url": "javascript:alert(1)"})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert "cannot be discussed" in response.text
        assert 'action="/d"' in response.text
        assert 'value="javascript:alert(1)"' in response.text

    async def test_empty_box_shows_the_form(self, client):
        response = await client.get("/d")
        assert response.status_code == 200
        assert 'name="url"' in response.text

    async def test_opening_new_discussions_is_rate_limited_per_address(self, app, client):
        for _ in range(OPEN_RATE.burst):
            await app.state.limiter.take("discuss:ip:203.0.113.10", OPEN_RATE)
        response = await client.get("/d", params={"url": "https://example.com/new"})
        assert response.status_code == 429
        assert "try again in" in response.text
        assert int(response.headers["retry-after"]) >= 1
        # Discussions that exist already still open.
        alice = await make_user(client)
        await make_comment(client, alice, url=ARTICLE)
        assert (await client.get("/d", params={"url": ARTICLE})).status_code == 303

    async def test_wrong_slug_redirects_to_the_right_one(self, app, client):
        path = await open_discussion(client)
        page_id = int(path.split("/")[2])
        response = await client.get(f"/p/{page_id}/whatever?sort=new")
        assert response.status_code == 301
        assert response.headers["location"] == f"{path}?sort=new"
        response = await client.get(f"/p/{page_id}")
        assert response.headers["location"] == path
        await set_title(app, page_id, "Héllo, Wörld: a <b>story</b>!")
        response = await client.get(path)
        assert response.status_code == 301
        assert response.headers["location"] == f"/p/{page_id}/hello-world-a-b-story-b"

    async def test_unknown_page_is_an_html_404(self, client):
        response = await client.get("/p/999999/x")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Not found" in response.text


class TestDiscussionPage:
    async def test_title_key_link_out_count_and_headers(self, app, client):
        alice = await make_user(client)
        await make_comment(client, alice, "first", url=ARTICLE)
        path = await open_discussion(client)
        await set_title(app, int(path.split("/")[2]), "<script>alert('t')</script>")
        path = (await client.get(path)).headers["location"]
        response = await client.get(path)
        html = response.text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html
        assert 'href="https://example.com/2026/11/story" rel="nofollow noopener ugc"' in html
        assert "1 comment" in html
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        # No inline scripts or styles anywhere: the CSP would block them.
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert "style=" not in html
        assert "<style" not in html

    async def test_comment_body_is_escaped_and_nested_with_hooks(self, client):
        alice = await make_user(client)
        bob = await make_user(client)
        top = await make_comment(client, alice, "<script>alert(1)</script> *hi*", url=ARTICLE)
        reply = await make_comment(client, bob, "a reply", url=None, parent_id=top["id"])
        response = await client.get(await open_discussion(client))
        html = response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; <em>hi</em>" in html
        assert f'id="c{top["id"]}"' in html
        # The reply is inside its parent's <ol class="replies">.
        parent_block = html[html.index(f'id="c{top["id"]}"') :]
        assert parent_block.index(f'id="c{reply["id"]}"') < parent_block.index("</details>\n</li>")
        for action in ("collapse", "reply", "vote-up", "vote-down"):
            assert f'data-action="{action}"' in html
        assert 'class="new-comments"' in html

    async def test_own_comment_has_edit_and_delete_but_no_votes(self, client):
        alice = await make_user(client)
        mine = await make_comment(client, alice, "mine", url=ARTICLE)
        await sign_in(client, alice)
        html = (await client.get(await open_discussion(client))).text
        assert f'href="/c/{mine["id"]}/edit" data-action="edit"' in html
        assert f'href="/c/{mine["id"]}/delete" data-action="delete"' in html
        assert 'data-action="vote-up"' not in html
        assert 'name="body"' in html  # the composer

    async def test_anonymous_reader_is_invited_to_log_in(self, client):
        html = (await client.get(await open_discussion(client))).text
        assert "to join the discussion" in html
        assert 'data-action="post"' not in html.split('<template id="reply-template">')[0]

    async def test_sort_switcher_orders_top_level_comments(self, client):
        alice = await make_user(client)
        first = await make_comment(client, alice, "first", url=ARTICLE)
        second = await make_comment(client, alice, "second", url=ARTICLE)
        path = await open_discussion(client)
        html = (await client.get(path, params={"sort": "new"})).text
        assert html.index(f'id="c{second["id"]}"') < html.index(f'id="c{first["id"]}"')
        assert '?sort=new" aria-current="true"' in html
        html = (await client.get(path, params={"sort": "old"})).text
        assert html.index(f'id="c{first["id"]}"') < html.index(f'id="c{second["id"]}"')
        assert (await client.get(path, params={"sort": "sideways"})).status_code == 422

    async def test_deleted_and_removed_comments_with_replies_are_placeholders(self, app, client):
        alice = await make_user(client)
        bob = await make_user(client)
        gone = await make_comment(client, alice, "secret words", url=ARTICLE)
        await make_comment(client, bob, "reply one", url=None, parent_id=gone["id"])
        removed = await make_comment(client, alice, "rude words", url=ARTICLE)
        await make_comment(client, bob, "reply two", url=None, parent_id=removed["id"])
        response = await client.delete(f"/api/v1/comments/{gone['id']}", headers=alice.auth)
        assert response.status_code == 204
        await set_status(app, removed["id"], CommentStatus.REMOVED)
        html = (await client.get(await open_discussion(client))).text
        assert "secret words" not in html
        assert "rude words" not in html
        assert "[deleted]" in html
        assert "[removed by a moderator]" in html
        assert "reply one" in html
        assert "reply two" in html

    async def test_nsfw_comment_is_behind_a_details_toggle(self, client):
        alice = await make_user(client)
        await make_comment(client, alice, "spicy", url=ARTICLE, nsfw=True)
        html = (await client.get(await open_discussion(client))).text
        assert '<details class="nsfw-details" data-nsfw>' in html
        assert "not safe for work" in html


class TestPending:
    async def test_pending_comment_is_marked_for_its_author_and_404_for_others(self, app, client):
        alice = await make_user(client)
        held = await make_comment(client, alice, "held back", url=ARTICLE)
        await set_status(app, held["id"], CommentStatus.PENDING)
        response = await client.get(f"/c/{held['id']}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        bob = await make_user(client)
        await sign_in(client, bob)
        assert (await client.get(f"/c/{held['id']}")).status_code == 404
        assert "held back" not in (await client.get(await open_discussion(client))).text
        await sign_in(client, alice)
        response = await client.get(f"/c/{held['id']}")
        assert response.status_code == 200
        assert "pending review" in response.text
        assert "held back" in response.text


class TestPermalinks:
    async def test_comment_permalink_shows_its_conversation_highlighted(self, client):
        alice = await make_user(client)
        other = await make_comment(client, alice, "another conversation", url=ARTICLE)
        top = await make_comment(client, alice, "top", url=ARTICLE)
        reply = await make_comment(client, alice, "the reply", url=None, parent_id=top["id"])
        response = await client.get(f"/c/{reply['id']}")
        assert response.status_code == 200
        html = response.text
        assert f'class="comment comment--highlight"\n    id="c{reply["id"]}"' in html
        assert "the reply" in html
        assert "another conversation" not in html
        assert f'id="c{other["id"]}"' not in html
        assert "Show the whole discussion" in html

    async def test_comment_fragment_is_one_comment(self, client):
        alice = await make_user(client)
        top = await make_comment(client, alice, "top", url=ARTICLE)
        reply = await make_comment(client, alice, "the reply", url=None, parent_id=top["id"])
        response = await client.get(f"/c/{reply['id']}/fragment")
        assert response.status_code == 200
        assert response.text.strip().startswith('<li class="comment')
        assert f'id="c{reply["id"]}"' in response.text
        assert f'id="c{top["id"]}"' not in response.text
        assert (await client.get("/c/999999/fragment")).status_code == 404


class TestLoadMore:
    @pytest.fixture
    def settings_overrides(self):
        return {"thread_page_size": 2}

    async def test_cursor_link_and_fragment_page_through_top_level_comments(self, client):
        alice = await make_user(client)
        ids = [(await make_comment(client, alice, f"c{n}", url=ARTICLE))["id"] for n in range(5)]
        path = await open_discussion(client)
        html = (await client.get(path, params={"sort": "old"})).text
        assert f'id="c{ids[1]}"' in html
        assert f'id="c{ids[2]}"' not in html
        cursor = re.search(r'data-action="load-more" data-cursor="([^"]+)"', html).group(1)
        # Without JavaScript: the link renders the next page.
        html = (await client.get(path, params={"sort": "old", "cursor": cursor})).text
        assert f'id="c{ids[2]}"' in html
        assert f'id="c{ids[0]}"' not in html
        assert "Back to the first comments" in html
        # With JavaScript: a fragment and the next cursor in a header.
        response = await client.get(f"{path}/more", params={"sort": "old", "cursor": cursor})
        assert response.status_code == 200
        assert [int(i) for i in re.findall(r'id="c(\d+)"', response.text)] == ids[2:4]
        last = await client.get(
            f"{path}/more", params={"sort": "old", "cursor": response.headers["x-next-cursor"]}
        )
        assert [int(i) for i in re.findall(r'id="c(\d+)"', last.text)] == ids[4:]
        assert last.headers["x-next-cursor"] == ""

    async def test_forged_cursor_is_a_422_page(self, client):
        path = await open_discussion(client)
        response = await client.get(path, params={"cursor": "garbage"})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")


class TestStatic:
    async def test_static_files_are_cached_for_long(self, client):
        html = (await client.get("/d")).text
        css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', html).group(1)
        response = await client.get(css)
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["cache-control"]
        assert (await client.get("/static/nope.css")).status_code == 404

    async def test_nothing_is_written_by_reading(self, app, client):
        await client.get(await open_discussion(client))
        assert await count_comments(app) == 0
