"""Moderation in the browser: the queue, log, bans and roles pages, reports, page controls,
pins, mutes and hidden discussions, all through forms with CSRF tokens."""

from __future__ import annotations

import re

import httpx
import pytest
from factories import User, make_comment, make_user, promote, read_thread
from web_browser import ARTICLE, csrf, open_discussion, post_form, sign_in

pytestmark = pytest.mark.anyio

MOD_PAGES = ["/mod", "/mod/log", "/mod/bans", "/admin/roles"]


def is_html(response: httpx.Response) -> bool:
    return response.headers["content-type"].startswith("text/html")


async def audit_log(client: httpx.AsyncClient, moderator: User) -> list[dict]:
    response = await client.get("/api/v1/moderation/log", headers=moderator.auth)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


async def report(client: httpx.AsyncClient, user: User, comment_id: int, reason="spam", text=None):
    body = {"reason": reason} | ({"text": text} if text else {})
    response = await client.post(
        f"/api/v1/comments/{comment_id}/reports", json=body, headers=user.auth
    )
    assert response.status_code == 201, response.text


async def comment_status(client: httpx.AsyncClient, moderator: User, comment_id: int) -> str:
    response = await client.get(f"/api/v1/comments/{comment_id}", headers=moderator.auth)
    return str(response.json()["status"]) if response.status_code == 200 else "gone"


@pytest.fixture
async def people(client, app):
    """A moderator, an admin and three readers; no browser is signed in yet."""
    mod = await make_user(client, "mod")
    await promote(app, mod, "moderator")
    admin = await make_user(client, "boss")
    await promote(app, admin, "admin")
    return {
        "mod": mod,
        "admin": admin,
        "alice": await make_user(client, "alice"),
        "bob": await make_user(client, "bob"),
        "carol": await make_user(client, "carol"),
    }


@pytest.fixture
async def reported(client, people):
    """Bob's comment, Carol's reply to it, and Alice's report of the reply."""
    top = await make_comment(client, people["bob"], "The **tides** are on time.", url=ARTICLE)
    reply = await make_comment(
        client, people["carol"], "Tides are <never> on time.", url=ARTICLE, parent_id=top["id"]
    )
    await report(client, people["alice"], reply["id"], "harassment", "Name-calling, again.")
    page_id = int((await open_discussion(client)).split("/")[2])
    return {"top": top, "reply": reply, "page_id": page_id}


class TestAccess:
    @pytest.mark.parametrize("path", MOD_PAGES)
    async def test_anonymous_readers_get_404(self, client, path):
        response = await client.get(path)
        assert response.status_code == 404
        assert is_html(response)

    @pytest.mark.parametrize("path", MOD_PAGES)
    async def test_signed_in_readers_get_404(self, client, people, path):
        await sign_in(client, people["alice"])
        response = await client.get(path)
        assert response.status_code == 404
        # The error page knows who is signed in, and offers no moderation link.
        assert "alice" in response.text
        assert 'href="/mod"' not in response.text

    @pytest.mark.parametrize("path", MOD_PAGES)
    async def test_moderators_see_mod_pages_and_only_admins_see_roles(self, client, people, path):
        await sign_in(client, people["mod"])
        assert (await client.get(path)).status_code == (404 if path == "/admin/roles" else 200)
        await sign_in(client, people["admin"])
        response = await client.get(path)
        assert response.status_code == 200
        assert 'href="/mod"' in response.text  # the header links staff to the queue

    async def test_readers_posting_moderation_forms_get_404_and_change_nothing(
        self, client, people, reported
    ):
        await sign_in(client, people["alice"])
        reply_id = reported["reply"]["id"]
        forms = [
            ("/mod/actions", {"action": "remove", "comment_ids": str(reply_id)}),
            ("/mod/bans", {"username": "bob", "reason": "no"}),
            ("/admin/roles", {"username": "alice", "role": "admin"}),
            (f"/p/{reported['page_id']}/controls", {"locked": "on"}),
            (f"/c/{reported['top']['id']}/pin", {"pinned": "1"}),
        ]
        for path, data in forms:
            response = await post_form(client, path, data)
            assert response.status_code == 404, path
        assert await comment_status(client, people["mod"], reply_id) == "visible"
        assert await audit_log(client, people["mod"]) == []


