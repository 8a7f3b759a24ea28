"""Importers end to end on both databases: nesting, statuses, identities, re-imports, failures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from factories import make_user, promote, read_thread
from sqlalchemy import func, select

from rejoinder.comments.models import Comment, CommentStatus
from rejoinder.importers.items import ImportFailed
from rejoinder.importers.models import ImportedIdentity, ImportRecord
from rejoinder.importers.runner import ImportFormat, import_file
from rejoinder.importers.service import ImportOptions

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
SEED = next((Path(__file__).parents[2].parent / "shared" / "seeds").glob("004_*.txt"))


async def run(app, settings, fmt, path, **kwargs):
    options = ImportOptions(
        keep_spam=kwargs.pop("keep_spam", False), keep_deleted=kwargs.pop("keep_deleted", False)
    )
    return await import_file(app.state.db, settings, ImportFormat(fmt), path, options, **kwargs)


async def count(app, model) -> int:
    async with app.state.db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def comments(app) -> list[Comment]:
    async with app.state.db.read_session() as session:
        rows = await session.execute(select(Comment).order_by(Comment.created_at, Comment.id))
        return list(rows.scalars())


def names(nodes) -> list:
    return [(c["author"]["name"], names(c.get("replies") or [])) for c in nodes]


def isso_db(tmp_path: Path) -> Path:
    path = tmp_path / "comments.db"
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "isso.sql").read_text())
    conn.close()
    return path


class TestDisqus:
    async def test_threads_posts_nesting_and_skips(self, app, client, settings):
        summary = await run(app, settings, "disqus", FIXTURES / "disqus.xml")
        assert summary.comments == 4
        assert summary.skipped == {"spam": 1, "deleted": 1, "thread unknown or unusable": 1}
        assert any("javascript:alert(1)" in e for e in summary.errors)
        thread = await read_thread(client, "https://blog.example/2015/first-post/")
        # Bob's reply came after Cy's reply to it; Ann's reply to a deleted post moved up.
        assert names(thread["comments"]) == [("Ann", [("Bob", [("Cy", [])])]), ("Ann", [])]
        first = thread["comments"][0]
        # <b> and <script> are not in the allowed subset; the javascript: href is dropped.
        assert first["body_html"] == '<p>Hello world <a rel="nofollow ugc noopener">link</a></p>'
        assert thread["page"]["title"] == "First post"
        assert thread["page"]["comment_count"] == 4

    async def test_timestamps_are_kept_in_utc(self, app, settings):
        await run(app, settings, "disqus", FIXTURES / "disqus.xml")
        stored = {c.guest_name: c.created_at.isoformat() for c in await comments(app)}
        assert stored["Bob"] == "2015-03-01T10:00:00+00:00"
        assert stored["Cy"] == "2015-03-01T12:00:00+00:00"

    async def test_one_identity_per_person(self, app, settings):
        await run(app, settings, "disqus", FIXTURES / "disqus.xml")
        async with app.state.db.read_session() as session:
            rows = (await session.execute(select(ImportedIdentity))).scalars().all()
        keys = sorted(r.external_key for r in rows)
        assert keys == ["name:cy", "user:ann", "user:bob"]
        ann = next(r for r in rows if r.external_key == "user:ann")
        assert ann.email_hash is not None
        assert "@" not in ann.email_hash

    async def test_importing_twice_adds_nothing(self, app, settings):
        await run(app, settings, "disqus", FIXTURES / "disqus.xml")
        again = await run(app, settings, "disqus", FIXTURES / "disqus.xml")
        assert again.comments == 0
        assert again.skipped["already imported"] == 4
        assert await count(app, Comment) == 4
        assert await count(app, ImportRecord) == 4

    async def test_flags_keep_spam_and_deleted(self, app, settings):
        summary = await run(
            app, settings, "disqus", FIXTURES / "disqus.xml", keep_spam=True, keep_deleted=True
        )
        assert summary.comments == 6
        by_name = {c.guest_name: c for c in await comments(app)}
        assert by_name["Spammer"].status is CommentStatus.SPAM
        assert by_name["Dee"].deleted_at is not None
        assert by_name["Dee"].body_html == ""
        # Kept as a placeholder, the deleted comment keeps its reply under it.
        assert by_name["Ann"].parent_id == by_name["Dee"].id

    async def test_claiming_an_identity_shows_the_account(self, app, client, settings):
        await run(app, settings, "disqus", FIXTURES / "disqus.xml")
        admin = await make_user(client, "root")
        await promote(app, admin, "admin")
        ann = await make_user(client, "ann_here")
        listed = await client.get(
            "/api/v1/imported-identities", params={"name": "ann"}, headers=admin.auth
        )
        assert listed.status_code == 200, listed.text
        identity_id = listed.json()["items"][0]["id"]
        forbidden = await client.post(
            f"/api/v1/imported-identities/{identity_id}/claim",
            json={"username": "ann_here"},
            headers=ann.auth,
        )
        assert forbidden.status_code == 403
        claimed = await client.post(
            f"/api/v1/imported-identities/{identity_id}/claim",
            json={"username": "ann_here"},
            headers=admin.auth,
        )
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["comments"] == 2
        thread = await read_thread(client, "https://blog.example/2015/first-post/")
        assert [c["author"]["name"] for c in thread["comments"]] == ["ann_here", "ann_here"]


class TestWordPress:
    async def test_approval_states_nesting_and_paragraphs(self, app, client, settings):
        summary = await run(app, settings, "wordpress", FIXTURES / "wordpress.xml")
        assert summary.source == "wordpress:wp.example"
        assert summary.comments == 2
        assert summary.skipped == {"spam": 1, "deleted": 1, "pingback": 1}
        stored = await comments(app)
        first, reply = stored
        assert (
            first.body_html
            == "<p>First paragraph.</p><p>Second paragraph<br>with a line break.</p>"
        )
        assert first.created_at.isoformat() == "2019-04-01T08:00:00+00:00"
        assert reply.parent_id == first.id
        assert reply.status is CommentStatus.PENDING
        thread = await read_thread(client, "https://wp.example/hello-world/")
        assert thread["page"]["comment_count"] == 1


class TestIsso:
    async def test_modes_markdown_and_votes(self, app, settings, tmp_path):
        summary = await run(
            app, settings, "isso", isso_db(tmp_path), site="https://isso.example", keep_deleted=True
        )
        assert summary.comments == 4
        stored = await comments(app)
        assert [c.status for c in stored] == [
            CommentStatus.VISIBLE,
            CommentStatus.VISIBLE,
            CommentStatus.PENDING,
            CommentStatus.VISIBLE,
        ]
        assert stored[0].body_html == "<p>Hello <em>isso</em></p>\n"
        assert (stored[0].upvotes, stored[0].downvotes, stored[0].controversy) == (10, 10, 20.0)
        assert stored[1].parent_id == stored[0].id
        assert stored[1].guest_name == "Anonymous"
        assert stored[1].edited_at is not None
        assert stored[3].deleted_at is not None

    async def test_deleted_skipped_by_default(self, app, settings, tmp_path):
        summary = await run(app, settings, "isso", isso_db(tmp_path), site="https://isso.example")
        assert summary.skipped == {"deleted": 1}

    async def test_requires_site(self, app, settings, tmp_path):
        with pytest.raises(ImportFailed, match="--site"):
            await run(app, settings, "isso", isso_db(tmp_path))

    async def test_not_sqlite_is_refused(self, app, settings):
        with pytest.raises(ImportFailed, match="not an SQLite database"):
            await run(app, settings, "isso", FIXTURES / "disqus.xml", site="https://i.example")

    async def test_sqlite_without_isso_tables_is_refused(self, app, settings, tmp_path):
        path = tmp_path / "other.db"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri TEXT, title TEXT)")
        conn.close()
        with pytest.raises(ImportFailed, match="no 'comments' table"):
            await run(app, settings, "isso", path, site="https://i.example")


class TestText:
    async def test_the_seed_thread(self, app, client, settings):
        url = "https://antiwar.example/pompeo-ceasefire"
        summary = await run(app, settings, "text", SEED, url=url)
        assert summary.comments == 16
        thread = await read_thread(client, url)
        tree = names(thread["comments"])
        assert [name for name, _ in tree][:3] == ["PK", "michael houston", "Bankotsu"]
        assert tree[2][1] == [
            ("JNDillard", [("Pablo Rivera", []), ("Bankotsu", [("Mary E", [])])]),
            ("Mary E", []),
            ("Marko Marjanović", [("RedBaron9495", [])]),
        ]
        assert thread["page"]["title"].startswith("Pompeo Demands Syria")
        ron = next(c for c in thread["comments"] if c["author"]["name"] == "Ron Chandler")
        assert "bombing: El Yanqui" in ron["body_html"]
        assert "pay packets.<br>A new Nuremberg" in ron["body_html"]

    async def test_reimporting_the_seed_adds_nothing(self, app, settings):
        url = "https://antiwar.example/pompeo-ceasefire"
        await run(app, settings, "text", SEED, url=url)
        again = await run(app, settings, "text", SEED, url=url)
        assert again.comments == 0
        assert await count(app, Comment) == 16


class TestAtomicity:
    async def test_a_broken_file_leaves_nothing(self, app, settings, tmp_path):
        good = (FIXTURES / "disqus.xml").read_bytes()
        path = tmp_path / "truncated.xml"
        path.write_bytes(good[: good.index(b'<post dsq:id="1005">') + 40])
        with pytest.raises(ImportFailed, match=r"truncated|malformed"):
            await run(app, settings, "disqus", path)
        assert await count(app, Comment) == 0
        assert await count(app, ImportedIdentity) == 0

    async def test_an_odd_date_fails_the_whole_import(self, app, settings, tmp_path):
        text = (FIXTURES / "disqus.xml").read_text()
        path = tmp_path / "dates.xml"
        path.write_text(text.replace("2015-03-02T12:00:00Z", "yesterday-ish", 1))
        with pytest.raises(ImportFailed, match="unreadable date 'yesterday-ish'"):
            await run(app, settings, "disqus", path)
        assert await count(app, Comment) == 0
