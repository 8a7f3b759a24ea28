"""Exports on both databases: lossless JSON round trip, Web Annotations, CSV, permissions."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema_rs
import orjson
import pytest
from factories import make_comment, make_user, promote
from sqlalchemy import delete

from rejoinder.comments.models import Comment
from rejoinder.exports.writers import csv_cell
from rejoinder.importers.models import ImportedIdentity, ImportRecord
from rejoinder.importers.runner import ImportFormat, import_file
from rejoinder.importers.service import ImportOptions
from rejoinder.pages.models import Page

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
ARTICLE = "https://example.com/article"

# Built from the Web Annotation Data Model's MUSTs (https://www.w3.org/TR/annotation-model/):
# an Annotation has @context, an IRI id, type "Annotation" and at least one target; a
# TextualBody has type and value; a specific resource has a source; a TextQuoteSelector
# has exact; a collection and page have id and type.
ANNOTATION_SCHEMA = {
    "type": "object",
    "required": ["@context", "id", "type", "first"],
    "properties": {
        "@context": {"const": "http://www.w3.org/ns/anno.jsonld"},
        "type": {"const": "AnnotationCollection"},
        "id": {"type": "string", "format": "uri"},
        "first": {
            "type": "object",
            "required": ["id", "type", "items"],
            "properties": {
                "type": {"const": "AnnotationPage"},
                "items": {"type": "array", "items": {"$ref": "#/$defs/annotation"}},
            },
        },
    },
    "$defs": {
        "annotation": {
            "type": "object",
            "required": ["@context", "id", "type", "target", "body", "motivation", "created"],
            "properties": {
                "@context": {"const": "http://www.w3.org/ns/anno.jsonld"},
                "id": {"type": "string", "pattern": "^https?://"},
                "type": {"const": "Annotation"},
                "motivation": {"enum": ["commenting", "replying"]},
                "created": {"type": "string", "format": "date-time"},
                "modified": {"type": "string", "format": "date-time"},
                "creator": {
                    "type": "object",
                    "required": ["type", "name"],
                    "properties": {"type": {"const": "Person"}},
                },
                "body": {
                    "type": "object",
                    "required": ["type", "value"],
                    "properties": {
                        "type": {"const": "TextualBody"},
                        "format": {"const": "text/html"},
                        "value": {"type": "string"},
                    },
                },
                "target": {
                    "oneOf": [
                        {"$ref": "#/$defs/target"},
                        {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/target"}},
                    ]
                },
            },
        },
        "target": {
            "oneOf": [
                {"type": "string", "pattern": "^https?://"},
                {
                    "type": "object",
                    "required": ["source"],
                    "properties": {
                        "source": {"type": "string", "pattern": "^https?://"},
                        "selector": {
                            "type": "object",
                            "required": ["type", "exact"],
                            "properties": {"type": {"const": "TextQuoteSelector"}},
                        },
                    },
                },
            ]
        },
    },
}


def targets(annotation: dict) -> list:
    target = annotation["target"]
    return target if isinstance(target, list) else [target]


def page_sources(annotation: dict) -> list[str]:
    """The pages an annotation is placed on (its targets that are specific resources)."""
    return [t["source"] for t in targets(annotation) if isinstance(t, dict)]


@pytest.fixture
async def moderator(app, client):
    user = await make_user(client, "mod")
    await promote(app, user, "moderator")
    return user


async def seed(app, client, settings):
    ann, bob = await make_user(client, "ann"), await make_user(client, "bob")
    quote = {"type": "TextQuoteSelector", "exact": "the passage", "prefix": "In ", "suffix": "."}
    top = await make_comment(client, ann, "Top **level**", ARTICLE, quote=quote)
    reply = await make_comment(client, bob, '=HYPERLINK("http://evil")', None, top["id"])
    await make_comment(client, ann, "Deeper", None, reply["id"])
    vote = await client.put(
        f"/api/v1/comments/{top['id']}/vote", json={"value": 1}, headers=bob.auth
    )
    assert vote.status_code == 200, vote.text
    await import_file(
        app.state.db, settings, ImportFormat.DISQUS, FIXTURES / "disqus.xml",
        ImportOptions(keep_spam=True, keep_deleted=True),
    )  # fmt: skip
    return top


async def export(client, user, fmt, **params) -> str:
    response = await client.get(f"/api/v1/exports/{fmt}", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    return response.text


def normalized(text: str) -> list:
    """Records with database ids replaced by their order, so two instances compare."""
    lines = [orjson.loads(line) for line in text.splitlines()]
    page_ids, comment_ids = {}, {}
    out = []
    for record in lines[1:]:
        if record["type"] == "page":
            page_ids[record["id"]] = len(page_ids)
            record["id"] = page_ids[record["id"]]
        else:
            comment_ids[record["id"]] = len(comment_ids)
            record["id"] = comment_ids[record["id"]]
            record["page_id"] = page_ids[record["page_id"]]
            record["parent_id"] = comment_ids.get(record["parent_id"])
        out.append(record)
    return out


async def wipe(app) -> None:
    async with app.state.db.write_session() as session:
        for model in (ImportRecord, Comment, Page, ImportedIdentity):
            await session.execute(delete(model))
        await session.commit()


class TestRejoinderJson:
    async def test_round_trip_loses_nothing(self, app, client, settings, moderator, tmp_path):
        await seed(app, client, settings)
        first = await export(client, moderator, "rejoinder-json", all="true")
        header = json.loads(first.splitlines()[0])
        assert header["format"] == "rejoinder-json"
        assert header["version"] == 1
        path = tmp_path / "export.jsonl"
        path.write_text(first)
        await wipe(app)
        summary = await import_file(
            app.state.db, settings, ImportFormat.REJOINDER_JSON, path,
            ImportOptions(keep_spam=True, keep_deleted=True),
        )  # fmt: skip
        assert summary.errors == []
        second = await export(client, moderator, "rejoinder-json", all="true")
        before, after = normalized(first), normalized(second)
        assert after == before
        comments = [r for r in before if r["type"] == "comment"]
        assert {c["status"] for c in comments} == {"visible", "spam"}
        assert any(c["quote"] and c["quote"]["exact"] == "the passage" for c in comments)
        assert any(c["upvotes"] == 1 for c in comments)
        assert any(c["author"].get("identity") for c in comments)
        assert any(c["deleted_at"] for c in comments)

    async def test_reimporting_the_export_adds_nothing(
        self, app, client, settings, moderator, tmp_path
    ):
        await seed(app, client, settings)
        path = tmp_path / "export.jsonl"
        path.write_text(await export(client, moderator, "rejoinder-json", all="true"))
        await wipe(app)
        for _ in range(2):
            await import_file(
                app.state.db, settings, ImportFormat.REJOINDER_JSON, path, ImportOptions()
            )
        again = await import_file(
            app.state.db, settings, ImportFormat.REJOINDER_JSON, path, ImportOptions()
        )
        assert again.comments == 0


class TestWebAnnotation:
    async def test_valid_against_the_model(self, app, client, settings, moderator):
        await seed(app, client, settings)
        document = json.loads(await export(client, moderator, "web-annotation", page=ARTICLE))
        jsonschema_rs.validate(ANNOTATION_SCHEMA, document)
        items = document["first"]["items"]
        assert len(items) == 3
        top, reply = items[0], items[1]
        assert top["motivation"] == "commenting"
        assert top["target"]["source"] == ARTICLE
        assert top["target"]["selector"]["exact"] == "the passage"
        assert top["creator"]["name"] == "ann"
        assert reply["motivation"] == "replying"
        # A reply answers its parent annotation and stays placed on the page.
        assert reply["target"] == [top["id"], {"source": ARTICLE}]
        assert all(page_sources(item) == [ARTICLE] for item in items)
        assert top["body"]["value"] == "<p>Top <strong>level</strong></p>\n"

    async def test_every_reply_names_its_own_page(self, app, client, settings, moderator):
        await seed(app, client, settings)
        document = json.loads(await export(client, moderator, "web-annotation", all="true"))
        jsonschema_rs.validate(ANNOTATION_SCHEMA, document)
        items = document["first"]["items"]
        replies = [item for item in items if item["motivation"] == "replying"]
        by_id = {item["id"]: item for item in items}
        orphans = 0
        for reply in replies:
            parent_id, on_page = targets(reply)
            assert on_page["source"].startswith("https://")
            if parent_id in by_id:
                assert page_sources(reply) == page_sources(by_id[parent_id])
            else:
                orphans += 1
        assert len(replies) == 5
        # Ann's Disqus reply to a deleted post: its parent is not public, its page still is.
        assert orphans == 1

    async def test_site_scope_and_hidden_comments_left_out(self, app, client, settings, moderator):
        await seed(app, client, settings)
        document = json.loads(
            await export(client, moderator, "web-annotation", site="blog.example")
        )
        # Disqus: 4 visible kept; spam and the deleted placeholder are not public.
        assert len(document["first"]["items"]) == 4


class TestCsv:
    async def test_rows_and_formula_injection(self, app, client, settings, moderator):
        await seed(app, client, settings)
        rows = list(csv.reader(io.StringIO(await export(client, moderator, "csv", page=ARTICLE))))
        assert rows[0] == [
            "id",
            "page_url",
            "parent_id",
            "author",
            "created",
            "status",
            "score",
            "text",
        ]
        texts = [row[7] for row in rows[1:]]
        assert '\'=HYPERLINK("http://evil")' in texts

    @pytest.mark.parametrize(
        ("value", "cell"),
        [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
         ("\t=x", "'\t=x"), ("plain", "plain"), (None, "")],
    )  # fmt: skip
    def test_csv_cell(self, value, cell):
        assert csv_cell(value) == cell


class TestPermissions:
    async def test_readers_get_404_and_anonymous_401(self, client, app, settings):
        reader = await make_user(client, "reader")
        response = await client.get(
            "/api/v1/exports/csv", params={"all": "true"}, headers=reader.auth
        )
        assert response.status_code == 404
        assert (await client.get("/api/v1/exports/csv", params={"all": "true"})).status_code == 401

    async def test_scope_must_be_exactly_one(self, client, moderator):
        response = await client.get(
            "/api/v1/exports/csv",
            params={"all": "true", "site": "x.example"},
            headers=moderator.auth,
        )
        assert response.status_code == 422
        unknown = await client.get(
            "/api/v1/exports/csv",
            params={"page": "https://nowhere.example/"},
            headers=moderator.auth,
        )
        assert unknown.status_code == 404