class TestQueue:
    async def test_item_shows_comment_parent_page_reports_and_standing(
        self, client, people, reported
    ):
        await sign_in(client, people["mod"])
        response = await client.get("/mod")
        assert response.status_code == 200
        html = response.text
        assert "Tides are &lt;never&gt; on time." in html  # the reported comment, escaped
        assert "The <strong>tides</strong> are on time." in html  # the comment it answers
        assert "example.com/2026/11/story" in html  # the page
        assert "Harassment \u00d7 1" in html
        assert "Name-calling, again." in html
        assert "by alice" in html
        assert "1 approved comment" in html  # carol's standing
        assert f'name="comment_ids" value="{reported["reply"]["id"]}" form="bulk"' in html

    async def test_filters_by_reason_and_age(self, client, people, reported):
        await sign_in(client, people["mod"])
        spam_only = await client.get("/mod", params={"reason": "spam"})
        assert "never" not in spam_only.text
        assert "Nothing waits for a decision with these filters" in spam_only.text
        assert "never" in (await client.get("/mod", params={"reason": "harassment"})).text
        # Reported a moment ago: not older than an hour.
        assert "never" not in (await client.get("/mod", params={"age": "1h"})).text
        assert (await client.get("/mod", params={"age": "1y"})).status_code == 422

    @pytest.mark.parametrize(
        ("action", "status", "logged"),
        [("approve", "visible", "approve"), ("remove", "removed", "remove"),
         ("spam", "spam", "spam")],
    )  # fmt: skip
    async def test_one_click_actions_work_and_are_logged(
        self, client, people, reported, action, status, logged
    ):
        await sign_in(client, people["mod"])
        reply_id = reported["reply"]["id"]
        response = await post_form(
            client, "/mod/actions",
            {"comment_ids": str(reply_id), "action": action, "reason": "rule 3",
             "back": "/mod?reason=harassment"},
        )  # fmt: skip
        assert response.status_code == 303
        assert response.headers["location"] == f"/mod?reason=harassment&done={action}&n=1"
        page = await client.get(response.headers["location"])
        assert "1 comment " in page.text
        assert "never" not in page.text
        assert await comment_status(client, people["mod"], reply_id) == status
        entry = (await audit_log(client, people["mod"]))[0]
        assert (entry["actor"], entry["action"], entry["target_id"], entry["reason"]) == (
            "mod", logged, reply_id, "rule 3",
        )  # fmt: skip
        log_page = (await client.get("/mod/log")).text
        assert "rule 3" in log_page
        assert f'href="/c/{reply_id}"' in log_page

    async def test_removed_comment_with_replies_is_a_placeholder(self, client, people, reported):
        await sign_in(client, people["mod"])
        top_id = reported["top"]["id"]
        await post_form(client, "/mod/actions", {"comment_ids": str(top_id), "action": "remove"})
        await sign_in(client, people["alice"])
        html = (await client.get(await open_discussion(client))).text
        assert "[removed by a moderator]" in html
        assert "tides" not in html
        assert "never" in html  # the reply under it keeps its place

    async def test_ban_author_needs_a_reason_and_then_bans(self, client, people, reported):
        await sign_in(client, people["mod"])
        reply_id = str(reported["reply"]["id"])
        refused = await post_form(
            client, "/mod/actions", {"comment_ids": reply_id, "action": "ban_author"}
        )
        assert refused.status_code == 422
        assert "A ban needs a reason" in refused.text
        assert await comment_status(client, people["mod"], int(reply_id)) == "visible"
        assert await audit_log(client, people["mod"]) == []
        done = await post_form(
            client, "/mod/actions",
            {"comment_ids": reply_id, "action": "ban_author", "reason": "abuse", "ban_days": "7"},
        )  # fmt: skip
        assert done.status_code == 303
        bans = (await client.get("/mod/bans")).text
        assert 'data-ban="carol"' in bans
        assert "abuse" in bans
        assert {e["action"] for e in await audit_log(client, people["mod"])} == {"remove", "ban"}

    async def test_bulk_form_acts_on_every_ticked_comment(self, client, people):
        one = await make_comment(client, people["bob"], "buy pills", url=ARTICLE)
        two = await make_comment(client, people["bob"], "buy more pills", url=ARTICLE)
        for comment in (one, two):
            await report(client, people["alice"], comment["id"])
        await sign_in(client, people["mod"])
        token = await csrf(client)
        response = await client.post(
            "/mod/actions",
            data={"csrf_token": token, "action": "spam", "reason": "",
                  "comment_ids": [str(one["id"]), str(two["id"])]},
        )  # fmt: skip
        assert response.status_code == 303
        assert response.headers["location"].endswith("done=spam&n=2")
        for comment in (one, two):
            assert await comment_status(client, people["mod"], comment["id"]) == "spam"
        assert len(await audit_log(client, people["mod"])) == 2

    @pytest.mark.parametrize(
        ("data", "message"),
        [({"action": "remove"}, "Tick at least one comment"),
         ({"action": "explode", "comment_ids": "1"}, "Choose what to do"),
         ({"action": "ban_author", "comment_ids": "1", "reason": "x", "ban_days": "99999"},
          "1 to 3,650 days"),
         ({"action": "remove", "comment_ids": "999999"}, "No comment with id 999999")],
    )  # fmt: skip
    async def test_bad_action_forms_say_why_and_write_nothing(
        self, client, people, reported, data, message
    ):
        await sign_in(client, people["mod"])
        response = await post_form(client, "/mod/actions", data)
        assert response.status_code == 422
        assert message in response.text
        assert await audit_log(client, people["mod"]) == []

    async def test_actions_need_the_csrf_token(self, client, people, reported):
        await sign_in(client, people["mod"])
        response = await client.post(
            "/mod/actions", data={"action": "remove", "comment_ids": str(reported["reply"]["id"])}
        )
        assert response.status_code == 403
        assert await comment_status(client, people["mod"], reported["reply"]["id"]) == "visible"

    async def test_log_pages_backwards(self, client, app, people, reported):
        await sign_in(client, people["mod"])
        for _ in range(51):
            await post_form(
                client, "/mod/actions",
                {"comment_ids": str(reported["reply"]["id"]), "action": "approve"},
            )  # fmt: skip
        first = (await client.get("/mod/log")).text
        assert first.count("data-log-entry=") == 50
        older = re.search(r'href="/mod/log\?before=(\d+)"', first)
        assert older
        second = (await client.get(f"/mod/log?before={older.group(1)}")).text
        assert second.count("data-log-entry=") == 1


