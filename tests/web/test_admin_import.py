"""Importing by upload: the admin page ``/admin/import`` and ``POST /api/v1/imports``.

Who may upload, the summary, hostile files answered readably with nothing written, the
temporary file removed, and the larger body limit that holds on these two paths only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest
from factories import make_user, promote, read_thread
from sqlalchemy import func, select
from web_browser import csrf, sign_in

from rejoinder.comments.models import Comment
from rejoinder.importers.models import ImportedIdentity, ImportRecord
from rejoinder.pages.models import Page

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
DISQUS = (FIXTURES / "disqus.xml").read_bytes()
FIRST_POST = "https://blog.example/2015/first-post/"
HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n'
NS = b'<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
BILLION_LAUGHS = (
    HEAD + b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    + NS
    + b"<post><message>&lol3;</message></post></disqus>"
)
EXTERNAL_ENTITY = (
    HEAD + b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + NS
    + b'<thread dsq:id="1"><link>https://e.example/</link></thread>'
    b'<post dsq:id="2"><message>&x;</message><createdAt>2015-01-01T00:00:00Z</createdAt>'
    b'<thread dsq:id="1"/></post></disqus>'
)  # fmt: skip
HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "external entity": EXTERNAL_ENTITY,
    "truncated": DISQUS[: DISQUS.index(b'<post dsq:id="1002">') + 40],
    "wrong encoding": HEAD + NS + '<thread dsq:id="1"><title>caf\xe9</title>'.encode("latin-1"),
    # Fails late: three comments are already in the transaction when the date is read.
    "odd date": DISQUS.replace(b"2015-03-02T12:00:00Z", b"yesterday-ish", 1),
}


def padded(size: int) -> bytes:
    """The Disqus fixture grown past ``size`` bytes by an XML comment the parser skips."""
    filler = b"<!-- " + b"x" * size + b" -->"
    return DISQUS.replace(b"<category ", filler + b"<category ", 1)


async def count(app, model) -> int:
    async with app.state.db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def nothing_written(app) -> bool:
    counts = [await count(app, model) for model in (Comment, ImportedIdentity, ImportRecord, Page)]
    return counts == [0, 0, 0, 0]


@pytest.fixture
async def admin(app, client):
    user = await make_user(client, "boss")
    await promote(app, user, "admin")
    return user


@pytest.fixture
def temp_dir(tmp_path, monkeypatch) -> Path:
    """Where uploads are copied for the parsers: must be empty again after every import."""
    directory = tmp_path / "uploads"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


async def upload_page(
    client: httpx.AsyncClient, data: bytes, fmt: str = "disqus", **fields: str
) -> httpx.Response:
    token = await csrf(client, "/admin/import")
    return await client.post(
        "/admin/import",
        data={"csrf_token": token, "format": fmt, **fields},
        files={"file": ("export.xml", data, "application/xml")},
    )


async def upload_api(
    client: httpx.AsyncClient, user, data: bytes, fmt: str = "disqus", **fields: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/imports",
        data={"format": fmt, **fields},
        files={"file": ("export.xml", data, "application/xml")},
        headers=user.auth,
    )


class TestPageAccess:
    async def test_anonymous_readers_are_sent_to_sign_in(self, client):
        response = await client.get("/admin/import")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/admin/import"

    async def test_readers_and_moderators_are_refused(self, app, client):
        reader, mod = await make_user(client, "alice"), await make_user(client, "mod")
        await promote(app, mod, "moderator")
        for user in (reader, mod):
            await sign_in(client, user)
            page = await client.get("/admin/import")
            assert page.status_code == 403
            assert "Only admins can import discussions." in page.text
            token = await csrf(client, "/settings")
            posted = await client.post(
                "/admin/import",
                data={"csrf_token": token, "format": "disqus"},
                files={"file": ("export.xml", DISQUS, "application/xml")},
            )
            assert posted.status_code == 403
        assert await nothing_written(app)

    async def test_admins_get_the_form_and_a_link_in_the_moderation_nav(self, app, client, admin):
        await sign_in(client, admin)
        page = await client.get("/admin/import")
        assert page.status_code == 200
        assert 'enctype="multipart/form-data"' in page.text
        assert 'value="rejoinder-json"' in page.text
        assert 'href="/admin/import" aria-current="page"' in page.text
        assert 'href="/admin/import"' in (await client.get("/mod")).text
        mod = await make_user(client, "mod")
        await promote(app, mod, "moderator")
        await sign_in(client, mod)
        assert 'href="/admin/import"' not in (await client.get("/mod")).text


class TestPageUpload:
    async def test_summary_then_comments_in_the_thread(self, app, client, admin, temp_dir):
        await sign_in(client, admin)
        response = await upload_page(client, DISQUS)
        assert response.status_code == 200, response.text
        summary = response.text.split("data-import-summary", 1)[1].split("</section>", 1)[0]
        assert "Imported 4 comments from export.xml" in summary
        assert "Skipped 1: spam" in summary
        assert "Skipped 1: deleted" in summary
        assert "javascript:alert(1)" in summary  # the error, with its element
        assert "First post</a>" in summary
        assert list(temp_dir.iterdir()) == []
        thread = await read_thread(client, FIRST_POST)
        authors = sorted(c["author"]["name"] for c in thread["comments"])
        assert authors == ["Ann", "Ann"]
        assert thread["page"]["comment_count"] == 4

    async def test_flags_keep_spam_and_deleted(self, app, client, admin):
        await sign_in(client, admin)
        response = await upload_page(client, DISQUS, keep_spam="on", keep_deleted="on")
        assert response.status_code == 200, response.text
        assert "Imported 6 comments" in response.text

    @pytest.mark.parametrize("name", list(HOSTILE))
    async def test_hostile_file_is_explained_and_nothing_written(
        self, app, client, admin, temp_dir, name
    ):
        await sign_in(client, admin)
        response = await upload_page(client, HOSTILE[name])
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert 'class="notice notice--error" role="alert">Nothing was imported.' in response.text
        assert "root:" not in response.text  # the external entity was never read
        assert "data-import-summary" not in response.text
        assert await nothing_written(app)
        assert list(temp_dir.iterdir()) == []

    async def test_missing_file_and_unknown_format_re_render_the_form(self, client, admin):
        await sign_in(client, admin)
        token = await csrf(client, "/admin/import")
        response = await client.post(
            "/admin/import", data={"csrf_token": token, "format": "mbox"}, files={}
        )
        assert response.status_code == 422
        assert "Choose one of the formats." in response.text
        assert "Choose the file to import." in response.text

    async def test_arguments_the_format_cannot_use_are_explained(self, app, client, admin):
        await sign_in(client, admin)
        response = await upload_page(client, DISQUS, url="https://blog.example/x")
        assert response.status_code == 422
        assert "--url is for the text format" in response.text
        assert await nothing_written(app)

    async def test_forged_form_is_refused(self, app, client, admin):
        await sign_in(client, admin)
        response = await client.post(
            "/admin/import",
            data={"csrf_token": "forged", "format": "disqus"},
            files={"file": ("export.xml", DISQUS, "application/xml")},
        )
        assert response.status_code == 403
        assert await nothing_written(app)


class TestBodyLimit:
    async def test_over_a_megabyte_is_taken_here_and_refused_elsewhere(self, app, client, admin):
        big = padded(1_500_000)
        await sign_in(client, admin)
        response = await upload_page(client, big)
        assert response.status_code == 200, response.text[:500]
        assert "Imported 4 comments" in response.text
        token = await csrf(client, "/admin/import")
        for path in ("/admin/webhooks", "/settings/password", "/admin/importer"):
            refused = await client.post(
                path,
                data={"csrf_token": token},
                files={"file": ("export.xml", big, "application/xml")},
            )
            assert refused.status_code == 413, path
        comment = await client.post(
            "/api/v1/comments",
            json={"url": FIRST_POST, "body": "x" * 1_100_000},
            headers=admin.auth,
        )
        assert comment.status_code == 413

    async def test_api_path_takes_large_uploads_too(self, client, admin):
        response = await upload_api(client, admin, padded(1_500_000))
        assert response.status_code == 200, response.text[:500]


class TestConfiguredLimit:
    @pytest.fixture
    def settings_overrides(self):
        return {"import_upload_max_bytes": 2_000_000}

    async def test_uploads_over_the_setting_are_413(self, app, client, admin):
        await sign_in(client, admin)
        assert (await upload_page(client, padded(1_500_000))).status_code == 200
        response = await upload_page(client, padded(2_100_000))
        assert response.status_code == 413
        assert response.json()["detail"] == "Request bodies are limited to 2,000,000 bytes."
        assert (await upload_api(client, admin, padded(2_100_000))).status_code == 413


class TestApi:
    async def test_admin_upload_returns_the_summary(self, app, client, admin, temp_dir):
        response = await upload_api(client, admin, DISQUS)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["source"] == "disqus"
        assert body["imported"] == {"comments": 4, "pages": 1, "identities": 3}
        assert body["skipped"] == {"deleted": 1, "spam": 1, "thread unknown or unusable": 1}
        assert any("javascript:alert(1)" in error for error in body["errors"])
        assert len(body["page_ids"]) == 1
        assert list(temp_dir.iterdir()) == []
        again = await upload_api(client, admin, DISQUS)
        assert again.json()["imported"]["comments"] == 0
        assert again.json()["skipped"]["already imported"] == 4

    async def test_text_thread_with_its_url(self, client, admin):
        text = b"A title\n\nThe article.\n\n1. Ann says\n\nFirst!\n"
        response = await upload_api(client, admin, text, "text", url="https://t.example/a")
        assert response.status_code == 200, response.text
        thread = await read_thread(client, "https://t.example/a")
        assert [c["author"]["name"] for c in thread["comments"]] == ["Ann"]

    async def test_who_may_upload(self, app, client, admin):
        reader = await make_user(client, "alice")
        refused = await upload_api(client, reader, DISQUS)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        anonymous = await client.post(
            "/api/v1/imports",
            data={"format": "disqus"},
            files={"file": ("export.xml", DISQUS, "application/xml")},
        )
        assert anonymous.status_code == 401
        assert await nothing_written(app)

    @pytest.mark.parametrize("name", list(HOSTILE))
    async def test_hostile_file_is_a_problem_and_nothing_written(self, app, client, admin, name):
        response = await upload_api(client, admin, HOSTILE[name])
        assert response.status_code == 422
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["code"] == "import-failed"
        assert problem["detail"]
        assert await nothing_written(app)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [({"format": "mbox"}, "format"), ({"format": "disqus", "extra": "1"}, "extra")],
    )
    async def test_bad_fields_are_422(self, client, admin, fields, field):
        response = await client.post(
            "/api/v1/imports",
            data=fields,
            files={"file": ("export.xml", DISQUS, "application/xml")},
            headers=admin.auth,
        )
        assert response.status_code == 422
        assert field in [error["field"] for error in response.json()["errors"]]

    async def test_missing_file_is_422(self, client, admin):
        response = await client.post(
            "/api/v1/imports", data={"format": "disqus"}, files={}, headers=admin.auth
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "file"
