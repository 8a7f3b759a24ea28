"""Search: words in comments and titles, escaped snippets, hidden comments never found,
hostile query strings never a 5xx."""

from __future__ import annotations

import pytest
from factories import make_comment, make_user, promote
from sqlalchemy import update

from rejoinder import clock
from rejoinder.comments.models import Comment, CommentStatus

pytestmark = pytest.mark.anyio


async def search(client, q, **params):
    response = await client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def share(client, user, url, title):
    response = await client.post(
        "/api/v1/submissions", json={"url": url, "title": title}, headers=user.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_finds_words_in_comments_with_their_page_and_author(client):
    alice = await make_user(client)
    posted = await make_comment(
        client, alice, "The *Zeppelin* landed near the harbour.", url="https://example.com/a"
    )
    await make_comment(client, alice, "Nothing relevant here.", url="https://example.com/b")
    found = await search(client, "zeppelin HARBOUR")
    assert found["query"] == "zeppelin HARBOUR"
    assert found["next_cursor"] is None
    [result] = found["results"]
    assert result["kind"] == "comment"
    assert result["comment_id"] == posted["id"]
    assert result["author"] == {"name": alice.username}
    assert result["page"]["url"] == "https://example.com/a"
    assert result["page"]["key"] == "example.com/a"
    assert result["page"]["discussion_path"].startswith(f"/p/{result['page']['id']}/")
    assert result["snippet_html"] == (
        "The <mark>Zeppelin</mark> landed near the <mark>harbour</mark>."
    )


async def test_every_word_must_match_and_phrases_keep_their_order(client):
    alice = await make_user(client)
    await make_comment(client, alice, "red apple and green pear")
    assert len((await search(client, "apple pear"))["results"]) == 1
    assert (await search(client, "apple banana"))["results"] == []
    assert len((await search(client, '"green pear"'))["results"]) == 1
    assert (await search(client, '"pear green"'))["results"] == []


async def test_finds_titles_first(client):
    alice = await make_user(client)
    await make_comment(client, alice, "Volcanoes are loud.", url="https://example.com/other")
    page = await share(client, alice, "https://example.com/v", "All about volcanoes")
    found = await search(client, "volcanoes")
    assert [r["kind"] for r in found["results"]] == ["page", "comment"]
    title = found["results"][0]
    assert title["comment_id"] is None
    assert title["author"] is None
    assert title["page"]["id"] == page["page_id"]
    assert title["page"]["title"] == "All about volcanoes"
    assert title["snippet_html"] == "All about <mark>volcanoes</mark>"


async def test_snippets_escape_markup_in_text_and_titles(client):
    alice = await make_user(client)
    await make_comment(client, alice, "`<script>alert('x')</script>` beware", url="https://e.com/1")
    await share(client, alice, "https://example.com/t", "<img src=x onerror=alert(1)> beware")
    results = (await search(client, "beware script"))["results"]
    assert len(results) == 1
    assert "<script>" not in results[0]["snippet_html"]
    assert "&lt;<mark>script</mark>&gt;" in results[0]["snippet_html"]
    results = (await search(client, "onerror"))["results"]
    assert results[0]["snippet_html"].startswith("&lt;img src=x <mark>onerror</mark>=alert(1)&gt;")


async def test_long_comment_snippet_is_a_window_around_the_match(client):
    alice = await make_user(client)
    body = ("filler " * 100) + "the needle is here " + ("padding " * 100)
    await make_comment(client, alice, body)
    [result] = (await search(client, "needle"))["results"]
    snippet = result["snippet_html"]
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>needle</mark>" in snippet
    assert len(snippet) < 320


class TestHiddenComments:
    async def _set(self, app, comment_id, **values):
        async with app.state.db.write_session() as session:
            await session.execute(update(Comment).where(Comment.id == comment_id).values(**values))
            await session.commit()

    @pytest.mark.parametrize(
        "values",
        [
            {"status": CommentStatus.PENDING},
            {"status": CommentStatus.REMOVED},
            {"status": CommentStatus.SPAM},
        ],
    )
    async def test_hidden_statuses_are_never_found(self, client, app, values):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "secret quokka sighting")
        assert len((await search(client, "quokka"))["results"]) == 1
        await self._set(app, posted["id"], **values)
        assert (await search(client, "quokka"))["results"] == []

    async def test_deleted_comment_is_never_found(self, client):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "ephemeral wombat")
        response = await client.delete(f"/api/v1/comments/{posted['id']}", headers=alice.auth)
        assert response.status_code == 204
        assert (await search(client, "wombat"))["results"] == []

    async def test_deleted_at_alone_hides_a_comment(self, client, app):
        alice = await make_user(client)
        posted = await make_comment(client, alice, "lingering wombat")
        await self._set(app, posted["id"], deleted_at=clock.now())
        assert (await search(client, "wombat"))["results"] == []

    async def test_edited_comment_is_found_by_its_new_words_only(self, client, app):
        alice = await make_user(client)
        await promote(app, alice, "moderator")
        posted = await make_comment(client, alice, "original platypus")
        response = await client.patch(
            f"/api/v1/comments/{posted['id']}", json={"body": "revised echidna"}, headers=alice.auth
        )
        assert response.status_code == 200
        assert (await search(client, "platypus"))["results"] == []
        assert len((await search(client, "echidna"))["results"]) == 1


async def test_results_are_paged(client):
    alice = await make_user(client)
    for index in range(23):
        await make_comment(client, alice, f"lemur number {index}", url=f"https://e.com/{index}")
    first = await search(client, "lemur")
    assert len(first["results"]) == 20
    second = await search(client, "lemur", cursor=first["next_cursor"])
    assert len(second["results"]) == 3
    assert second["next_cursor"] is None
    ids = [r["comment_id"] for r in first["results"] + second["results"]]
    assert len(set(ids)) == 23
    assert ids == sorted(ids, reverse=True)


HOSTILE_QUERIES = [
    '"',
    '"""',
    "AND OR NOT",
    "NOT",
    "*",
    "a*",
    "NEAR(",
    "NEAR(a b, 2)",
    "^",
    "^start",
    "col:umn",
    "body_text:x",
    "(",
    ")",
    "-",
    "a - b",
    "'",
    "\\",
    "%",
    "_",
    "{a b}",
    "a + b",
    "!x & y | z",
    "<->",
    ":*",
    "\x00",
    "word\x00",
    "\u202e",
    "x" * 500,
    " ".join(["word"] * 99),
    "😀 emoji",
    "",
    "   ",
]


async def test_hostile_queries_never_fail(client):
    alice = await make_user(client)
    await make_comment(client, alice, "and or not near start column word x a b")
    for query in HOSTILE_QUERIES:
        response = await client.get("/api/v1/search", params={"q": query})
        assert response.status_code == 200, (query, response.text)
        assert isinstance(response.json()["results"], list)


async def test_operator_words_are_plain_words(client):
    alice = await make_user(client)
    await make_comment(client, alice, "this and that")
    assert len((await search(client, "AND"))["results"]) == 1
    assert len((await search(client, "NEAR("))["results"]) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 501},
        {},
        {"q": "a", "cursor": "nonsense"},
        {"q": "a", "cursor": "WyJzZWFyY2giLDEwMDAwXQ"},
        {"q": "a", "cursor": "WyJzZWFyY2giLC0xXQ"},
    ],
)
async def test_bad_parameters_are_422(client, params):
    response = await client.get("/api/v1/search", params=params)
    assert response.status_code == 422