class TestBansAndRoles:
    async def test_ban_form_and_lift(self, client, people):
        await sign_in(client, people["mod"])
        missing = await post_form(client, "/mod/bans", {"username": "bob", "reason": ""})
        assert missing.status_code == 422
        response = await post_form(
            client, "/mod/bans", {"username": "bob", "reason": "Spamming links", "days": ""}
        )
        assert response.status_code == 200
        assert "bob is banned." in response.text
        assert "permanent" in response.text
        lift = await post_form(client, "/mod/bans/bob/lift", {})
        assert lift.status_code == 303
        assert 'data-ban="bob"' not in (await client.get("/mod/bans")).text
        actions = [e["action"] for e in await audit_log(client, people["mod"])]
        assert actions == ["unban", "ban"]

    async def test_moderators_cannot_ban_admins(self, client, people):
        await sign_in(client, people["mod"])
        response = await post_form(client, "/mod/bans", {"username": "boss", "reason": "coup"})
        assert response.status_code == 422
        assert "Only admins can ban moderators" in response.text
        assert 'data-ban="boss"' not in response.text

    async def test_banned_reader_sees_reason_and_end_instead_of_the_composer(self, client, people):
        await sign_in(client, people["mod"])
        await post_form(client, "/mod/bans", {"username": "bob", "reason": "Flooding", "days": "3"})
        await sign_in(client, people["bob"])
        html = (await client.get(await open_discussion(client))).text
        assert "data-banned" in html
        assert "Flooding" in html
        assert "until" in html
        assert "data-composer" not in html

    async def test_admin_appoints_a_moderator_who_then_sees_the_queue(self, client, people):
        await sign_in(client, people["admin"])
        response = await post_form(
            client, "/admin/roles", {"username": "alice", "role": "moderator"}
        )
        assert response.status_code == 200
        assert "alice is now: moderator." in response.text
        assert 'href="/u/alice"' in response.text
        refused = await post_form(client, "/admin/roles", {"username": "boss", "role": "user"})
        assert refused.status_code == 422
        assert "cannot demote themselves" in refused.text
        await sign_in(client, people["alice"])
        assert (await client.get("/mod")).status_code == 200
        entries = await audit_log(client, people["mod"])
        assert [(e["action"], e["detail"]) for e in entries] == [("set_role", "user -> moderator")]


