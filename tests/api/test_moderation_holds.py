"""Hold rules: each one, configured through settings, holds a comment pending review."""

from __future__ import annotations

import pytest
from factories import make_comment, make_user, promote, read_thread
from pydantic import ValidationError

from rejoinder import events
from rejoinder.settings import Settings

pytestmark = pytest.mark.anyio

ARTICLE = "https://example.com/held"


async def post(client, user, body, url=ARTICLE):
    return await make_comment(client, user, body, url=url)


async def visible_ids(client, url=ARTICLE, user=None):
    return [c["id"] for c in (await read_thread(client, url, user=user))["comments"]]


async def queue_reasons(client, moderator):
    response = await client.get("/api/v1/moderation/queue", headers=moderator.auth)
    assert response.status_code == 200
    return [[r["text"] for r in item["reports"]] for item in response.json()["items"]]


@pytest.fixture
async def moderator(client, app):
    user = await make_user(client, "mod")
    await promote(app, user, "moderator")
    return user


@pytest.fixture
def announced(app):
    seen: list[events.Event] = []

    async def listener(event: events.Event) -> None:
        seen.append(event)

    app.state.event_listeners.append(listener)
    return seen


class TestNewAccounts:
    @pytest.fixture
    def settings_overrides(self):
        return {"hold_account_age_hours": 24}

    async def test_held_until_approved(self, client, moderator, announced):
        alice, bob = await make_user(client), await make_user(client)
        held = await post(client, alice, "my first words here")
        assert held["status"] == "pending"
        assert not any(isinstance(e, events.CommentPosted) for e in announced)
        assert await visible_ids(client) == []
        assert await visible_ids(client, user=bob) == []
        assert await visible_ids(client, user=alice) == [held["id"]]
        assert (await client.get(f"/api/v1/comments/{held['id']}")).status_code == 404
        thread = await read_thread(client, ARTICLE)
        assert thread["page"]["comment_count"] == 0
        assert await queue_reasons(client, moderator) == [
            ["new_account: account younger than 24 hours"]
        ]
        response = await client.post(
            "/api/v1/moderation/actions",
            json={"action": "approve", "comment_ids": [held["id"]]},
            headers=moderator.auth,
        )
        assert response.status_code == 200
        assert await visible_ids(client, user=bob) == [held["id"]]
        assert (await read_thread(client, ARTICLE))["page"]["comment_count"] == 1
        posted = [e for e in announced if isinstance(e, events.CommentPosted)]
        assert [e.comment_id for e in posted] == [held["id"]]

    async def test_moderators_are_never_held(self, client, moderator):
        assert (await post(client, moderator, "official note"))["status"] == "visible"

    async def test_replies_to_held_comments_are_refused_to_others(self, client):
        alice, bob = await make_user(client), await make_user(client)
        held = await post(client, alice, "waiting")
        response = await client.post(
            "/api/v1/comments", json={"body": "re", "parent_id": held["id"]}, headers=bob.auth
        )
        assert response.status_code == 404


class TestFewApproved:
    @pytest.fixture
    def settings_overrides(self):
        return {"hold_min_approved_comments": 1}

    async def test_first_comment_held_then_trusted(self, client, moderator):
        alice = await make_user(client)
        first = await post(client, alice, "hello everyone")
        assert first["status"] == "pending"
        await client.post(
            "/api/v1/moderation/actions",
            json={"action": "approve", "comment_ids": [first["id"]]},
            headers=moderator.auth,
        )
        assert (await post(client, alice, "second thought"))["status"] == "visible"