class TestReportForm:
    async def test_report_page_files_a_report_once(self, client, people, reported):
        top_id = reported["top"]["id"]
        await sign_in(client, people["alice"])
        form = await client.get(f"/c/{top_id}/report")
        assert form.status_code == 200
        assert 'value="harassment"' in form.text
        sent = await post_form(client, f"/c/{top_id}/report", {"reason": "spam", "text": ""})
        assert sent.status_code == 200
        assert "data-report-done" in sent.text
        again = await post_form(client, f"/c/{top_id}/report", {"reason": "spam"})
        assert again.status_code == 409
        assert "already reported" in again.text
        await sign_in(client, people["mod"])
        assert "Spam \u00d7 1" in (await client.get("/mod")).text

    @pytest.mark.parametrize(
        ("data", "message"),
        [({}, "Choose a reason."), ({"reason": "other"}, "Say what is wrong"),
         ({"reason": "held"}, "Choose a reason.")],
    )  # fmt: skip
    async def test_bad_reports_keep_the_text_and_say_why(
        self, client, people, reported, data, message
    ):
        await sign_in(client, people["alice"])
        response = await post_form(client, f"/c/{reported['top']['id']}/report", data)
        assert response.status_code == 422
        assert message in response.text
        await sign_in(client, people["mod"])
        assert "Spam \u00d7" not in (await client.get("/mod")).text

    async def test_discussion_offers_report_only_on_others_comments(self, client, people, reported):
        await sign_in(client, people["bob"])
        html = (await client.get(await open_discussion(client))).text
        assert f'href="/c/{reported["reply"]["id"]}/report"' in html
        assert f'href="/c/{reported["top"]["id"]}/report"' not in html  # his own
        assert 'id="report-template"' in html

    async def test_anonymous_reader_is_sent_to_log_in(self, client, reported):
        response = await client.get(f"/c/{reported['top']['id']}/report")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