class TestContentRules:
    @pytest.fixture
    def settings_overrides(self):
        return {
            "hold_max_links": 2,
            "blocked_words": ["casino"],
            "blocked_patterns": [r"v[i1]agra", r"^(a|a)*$"],
        }

    async def test_too_many_links(self, client, moderator):
        alice = await make_user(client)
        links = " ".join(f"https://l{n}.example/" for n in range(3))
        assert (await post(client, alice, links))["status"] == "pending"
        ok = " ".join(f"https://l{n}.example/" for n in range(2))
        assert (await post(client, alice, ok, url="https://example.com/other"))[
            "status"
        ] == "visible"
        assert await queue_reasons(client, moderator) == [["links: 3 links (limit 2)"]]

    @pytest.mark.parametrize(
        ("text", "held"),
        [
            ("Visit our CASINO now", True),
            ("casinos are a topic", False),
            ("cheap v1agra", True),
            ("nothing to see", False),
        ],
    )
    async def test_blocked_words_and_patterns(self, client, text, held):
        alice = await make_user(client)
        assert (await post(client, alice, text))["status"] == ("pending" if held else "visible")

    async def test_pattern_that_runs_too_long_holds(self, client, moderator):
        alice = await make_user(client)
        # "^(a|a)*$" backtracks exponentially on this: the time limit stops it and holds.
        posted = await post(client, alice, "a" * 3000 + "!")
        assert posted["status"] == "pending"
        (reasons,) = await queue_reasons(client, moderator)
        assert "timed out" in reasons[0]

    async def test_edit_that_breaks_a_rule_is_held(self, client):
        alice, bob = await make_user(client), await make_user(client)
        posted = await post(client, alice, "innocent")
        response = await client.patch(
            f"/api/v1/comments/{posted['id']}", json={"body": "now: casino"}, headers=alice.auth
        )
        assert response.status_code == 200
        assert response.json()["status"] == "pending"
        assert await visible_ids(client, user=bob) == []
        assert (await read_thread(client, ARTICLE))["page"]["comment_count"] == 0


class TestFlood:
    @pytest.fixture
    def settings_overrides(self):
        return {"flood_max_pages": 2}

    async def test_same_text_on_many_pages_is_held(self, client, moderator):
        alice, bob = await make_user(client), await make_user(client)
        text = "Great article! Visit my profile for more."
        assert (await post(client, alice, text, "https://a.example/1"))["status"] == "visible"
        # Case and punctuation do not make a different text.
        variant = "great ARTICLE visit my profile for more"
        assert (await post(client, alice, variant, "https://a.example/2"))["status"] == "visible"
        third = await post(client, alice, text, "https://a.example/3")
        assert third["status"] == "pending"
        # Another account from the same address is the same source.
        assert (await post(client, bob, text, "https://a.example/4"))["status"] == "pending"
        (first_reason, _) = await queue_reasons(client, moderator)
        assert first_reason[0].startswith("flood: same text on 2 other pages")

    async def test_short_texts_and_one_page_do_not_count(self, client):
        alice = await make_user(client)
        for n in range(4):
            assert (await post(client, alice, "Thanks!", f"https://b.example/{n}"))[
                "status"
            ] == "visible"
        for _ in range(4):
            assert (await post(client, alice, "a long reply repeated on one page"))[
                "status"
            ] == "visible"


class TestFloodOff:
    @pytest.fixture
    def settings_overrides(self):
        return {"flood_window_seconds": 0}

    async def test_window_zero_turns_it_off(self, client):
        alice = await make_user(client)
        for n in range(4):
            posted = await post(client, alice, "the very same long text", f"https://c.example/{n}")
            assert posted["status"] == "visible"


class TestClassifier:
    async def test_abusive_text_is_held_by_default(self, client, moderator):
        alice = await make_user(client)
        assert (await post(client, alice, "you are a fucking idiot"))["status"] == "pending"
        assert (await post(client, alice, "a thoughtful reply"))["status"] == "visible"
        (reasons,) = await queue_reasons(client, moderator)
        assert reasons[0].startswith("classifier: score")


class TestClassifierOff:
    @pytest.fixture
    def settings_overrides(self):
        return {"classifier": "none"}

    async def test_none_publishes(self, client):
        alice = await make_user(client)
        assert (await post(client, alice, "you are a fucking idiot"))["status"] == "visible"


@pytest.mark.parametrize(
    "overrides",
    [
        {"blocked_patterns": ["(unclosed"]},
        {"blocked_patterns": ["x" * 301]},
        {"blocked_words": [""]},
        {"classifier": "remote-service"},
        {"comment_rate": "0/60"},
    ],
)
def test_bad_settings_are_refused_at_start(overrides):
    with pytest.raises(ValidationError):
        Settings(**overrides)