class TestDiscussionControls:
    async def test_lock_replaces_the_composer_and_is_logged(self, client, people, reported):
        path = await open_discussion(client)
        page_id = reported["page_id"]
        await sign_in(client, people["mod"])
        staff_view = (await client.get(path)).text
        assert f'action="/p/{page_id}/controls"' in staff_view
        response = await post_form(
            client, f"/p/{page_id}/controls", {"locked": "on", "reason": "heated", "back": path}
        )
        assert response.status_code == 303
        assert response.headers["location"] == path
        assert "data-composer" in (await client.get(path)).text  # moderators may still write
        await sign_in(client, people["alice"])
        html = (await client.get(path)).text
        assert 'data-page-state="locked"' in html
        assert "data-composer" not in html
        assert "data-vote-form" not in html
        assert "/reply" not in html
        refused = await post_form(client, f"{path}/comments", {"body": "let me in"})
        assert refused.status_code == 403
        assert "locked" in refused.text
        entry = (await audit_log(client, people["mod"]))[0]
        assert (entry["action"], entry["reason"]) == ("lock", "heated")

    async def test_close_keeps_votes_and_reopen_restores_the_composer(
        self, client, people, reported
    ):
        path = await open_discussion(client)
        page_id = reported["page_id"]
        await sign_in(client, people["mod"])
        await post_form(client, f"/p/{page_id}/controls", {"closed": "on"})
        await sign_in(client, people["alice"])
        html = (await client.get(path)).text
        assert 'data-page-state="closed"' in html
        assert "data-composer" not in html
        assert "data-vote-form" in html
        await sign_in(client, people["mod"])
        await post_form(client, f"/p/{page_id}/controls", {})
        await sign_in(client, people["alice"])
        assert "data-composer" in (await client.get(path)).text
        actions = [e["action"] for e in await audit_log(client, people["mod"])]
        assert actions == ["reopen", "close"]

    async def test_pin_and_unpin_a_top_level_comment(self, client, people, reported):
        later = await make_comment(client, people["alice"], "Second thought.", url=ARTICLE)
        path = await open_discussion(client)
        await sign_in(client, people["mod"])
        response = await post_form(
            client, f"/c/{later['id']}/pin", {"pinned": "1", "back": f"{path}?sort=old"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"{path}?sort=old#c{later['id']}"
        html = (await client.get(f"{path}?sort=old")).text
        assert html.index(f'id="c{later["id"]}"') < html.index(f'id="c{reported["top"]["id"]}"')
        assert "badge--pinned" in html
        # Replies cannot be pinned, so they get no pin button.
        assert f'action="/c/{reported["reply"]["id"]}/pin"' not in html
        await post_form(client, f"/c/{later['id']}/pin", {"pinned": "0"})
        assert "badge--pinned" not in (await client.get(path)).text
        actions = [e["action"] for e in await audit_log(client, people["mod"])]
        assert actions == ["unpin", "pin"]


class TestReaderTools:
    async def test_mute_collapses_the_authors_comments_for_me_only(self, client, people, reported):
        path = await open_discussion(client)
        await sign_in(client, people["alice"])
        response = await post_form(client, "/u/bob/mute", {"back": f"{path}#c1"})
        assert response.status_code == 303
        assert response.headers["location"] == f"{path}#c1"
        html = (await client.get(path)).text
        top = re.search(rf'id="c{reported["top"]["id"]}".*?<details([^>]*)>', html, re.S)
        assert top
        assert "open" not in top.group(1)
        assert "bob (muted)" in html
        assert "Unmute bob" in html
        thread = await read_thread(client, ARTICLE, people["alice"])
        assert thread["comments"][0]["muted"] is True
        settings_page = (await client.get("/settings")).text
        assert 'href="/u/bob"' in settings_page
        assert "/u/bob/unmute" in settings_page
        await sign_in(client, people["carol"])
        assert "(muted)" not in (await client.get(path)).text
        await sign_in(client, people["alice"])
        await post_form(client, "/u/bob/unmute", {"back": "/settings#mutes"})
        assert "(muted)" not in (await client.get(path)).text

    async def test_hidden_discussions_are_listed_in_settings_and_can_be_unhidden(
        self, client, people, reported
    ):
        page_id = reported["page_id"]
        await sign_in(client, people["alice"])
        await post_form(client, f"/hidden-pages/{page_id}", {"back": "/"})
        html = (await client.get("/settings")).text
        assert "data-hidden-pages" in html
        assert "example.com/2026/11/story" in html
        response = await post_form(client, f"/settings/hidden-pages/{page_id}/unhide", {})
        assert response.status_code == 303
        assert "data-hidden-pages" not in (await client.get("/settings")).text
        hidden = await client.get("/api/v1/hidden-pages", headers=people["alice"].auth)
        assert hidden.json()["page_ids"] == []
